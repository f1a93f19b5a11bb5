//! The old output as committed at a git revision (`diff --base REF`): the files the app's
//! manifest at that revision lists, read with `git show`, compared with what the run produces.

use crate::output::manifest::{self, Manifest};
use crate::output::sync::{Action, AppOutput, FileChange};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .args(args)
        .output()
        .context("running git (needed by --base)")
}

fn git_ok(args: &[&str]) -> Result<String> {
    let out = git(args)?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `path` relative to the repository's top folder, with `/` separators.
fn repo_relative(path: &Path) -> Result<String> {
    let prefix = git_ok(&["rev-parse", "--show-prefix"])?;
    let top = PathBuf::from(git_ok(&["rev-parse", "--show-toplevel"])?.trim());
    let joined = if path.is_absolute() {
        let top = top.canonicalize().unwrap_or(top);
        let abs = normalize(path);
        abs.strip_prefix(&top)
            .map_err(|_| anyhow!("{} is outside the git repository", path.display()))?
            .to_path_buf()
    } else {
        Path::new(prefix.trim()).join(path)
    };
    let rel = normalize(&joined);
    if rel.components().any(|c| c == Component::ParentDir) {
        bail!("{} is outside the git repository", path.display());
    }
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The content of `path` at `rev`, `None` when the revision has no such file.
fn show(rev: &str, path: &str) -> Result<Option<String>> {
    let out = git(&["cat-file", "blob", &format!("{rev}:{path}")])?;
    if out.status.success() {
        Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
    } else {
        Ok(None)
    }
}

/// The files of the run that differ from the output committed at `base`, paths relative to
/// the output folder.
pub fn changes(base: &str, out: &Path, apps: &[AppOutput]) -> Result<Vec<FileChange>> {
    let rev = git_ok(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{base}^{{commit}}"),
    ])
    .map_err(|_| anyhow!("--base {base}: not a git revision here"))?;
    let rev = rev.trim().to_string();
    let out_rel = repo_relative(out)?;
    let prefix = if out_rel.is_empty() {
        String::new()
    } else {
        format!("{out_rel}/")
    };
    let mut changes = Vec::new();
    for app in apps {
        let app_prefix = format!("{prefix}{}", app.app);
        let old_manifest: Option<Manifest> =
            match show(&rev, &format!("{app_prefix}/{}", manifest::FILE_NAME))? {
                Some(text) => Some(serde_json::from_str(&text).with_context(|| {
                    format!(
                        "{app_prefix}/{} at {base} is not a manifest",
                        manifest::FILE_NAME
                    )
                })?),
                None => None,
            };
        let old_files: BTreeSet<String> = old_manifest
            .map(|m| m.files.into_keys().collect())
            .unwrap_or_default();
        for (rel, content) in &app.files {
            let old = if old_files.contains(rel) {
                show(&rev, &format!("{app_prefix}/{rel}"))?
            } else {
                None
            };
            let action = match &old {
                None => Action::Create,
                Some(o) if o == content => continue,
                Some(_) => Action::Update,
            };
            changes.push(FileChange {
                path: format!("{}/{rel}", app.app),
                action,
                old,
                new: Some(content.clone()),
                edited: false,
            });
        }
        for rel in old_files.iter().filter(|r| !app.files.contains_key(*r)) {
            if let Some(old) = show(&rev, &format!("{app_prefix}/{rel}"))? {
                changes.push(FileChange {
                    path: format!("{}/{rel}", app.app),
                    action: Action::Delete,
                    old: Some(old),
                    new: None,
                    edited: false,
                });
            }
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}
