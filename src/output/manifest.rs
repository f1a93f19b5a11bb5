//! The manifest each app folder carries: which files the tool wrote and their digests. It is
//! how `generate` knows a file is its own, whether it was edited by hand since, and what to
//! remove when the blueprint no longer produces it.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub const FILE_NAME: &str = ".tfblueprint.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub generator: String,
    pub blueprint: String,
    pub blueprint_sha256: String,
    /// The template overlay the files were rendered with, if any (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlay: Option<crate::render::overlay::OverlayRecord>,
    /// Path relative to the app folder -> SHA-256 of the content.
    pub files: BTreeMap<String, String>,
}

pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hexadecimal digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

impl Manifest {
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("manifest serializes");
        s.push('\n');
        s
    }

    /// The manifest in `app_dir`, if there is one. A manifest that cannot be read is an error:
    /// guessing would risk a user's files.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest> {
        serde_json::from_str(text).with_context(|| {
            format!(
                "{} is not a tfblueprint manifest; move it away or restore it",
                path.display()
            )
        })
    }
}
