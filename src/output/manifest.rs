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
    /// The seal of the fast `check`: the SHA-256 of the build that rendered the files (its code
    /// and templates, [`BUILD`]) and of every other field above. When it holds for this build
    /// and the blueprint's and overlay's digests are those of the run, rendering again would
    /// give exactly `files`, so `check` and `diff` compare the files' digests instead
    /// ([`crate::output::sync::unchanged`]). Absent from manifests older than it: those are
    /// always compared in full. It is not compared to decide whether a manifest is stale, so
    /// that a new build that renders the same files rewrites no manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs_sha256: Option<String>,
}

/// The build of this binary: the SHA-256 of its version, its templates, its sources and its
/// locked dependencies (see `build.rs`). Two binaries with the same build render the same
/// output from the same input.
pub const BUILD: &str = env!("TFBLUEPRINT_BUILD");

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

    /// The seal of this manifest for this build (see [`Manifest::inputs_sha256`]).
    pub fn seal(&self) -> String {
        let mut unsealed = self.clone();
        unsealed.inputs_sha256 = None;
        let mut hash = Sha256::new();
        hash.update(BUILD.as_bytes());
        hash.update(b"\n");
        hash.update(unsealed.to_text().as_bytes());
        hex(&hash.finalize())
    }

    /// This manifest with its seal for this build.
    pub fn sealed(mut self) -> Manifest {
        self.inputs_sha256 = Some(self.seal());
        self
    }

    /// Whether the manifest carries the seal of this build over its own fields: it was written
    /// by a run of this build and not changed since.
    pub fn seal_holds(&self) -> bool {
        self.inputs_sha256
            .as_ref()
            .is_some_and(|s| *s == self.seal())
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
