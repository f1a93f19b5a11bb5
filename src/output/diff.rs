//! Unified diffs of what a run would change, coloured on a terminal.

use super::sync::{Action, FileChange};
use similar::{ChangeTag, TextDiff};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The unified diff of one file change (`a/` is the disk, `b/` the run's output).
pub fn unified(change: &FileChange, color: bool) -> String {
    let old = change.old.as_deref().unwrap_or("");
    let new = change.new.as_deref().unwrap_or("");
    let (a, b) = match change.action {
        Action::Create => ("/dev/null".to_string(), format!("b/{}", change.path)),
        Action::Delete => (format!("a/{}", change.path), "/dev/null".to_string()),
        Action::Update => (format!("a/{}", change.path), format!("b/{}", change.path)),
    };
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    let paint = |s: &str, c: &str| {
        if color {
            format!("{c}{s}{RESET}")
        } else {
            s.to_string()
        }
    };
    out.push_str(&paint(&format!("--- {a}\n+++ {b}\n"), BOLD));
    for group in diff.grouped_ops(3) {
        let first = &group[0];
        let last = &group[group.len() - 1];
        let (os, ns) = (first.old_range().start, first.new_range().start);
        let (ol, nl) = (last.old_range().end - os, last.new_range().end - ns);
        out.push_str(&paint(
            &format!("@@ -{} +{} @@\n", range(os, ol), range(ns, nl)),
            CYAN,
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, c) = match change.tag() {
                    ChangeTag::Delete => ("-", RED),
                    ChangeTag::Insert => ("+", GREEN),
                    ChangeTag::Equal => (" ", ""),
                };
                let mut line = format!("{sign}{}", change.value());
                if !line.ends_with('\n') {
                    line.push_str("\n\\ No newline at end of file\n");
                }
                out.push_str(&if c.is_empty() { line } else { paint(&line, c) });
            }
        }
    }
    out
}

fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}
