//! Diagnostics: positions in a blueprint and the errors the language reports at them.

use std::fmt;

/// A 1-based line and column in a blueprint file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    /// The position of a byte offset in `src`; columns count characters, not bytes.
    pub fn at(src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        let before = &src[..floor_char_boundary(src, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Pos { line, col }
    }
}

/// Positions of byte offsets in one source, each found in time logarithmic in its size.
pub struct LineIndex<'a> {
    src: &'a str,
    /// The byte offset at which each line starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(src: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { src, starts }
    }

    /// The same as [`Pos::at`].
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = floor_char_boundary(self.src, offset.min(self.src.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        Pos {
            line,
            col: self.src[start..offset].chars().count() + 1,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One error in one blueprint: `path:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Blueprint values and file names reach the terminal with their control characters
        // escaped: a message is one line and cannot move the cursor or recolour the screen.
        write!(
            f,
            "{}:{}:{}: {}",
            escape_controls(&self.file),
            self.pos.line,
            self.pos.col,
            escape_controls(&self.message)
        )
    }
}

/// Whether `c` could change how a terminal shows the text around it: a control character, a
/// Unicode line or paragraph separator, or a bidirectional override.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` with every [`unsafe_char`] written as an escape (`\n`, `\t`, `\u{1b}`).
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(unsafe_char) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            if c.escape_debug().len() > 1 {
                out.extend(c.escape_debug());
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A blueprint value as it is quoted in a message: control characters, quotes and backslashes
/// escaped as in an HCL string.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    escape_controls(&out)
}

/// The errors found in one file, in source order.
#[derive(Debug, Default)]
pub struct Diagnostics {
    file: String,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: impl Into<String>) -> Self {
        Diagnostics {
            file: file.into(),
            items: Vec::new(),
        }
    }

    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.items.push(Diagnostic {
            file: self.file.clone(),
            pos,
            message: message.into(),
        });
    }

    pub fn push(&mut self, diag: Diagnostic) {
        self.items.push(diag);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Puts `prefix` before the messages added since the list had `len` items.
    pub fn prefix_since(&mut self, len: usize, prefix: &str) {
        for d in &mut self.items[len..] {
            d.message.insert_str(0, prefix);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by_key(|a| a.pos);
        self.items.dedup();
        self.items
    }
}

/// `did you mean "x"?` for the candidate nearest to `word`, when one is near enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbouring characters as one edit.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Formats a list of names for a message: `"a", "b" or "c"`.
pub fn one_of<S: AsRef<str>>(names: &[S]) -> String {
    join(names, "or")
}

/// Formats a list of names for a message: `"a", "b" and "c"`.
pub fn all_of<S: AsRef<str>>(names: &[S]) -> String {
    join(names, "and")
}

fn join<S: AsRef<str>>(names: &[S], word: &str) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("\"{}\"", n.as_ref()))
        .collect();
    match quoted.len() {
        0 => "none".to_string(),
        1 => quoted[0].clone(),
        n => format!("{} {word} {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let src = "ab\ncdé\nfg";
        assert_eq!(Pos::at(src, 0), Pos { line: 1, col: 1 });
        assert_eq!(Pos::at(src, 3), Pos { line: 2, col: 1 });
        assert_eq!(Pos::at(src, 7), Pos { line: 2, col: 4 });
        assert_eq!(Pos::at(src, 9), Pos { line: 3, col: 2 });
        let index = LineIndex::new(src);
        for offset in 0..=src.len() + 2 {
            assert_eq!(index.pos(offset), Pos::at(src, offset), "offset {offset}");
        }
    }

    #[test]
    fn suggests_only_near_words() {
        assert_eq!(did_you_mean("regoin", ["region", "tags"]), Some("region"));
        assert_eq!(did_you_mean("zzz", ["region", "tags"]), None);
        assert_eq!(did_you_mean("wbe", ["web", "api"]), Some("web"));
    }
}
