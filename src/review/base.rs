//! The old output as committed at a git revision (`diff --base REF`): the files the app's
//! manifest at that revision lists, read with `git show`, compared with what the run produces.

use crate::output::manifest::{self, Manifest};
use crate::output::sync::{Action, AppOutput, FileChange};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

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

/// One `git cat-file --batch` process: reads any number of files at a revision without a
/// process per file.
struct CatFile {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl CatFile {
    fn start() -> Result<CatFile> {
        let mut child = Command::new("git")
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("running git (needed by --base)")?;
        let input = child.stdin.take().expect("piped");
        let output = BufReader::new(child.stdout.take().expect("piped"));
        Ok(CatFile {
            child,
            input,
            output,
        })
    }

    /// The content of `path` at `rev`, `None` when the revision has no such file.
    fn show(&mut self, rev: &str, path: &str) -> Result<Option<String>> {
        if path.contains(['\n', '\r']) {
            return Ok(None); // cannot be asked for, and never generated
        }
        writeln!(self.input, "{rev}:{path}")
            .and_then(|()| self.input.flush())
            .context("reading from git cat-file")?;
        let mut header = String::new();
        self.output
            .read_line(&mut header)
            .context("reading from git cat-file")?;
        // `<object> blob <size>`, or `<name> missing` (or `ambiguous`) for no such file.
        let fields: Vec<&str> = header.split_whitespace().collect();
        let size = match fields.as_slice() {
            [.., "missing" | "ambiguous"] => return Ok(None),
            [_, kind, size] => match size.parse::<usize>() {
                Ok(size) if *kind == "blob" => size,
                Ok(size) => {
                    // A folder or other object where a file was expected: skip its body.
                    let mut skip = vec![0; size + 1];
                    self.output
                        .read_exact(&mut skip)
                        .context("reading from git cat-file")?;
                    return Ok(None);
                }
                Err(_) => bail!("git cat-file said {header:?}"),
            },
            _ => bail!("git cat-file said {header:?}"),
        };
        let mut body = vec![0; size + 1];
        self.output
            .read_exact(&mut body)
            .context("reading from git cat-file")?;
        body.pop(); // the newline after the content
        Ok(Some(String::from_utf8(body).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The output committed at a git revision, as the old side of a diff.
pub struct Base {
    /// The revision as given.
    name: String,
    /// The commit it names.
    rev: String,
    /// The output folder's path in the repository, with a trailing `/` unless it is the top.
    prefix: String,
    git: Mutex<CatFile>,
}

impl Base {
    /// The revision `base` of the repository around the output folder `out`.
    pub fn open(base: &str, out: &Path) -> Result<Base> {
        let rev = git_ok(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base}^{{commit}}"),
        ])
        .map_err(|_| anyhow!("--base {base}: not a git revision here"))?;
        let out_rel = repo_relative(out)?;
        Ok(Base {
            name: base.to_string(),
            rev: rev.trim().to_string(),
            prefix: if out_rel.is_empty() {
                String::new()
            } else {
                format!("{out_rel}/")
            },
            git: Mutex::new(CatFile::start()?),
        })
    }

    /// The files of `app` that differ from the app as committed at the revision, paths
    /// relative to the output folder, in the order of their paths.
    pub fn changes(&self, app: &AppOutput) -> Result<Vec<FileChange>> {
        let (rev, base) = (self.rev.as_str(), self.name.as_str());
        let show = |path: &str| -> Result<Option<String>> {
            let mut git = self.git.lock().unwrap_or_else(|p| p.into_inner());
            git.show(rev, path)
        };
        let app_prefix = format!("{}{}", self.prefix, app.app);
        let old_manifest: Option<Manifest> =
            match show(&format!("{app_prefix}/{}", manifest::FILE_NAME))? {
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
        let mut changes = Vec::new();
        for (rel, content) in &app.files {
            let old = if old_files.contains(rel) {
                show(&format!("{app_prefix}/{rel}"))?
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
            if let Some(old) = show(&format!("{app_prefix}/{rel}"))? {
                changes.push(FileChange {
                    path: format!("{}/{rel}", app.app),
                    action: Action::Delete,
                    old: Some(old),
                    new: None,
                    edited: false,
                });
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(changes)
    }
}
