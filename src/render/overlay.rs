//! A template overlay: a user's folder of `*.j2` files laid out as the built-in templates are
//! named (`modules/<module>/<file>.j2`, `templates/root/<file>.j2`, `templates/app/<file>.j2`).
//! A file with a built-in template's name replaces it; any other name adds a file to that
//! folder's output. Overlay templates render with the same context, escaping, aligner and
//! self-check as the built-in ones; their errors point into the overlay file.

use crate::diag::{Diagnostic, Pos};
use crate::output::manifest::sha256;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folders an overlay may hold templates for.
pub fn folders() -> Vec<String> {
    let mut found: Vec<String> = super::builtin_names()
        .filter_map(|n| n.rsplit_once('/').map(|(folder, _)| folder.to_string()))
        .collect();
    found.dedup();
    found
}

/// An overlay as read from disk.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The folder as given, for messages.
    pub dir: PathBuf,
    /// (name, source), named as the built-in templates are.
    pub templates: Vec<(String, String)>,
}

/// What the manifest records of an overlay: a digest of all of it and of each template, so
/// that `check` notices any change to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayRecord {
    pub sha256: String,
    /// Template name -> SHA-256 of its source.
    pub templates: BTreeMap<String, String>,
}

impl Overlay {
    /// Reads every `*.j2` file under `dir`. A template outside the known folders is an error
    /// at that file (its folder would never be rendered).
    pub fn load(dir: &Path) -> Result<Overlay, Vec<Diagnostic>> {
        let fail = |file: String, message: String| {
            vec![Diagnostic {
                file,
                pos: Pos { line: 1, col: 1 },
                message,
            }]
        };
        if !dir.is_dir() {
            return Err(fail(
                dir.display().to_string(),
                "the template overlay is not a folder; give a folder of *.j2 files laid out as `tfblueprint templates list` names them".into(),
            ));
        }
        let known = folders();
        let mut templates = Vec::new();
        let mut problems = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return Err(fail(dir.display().to_string(), e.to_string())),
            };
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "j2") {
                continue;
            }
            let name = path
                .strip_prefix(dir)
                .expect("under the overlay")
                .to_string_lossy()
                .replace('\\', "/");
            let folder = name.rsplit_once('/').map_or("", |(f, _)| f);
            if !known.iter().any(|k| k == folder) {
                let hint = crate::diag::did_you_mean(folder, known.iter().map(String::as_str))
                    .map(|s| format!("did you mean {s}/? "))
                    .unwrap_or_default();
                problems.extend(fail(
                    path.display().to_string(),
                    format!(
                        "`{name}` is in no folder the tool renders; {hint}templates go in one of {}",
                        crate::diag::one_of(&known)
                    ),
                ));
                continue;
            }
            match std::fs::read_to_string(path) {
                Ok(source) => templates.push((name, source)),
                Err(e) => problems.extend(fail(path.display().to_string(), e.to_string())),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Overlay {
            dir: dir.to_path_buf(),
            templates,
        })
    }

    /// The digest the manifest records.
    pub fn record(&self) -> OverlayRecord {
        let templates: BTreeMap<String, String> = self
            .templates
            .iter()
            .map(|(n, s)| (n.clone(), sha256(s.as_bytes())))
            .collect();
        let all: String = templates
            .iter()
            .map(|(n, d)| format!("{d}  {n}\n"))
            .collect();
        OverlayRecord {
            sha256: sha256(all.as_bytes()),
            templates,
        }
    }

    /// The file a template of this overlay was read from, for messages.
    pub fn file_of(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    pub fn has(&self, name: &str) -> bool {
        self.templates.iter().any(|(n, _)| n == name)
    }

    pub fn source(&self, name: &str) -> Option<&str> {
        self.templates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
    }
}

/// A minijinja error as `file:line:col: message`, the column found from the error's byte
/// range in `source` (column 1 when it has none).
pub fn diagnostic(file: String, source: &str, e: &minijinja::Error) -> Diagnostic {
    let pos = match e.range().filter(|r| r.start <= source.len()) {
        Some(r) => {
            let before = &source[..r.start];
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            Pos {
                line: before.matches('\n').count() + 1,
                col: before[start..].chars().count() + 1,
            }
        }
        None => Pos {
            line: e.line().unwrap_or(1),
            col: 1,
        },
    };
    let mut message = e.kind().to_string();
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    Diagnostic {
        file,
        pos,
        message: format!("template error: {message}"),
    }
}
