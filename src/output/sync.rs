//! Comparing the files a run produces with the output folder, and writing them safely.
//!
//! A file is the tool's own when the app's manifest lists it or it starts with the generated
//! header. Only such files are ever rewritten or removed, and only when they are as the tool
//! left them; a file edited by hand is overwritten only with `--force`; any other file is never
//! touched.
//!
//! Writing is all or nothing across the whole run (every app of every blueprint):
//! 1. every new content is staged in a temporary file beside its target; a failure or a kill
//!    here leaves only temporary files, which the next run removes;
//! 2. the journal (`.tfblueprint-journal.json` in the output folder) is written: it lists every
//!    rename and removal of the run, with the SHA-256 of each staged file. The staged files and
//!    the journal then reach the disk together; the run is committed once they have;
//! 3. the renames and removals are carried out (manifests last), they reach the disk, and the
//!    journal is removed.
//!
//! A run killed after step 2 is rolled forward by the next `generate` before it plans: the
//! renames still pending are done, files to remove are removed (only when still as recorded),
//! and the journal goes. A journal whose staged files are not all whole (the machine stopped
//! before they reached the disk) was never committed, and nothing of it was renamed: it is
//! rolled back instead. Each file on disk is always either its complete old or its complete new
//! content, since a rename replaces a file atomically.

use super::manifest::{self, Manifest, sha256};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// What one app of the run should look like on disk.
#[derive(Debug, Clone)]
pub struct AppOutput {
    /// The app folder's name under the output folder.
    pub app: String,
    pub manifest: Manifest,
    /// Path relative to the app folder -> content.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One file that differs from what the run produces. Paths are relative to the output folder.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: String,
    pub action: Action,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The file on disk was changed since the tool wrote it.
    pub edited: bool,
}

#[derive(Debug, Default)]
pub struct SyncPlan {
    pub changes: Vec<FileChange>,
    /// Files in the way that the tool did not write (relative paths).
    pub foreign: Vec<String>,
    /// Manifests to write: (relative path, content).
    pub manifests: Vec<(String, String)>,
}

impl SyncPlan {
    pub fn edited(&self) -> Vec<&FileChange> {
        self.changes.iter().filter(|c| c.edited).collect()
    }

    pub fn in_sync(&self) -> bool {
        self.changes.is_empty() && self.foreign.is_empty() && self.manifests.is_empty()
    }
}

/// Rejects app names and file paths that could leave the output folder.
fn safe_relative(path: &str) -> Result<()> {
    let p = Path::new(path);
    if p.is_absolute() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        bail!("refusing to write outside the output folder: {path}");
    }
    Ok(())
}

/// Reads a file under `out`, refusing to follow a symlink anywhere below `out`.
fn read_inside(out: &Path, rel: &str) -> Result<Option<String>> {
    read_inside_checked(out, rel, &mut BTreeSet::new())
}

/// [`read_inside`] that skips the folders in `checked`, found to be real folders by an earlier
/// read of the same plan, and adds the folders it checks: one `lstat` per file instead of one
/// per path component.
fn read_inside_checked(
    out: &Path,
    rel: &str,
    checked: &mut BTreeSet<PathBuf>,
) -> Result<Option<String>> {
    let mut cur = out.to_path_buf();
    let mut comps = Path::new(rel).components().peekable();
    while let Some(comp) = comps.next() {
        cur.push(comp);
        let folder = comps.peek().is_some();
        if folder && checked.contains(&cur) {
            continue;
        }
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                bail!(
                    "{} is a symbolic link; tfblueprint does not follow links inside its output folder",
                    cur.display()
                )
            }
            Ok(_) => {
                if folder {
                    checked.insert(cur.clone());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", cur.display())),
        }
    }
    match fs::read(&cur) {
        Ok(bytes) => {
            Ok(Some(String::from_utf8(bytes).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", cur.display())),
    }
}

fn has_header(content: &str) -> bool {
    let first = content.lines().next().unwrap_or_default();
    first.contains("Code generated by tfblueprint from ") && first.contains("DO NOT EDIT.")
}

/// Compares one app of the run with its folder in the output folder.
pub fn plan(out: &Path, app: &AppOutput) -> Result<SyncPlan> {
    let mut plan = SyncPlan::default();
    let mut checked = BTreeSet::new();
    safe_relative(&app.app)?;
    let app_dir = out.join(&app.app);
    if let Ok(m) = fs::symlink_metadata(&app_dir)
        && m.file_type().is_symlink()
    {
        bail!(
            "{} is a symbolic link; tfblueprint does not follow links inside its output folder",
            app_dir.display()
        );
    }
    let old = Manifest::read(&app_dir)?;
    let old_files = old.map(|m| m.files).unwrap_or_default();
    for (rel, content) in &app.files {
        safe_relative(rel)?;
        let full_rel = format!("{}/{rel}", app.app);
        match read_inside_checked(out, &full_rel, &mut checked)? {
            None => plan.changes.push(FileChange {
                path: full_rel,
                action: Action::Create,
                old: None,
                new: Some(content.clone()),
                edited: false,
            }),
            Some(disk) if &disk == content => {}
            Some(disk) => {
                let recorded = old_files.get(rel);
                if recorded.is_none() && !has_header(&disk) {
                    plan.foreign.push(full_rel);
                    continue;
                }
                let edited = recorded.is_none_or(|d| *d != sha256(disk.as_bytes()));
                plan.changes.push(FileChange {
                    path: full_rel,
                    action: Action::Update,
                    old: Some(disk),
                    new: Some(content.clone()),
                    edited,
                });
            }
        }
    }
    for (rel, digest) in &old_files {
        if app.files.contains_key(rel) || safe_relative(rel).is_err() {
            continue;
        }
        let full_rel = format!("{}/{rel}", app.app);
        if let Some(disk) = read_inside_checked(out, &full_rel, &mut checked)? {
            let edited = sha256(disk.as_bytes()) != *digest;
            plan.changes.push(FileChange {
                path: full_rel,
                action: Action::Delete,
                old: Some(disk),
                new: None,
                edited,
            });
        }
    }
    let manifest_rel = format!("{}/{}", app.app, manifest::FILE_NAME);
    let text = app.manifest.to_text();
    if read_inside_checked(out, &manifest_rel, &mut checked)?.as_deref() != Some(text.as_str()) {
        plan.manifests.push((manifest_rel, text));
    }
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(plan)
}

/// The journal of a run, in the output folder while its renames and removals are under way.
pub const JOURNAL: &str = ".tfblueprint-journal.json";
const TMP_SUFFIX: &str = ".tfblueprint-tmp";

/// What a run commits to: paths relative to the output folder.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// (staged temporary file, target)
    renames: Vec<(String, String)>,
    /// (file to remove, SHA-256 of the content it must still have)
    removals: Vec<(String, String)>,
    /// Staged temporary file -> the SHA-256 of its content: a journal is committed only when
    /// every staged file is whole. (Absent from the journals of older versions, which wrote
    /// the journal only once the staged files were on the disk.)
    #[serde(default)]
    staged_sha256: BTreeMap<String, String>,
}

impl Journal {
    /// Whether the run reached its commit point: every rename is pending with a whole staged
    /// file, or done. Before the commit point no rename is made, so a journal that is not
    /// committed has changed nothing.
    fn committed(&self, out: &Path) -> Result<bool> {
        for (tmp, target) in &self.renames {
            let Some(digest) = self.staged_sha256.get(tmp) else {
                continue;
            };
            safe_relative(tmp)?;
            safe_relative(target)?;
            let whole = |rel: &str| -> Result<bool> {
                Ok(read_inside(out, rel)?.is_some_and(|c| sha256(c.as_bytes()) == *digest))
            };
            if !whole(tmp)? && !whole(target)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn temp_name(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}{TMP_SUFFIX}"),
        None => format!(".{rel}{TMP_SUFFIX}"),
    }
}

/// Syncs a folder so that renames in it survive a crash (where the platform allows it).
#[cfg(not(target_os = "linux"))]
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// New contents staged in temporary files beside their targets, and the removals that go with
/// them: everything a run writes before its commit point. Paths are relative to the output
/// folder. Stages of several parts of one run (apps staged in parallel) are joined with
/// [`Staged::append`] and committed together.
#[derive(Debug, Default)]
pub struct Staged {
    /// (staged temporary file, target)
    files: Vec<(String, String)>,
    /// The same for manifests, which are renamed last.
    manifests: Vec<(String, String)>,
    /// (file to remove, SHA-256 of the content it must still have)
    removals: Vec<(String, String)>,
    /// Staged temporary file -> SHA-256 of its content.
    sha256: BTreeMap<String, String>,
}

impl Staged {
    pub fn append(&mut self, mut other: Staged) {
        self.files.append(&mut other.files);
        self.manifests.append(&mut other.manifests);
        self.removals.append(&mut other.removals);
        self.sha256.append(&mut other.sha256);
    }

    /// Removes the temporary files: the run is abandoned and nothing changed.
    pub fn discard(&self, out: &Path) {
        for (tmp, _) in self.files.iter().chain(&self.manifests) {
            let _ = fs::remove_file(out.join(tmp));
        }
    }
}

/// Stages the new contents of `plan` (step 1 of the module documentation), the files on up to
/// `threads` threads. On an error the files staged so far are removed again.
pub fn stage(out: &Path, plan: &SyncPlan, threads: usize) -> Result<Staged> {
    // (path relative to `out`, content, is a manifest)
    let writes: Vec<(&str, &str, bool)> = plan
        .changes
        .iter()
        .filter_map(|c| c.new.as_deref().map(|n| (c.path.as_str(), n, false)))
        .chain(
            plan.manifests
                .iter()
                .map(|(p, c)| (p.as_str(), c.as_str(), true)),
        )
        .collect();
    let dirs: BTreeSet<&Path> = writes
        .iter()
        .filter_map(|(rel, _, _)| Path::new(rel).parent())
        .collect();
    for dir in dirs {
        let dir = out.join(dir);
        fs::create_dir_all(&dir)
            .with_context(|| format!("creating {}", dir.display()))
            .context("nothing was changed in the output folder")?;
    }
    let parts: Vec<&[(&str, &str, bool)]> = writes
        .chunks(writes.len().div_ceil(threads.max(1)).max(1))
        .collect();
    let mut staged = Staged::default();
    let mut error = None;
    for part in crate::batch::map(&parts, threads, |part| stage_files(out, part)) {
        match part {
            Ok(part) => staged.append(part),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = error {
        staged.discard(out);
        return Err(e.context("nothing was changed in the output folder"));
    }
    for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        let old = c.old.as_deref().unwrap_or_default();
        staged
            .removals
            .push((c.path.clone(), sha256(old.as_bytes())));
    }
    Ok(staged)
}

/// Writes each (path, content, is a manifest) to its temporary file, in folders that exist.
/// On an error the files it wrote are removed again.
fn stage_files(out: &Path, writes: &[(&str, &str, bool)]) -> Result<Staged> {
    let mut staged = Staged::default();
    for &(rel, content, is_manifest) in writes {
        let tmp_rel = temp_name(rel);
        let tmp = out.join(&tmp_rel);
        let written = fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(content.as_bytes())
                .and_then(|()| durable::file(&f))
        });
        let list = if is_manifest {
            &mut staged.manifests
        } else {
            &mut staged.files
        };
        list.push((tmp_rel.clone(), rel.to_string()));
        if let Err(e) = written {
            staged.discard(out);
            return Err(e).with_context(|| format!("writing {}", tmp.display()));
        }
        staged.sha256.insert(tmp_rel, sha256(content.as_bytes()));
    }
    Ok(staged)
}

/// Commits staged writes (steps 2 and 3 of the module documentation). Before the commit point
/// an error removes the staged files and nothing changed.
pub fn commit(out: &Path, staged: Staged) -> Result<()> {
    let Staged {
        mut files,
        mut manifests,
        removals,
        sha256: staged_sha256,
    } = staged;
    // Manifests are renamed last: a run stopped in between leaves files that the old manifest
    // does not know, which the next run treats as its own by header.
    files.append(&mut manifests);
    if files.is_empty() && removals.is_empty() {
        return Ok(()); // in sync: nothing to commit
    }
    let journal = Journal {
        renames: files,
        removals,
        staged_sha256,
    };
    let result = (|| -> Result<()> {
        let tmp = out.join(format!("{JOURNAL}{TMP_SUFFIX}"));
        fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let f = fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        // Streamed: a run of many apps does not hold the journal's text as well.
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, &journal)
            .map_err(std::io::Error::from)
            .and_then(|()| w.flush())
            .and_then(|()| durable::file(w.get_ref()))
            .with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, out.join(JOURNAL))
            .with_context(|| format!("writing {}", out.join(JOURNAL).display()))?;
        // The commit point: once the staged files and the journal are on the disk the run is
        // finished, now or by the next run's recovery.
        durable::committed(out, journal.renames.iter().map(|(tmp, _)| tmp.as_str()))
    })();
    if let Err(e) = result {
        for (tmp, _) in &journal.renames {
            let _ = fs::remove_file(out.join(tmp));
        }
        let _ = fs::remove_file(out.join(format!("{JOURNAL}{TMP_SUFFIX}")));
        let _ = fs::remove_file(out.join(JOURNAL));
        return Err(e.context("nothing was changed in the output folder"));
    }
    finish(out, &journal)
}

/// Getting staged files, the journal and renames onto the disk. On Linux one `syncfs` per file
/// system replaces an `fsync` per file and per folder: with tens of thousands of files the
/// per-file calls, each a journal commit of the file system, cost far more than writing the
/// files.
mod durable {
    #![cfg_attr(not(target_os = "linux"), allow(unused_imports))]
    use anyhow::{Context, Result};
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::{Path, PathBuf};

    /// Called on each staged file and on the journal once written.
    #[cfg(target_os = "linux")]
    pub fn file(_: &fs::File) -> std::io::Result<()> {
        Ok(()) // synced together by `committed`
    }

    #[cfg(not(target_os = "linux"))]
    pub fn file(f: &fs::File) -> std::io::Result<()> {
        f.sync_all()
    }

    /// Called once the run's files are staged and its journal is in place: returns when both
    /// are on the disk.
    #[cfg(target_os = "linux")]
    pub fn committed<'a>(out: &Path, tmps: impl Iterator<Item = &'a str>) -> Result<()> {
        let dirs: BTreeSet<&Path> = tmps.filter_map(|t| Path::new(t).parent()).collect();
        sync_file_systems(
            std::iter::once(out.to_path_buf()).chain(dirs.into_iter().map(|d| out.join(d))),
        )
    }

    #[cfg(not(target_os = "linux"))]
    pub fn committed<'a>(out: &Path, _: impl Iterator<Item = &'a str>) -> Result<()> {
        // Each file was synced as it was written; the journal's name is in `out`.
        super::sync_dir(out);
        Ok(())
    }

    /// Called after the renames and removals with the folders they changed.
    #[cfg(target_os = "linux")]
    pub fn folders(dirs: impl Iterator<Item = PathBuf>) -> Result<()> {
        sync_file_systems(dirs)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn folders(dirs: impl Iterator<Item = PathBuf>) -> Result<()> {
        for d in dirs {
            super::sync_dir(&d);
        }
        Ok(())
    }

    /// `syncfs` on every file system that holds one of `dirs` (normally just one).
    #[cfg(target_os = "linux")]
    fn sync_file_systems(dirs: impl Iterator<Item = PathBuf>) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::AsRawFd;
        let mut devices = BTreeSet::new();
        for dir in dirs {
            let Ok(meta) = fs::metadata(&dir) else {
                continue; // a folder that a removal took away
            };
            if !devices.insert(meta.dev()) {
                continue;
            }
            let f = fs::File::open(&dir).with_context(|| format!("syncing {}", dir.display()))?;
            // SAFETY: syncfs only reads the open descriptor that `f` owns.
            if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("syncing {}", dir.display()));
            }
        }
        Ok(())
    }
}

/// Carries out a committed journal; every step may already have been done.
fn finish(out: &Path, journal: &Journal) -> Result<()> {
    let mut dirs = BTreeSet::new();
    for (tmp, target) in &journal.renames {
        safe_relative(tmp)?;
        safe_relative(target)?;
        let (tmp, target) = (out.join(tmp), out.join(target));
        match fs::rename(&tmp, &target) {
            Ok(()) => {}
            // Renamed before the previous run stopped.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && target.exists() => {}
            Err(e) => {
                return Err(e).with_context(|| format!("replacing {}", target.display()));
            }
        }
        dirs.insert(target.parent().map(Path::to_path_buf));
    }
    for (rel, digest) in &journal.removals {
        safe_relative(rel)?;
        let target = out.join(rel);
        match read_inside(out, rel)? {
            Some(disk) if sha256(disk.as_bytes()) == *digest => {}
            _ => continue, // already removed, or not the file the run meant to remove
        }
        fs::remove_file(&target).with_context(|| format!("removing {}", target.display()))?;
        let mut dir = target.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == out || fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        dirs.insert(Some(out.to_path_buf()));
    }
    // The renames and removals reach the disk before the journal that names them goes. The
    // journal's removal needs no sync: a journal found again names only steps already done.
    durable::folders(dirs.into_iter().flatten())?;
    let journal_path = out.join(JOURNAL);
    fs::remove_file(&journal_path)
        .with_context(|| format!("removing {}", journal_path.display()))?;
    Ok(())
}

/// Removes the staged files of a journal that was never committed, and the journal.
fn roll_back(out: &Path, journal: &Journal) -> Result<()> {
    for (tmp, _) in &journal.renames {
        safe_relative(tmp)?;
        match fs::remove_file(out.join(tmp)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing {}", out.join(tmp).display()));
            }
            _ => {}
        }
    }
    let journal_path = out.join(JOURNAL);
    fs::remove_file(&journal_path).with_context(|| format!("removing {}", journal_path.display()))
}

/// Repairs what an interrupted run left in `out`: a committed journal is carried out (the run
/// is rolled forward); temporary files of a run that did not reach its commit point are
/// removed. Returns whether a journal was found. Symbolic links are never followed.
pub fn recover(out: &Path) -> Result<bool> {
    let journal_path = out.join(JOURNAL);
    let found = match fs::read_to_string(&journal_path) {
        Ok(text) => {
            let journal: Journal = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a tfblueprint journal; move it away",
                    journal_path.display()
                )
            })?;
            if journal.committed(out)? {
                finish(out, &journal)?;
                true
            } else {
                roll_back(out, &journal)?;
                false
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("reading {}", journal_path.display())),
    };
    if out.is_dir() {
        for entry in walkdir::WalkDir::new(out).follow_links(false) {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file() && name.starts_with('.') && name.ends_with(TMP_SUFFIX) {
                fs::remove_file(entry.path())
                    .with_context(|| format!("removing {}", entry.path().display()))?;
            }
        }
    }
    Ok(found)
}
