//! Comparing the files a run produces with the output folder, and writing them safely.
//!
//! A file is the tool's own when the app's manifest lists it or it starts with the generated
//! header. Only such files are ever rewritten or removed, and only when they are as the tool
//! left them; a file edited by hand is overwritten only with `--force`; any other file is never
//! touched. No symbolic link inside the output folder is followed: every folder is opened
//! relative to its parent without following links ([`super::fsx`]).
//!
//! Writing is all or nothing across the whole run (every app of every blueprint):
//! 1. every new content is staged in a temporary file beside its target, created with
//!    `O_CREAT|O_EXCL|O_NOFOLLOW`; each app's entries (the renames with the SHA-256 of the staged
//!    file and of the target as planned, the removals, the folders created) go to the journal's
//!    temporary file as soon as the app is staged, so memory does not grow with the output. A
//!    failure or a kill here leaves only temporary files and folders the journal names, which
//!    this run or the next removes;
//! 2. the journal is closed with the SHA-256 of its entries and renamed to
//!    `.tfblueprint-journal.json`; the staged files and the journal then reach the disk
//!    together; the run is committed once they have;
//! 3. the renames are carried out, then the removals, then the manifests are renamed; they
//!    reach the disk, emptied folders are removed, and the journal goes.
//!
//! A run stopped after step 2 is rolled forward by the next `generate` before it plans, but
//! only a journal this tool wrote (its digest matches, every path it names is a generated file
//! of the app's manifest) and only when every file it would replace is still as the journal
//! expects; otherwise it stops and says what to do. A journal whose staged files are not all
//! whole (the machine stopped before they reached the disk) was never committed, and nothing of
//! it was renamed: it is rolled back. Each file on disk is always either its complete old or
//! its complete new content, since a rename replaces a file atomically.

use super::fsx::{Dir, Kind, Tree, link_error, split};
use super::manifest::{self, Manifest, hex, sha256};
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

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

/// A manifest to write: its path relative to the output folder, its text, and the SHA-256 of
/// the manifest it replaces (none when there is none).
#[derive(Debug, Clone)]
pub struct ManifestWrite {
    pub path: String,
    pub text: String,
    pub was: Option<String>,
}

#[derive(Debug, Default)]
pub struct SyncPlan {
    pub changes: Vec<FileChange>,
    /// Files in the way that the tool did not write (relative paths).
    pub foreign: Vec<String>,
    /// Manifests to write.
    pub manifests: Vec<ManifestWrite>,
    /// The SHA-256 of a file to write (relative path) as its new manifest records it, so that
    /// staging does not hash its content again.
    pub digests: HashMap<String, String>,
    /// A pruned app: its manifest (relative path) and the manifest's SHA-256, removed last.
    pub prune: Option<(String, String)>,
    /// Once the contents are dropped: the number of files created, updated and removed.
    pub counts: Option<[usize; 3]>,
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
    if path.is_empty()
        || p.is_absolute()
        || p.components().any(|c| !matches!(c, Component::Normal(_)))
        || path.contains('\\')
        || path.ends_with('/')
        || path.contains("//")
    {
        bail!("refusing to write outside the output folder: {path}");
    }
    Ok(())
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Reads files of the output folder (none when it does not exist).
struct Reader(Option<Tree>);

impl Reader {
    fn open(out: &Path) -> Result<Reader> {
        Ok(Reader(Tree::open(out)?))
    }

    fn read(&mut self, rel: &str) -> Result<Option<String>> {
        match &mut self.0 {
            Some(t) => Ok(t.read(rel)?.map(text)),
            None => Ok(None),
        }
    }
}

fn has_header(content: &str) -> bool {
    let first = content.lines().next().unwrap_or_default();
    first.contains("Code generated by tfblueprint from ") && first.contains("DO NOT EDIT.")
}

/// Compares one app of the run with its folder in the output folder.
pub fn plan(out: &Path, app: &AppOutput) -> Result<SyncPlan> {
    let mut plan = SyncPlan::default();
    safe_relative(&app.app)?;
    if app.app.contains('/') || app.app.starts_with('.') {
        bail!("refusing to write outside the output folder: {}", app.app);
    }
    let mut disk = Reader::open(out)?;
    let manifest_rel = format!("{}/{}", app.app, manifest::FILE_NAME);
    let old_text = disk.read(&manifest_rel)?;
    let old = old_text
        .as_deref()
        .map(|t| Manifest::parse(t, &out.join(&manifest_rel)))
        .transpose()?;
    // The manifest is stale when it differs in anything but its seal: a build that renders
    // the same files leaves the manifest as it is (its seal then no longer holds, and `check`
    // compares that app in full).
    let old_seal = old.as_ref().and_then(|m| m.inputs_sha256.clone());
    let old_files = old.map(|m| m.files).unwrap_or_default();
    for (rel, content) in &app.files {
        safe_relative(rel)?;
        let full_rel = format!("{}/{rel}", app.app);
        let write = |plan: &mut SyncPlan, change: FileChange| {
            if let Some(digest) = app.manifest.files.get(rel) {
                plan.digests.insert(change.path.clone(), digest.clone());
            }
            plan.changes.push(change);
        };
        match disk.read(&full_rel)? {
            None => write(
                &mut plan,
                FileChange {
                    path: full_rel,
                    action: Action::Create,
                    old: None,
                    new: Some(content.clone()),
                    edited: false,
                },
            ),
            Some(disk) if &disk == content => {}
            Some(disk) => {
                let recorded = old_files.get(rel);
                if recorded.is_none() && !has_header(&disk) {
                    plan.foreign.push(full_rel);
                    continue;
                }
                let edited = recorded.is_none_or(|d| *d != sha256(disk.as_bytes()));
                write(
                    &mut plan,
                    FileChange {
                        path: full_rel,
                        action: Action::Update,
                        old: Some(disk),
                        new: Some(content.clone()),
                        edited,
                    },
                );
            }
        }
    }
    for (rel, digest) in &old_files {
        if app.files.contains_key(rel) || safe_relative(rel).is_err() {
            continue;
        }
        let full_rel = format!("{}/{rel}", app.app);
        if let Some(disk) = disk.read(&full_rel)? {
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
    let expected = Manifest {
        inputs_sha256: old_seal,
        ..app.manifest.clone()
    };
    if old_text.as_deref() != Some(expected.to_text().as_str()) {
        let text = app.manifest.to_text();
        plan.manifests.push(ManifestWrite {
            path: manifest_rel,
            text,
            was: old_text.map(|t| sha256(t.as_bytes())),
        });
    }
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(plan)
}

/// What the manifest of an app must record for [`unchanged`] to trust it: the generator, the
/// blueprint's file name and digest, and the template overlay, as this run would write them.
pub struct Inputs<'a> {
    pub app: &'a str,
    pub generator: &'a str,
    pub blueprint: &'a str,
    pub blueprint_sha256: &'a str,
    pub overlay: Option<&'a crate::render::overlay::OverlayRecord>,
}

/// The fast path of `check` and `diff`: the app as on disk, when its folder in `out` is
/// provably what rendering `inputs` would give and what the full comparison ([`plan`]) would
/// find in sync; `None` when anything is otherwise or cannot be read, and the caller compares
/// in full (which reports whatever differs, exactly as without this path).
///
/// Proof: the manifest records this run's inputs (blueprint digest, overlay digests,
/// generator) and carries the seal of this build over them and its file list
/// ([`Manifest::seal_holds`]), so a run of this same code and templates over these same
/// inputs wrote it, and rendering is deterministic: rendering again gives this manifest and
/// files with exactly the digests it lists. Its text is the one [`plan`] expects (no stale
/// manifest), and every file it lists is on disk with its recorded digest (none edited,
/// none missing); the run renders no other file, so nothing else is compared. Files beside
/// the generated ones are not the tool's and are reported by neither path. With `keep` the
/// files' contents are returned (for `diff`'s review); without it, only the manifest.
pub fn unchanged(out: &Path, inputs: &Inputs, keep: bool) -> Option<AppOutput> {
    let app = inputs.app;
    if safe_relative(app).is_err() || app.contains('/') || app.starts_with('.') {
        return None;
    }
    let mut tree = Tree::open(out).ok()??;
    let manifest_rel = format!("{app}/{}", manifest::FILE_NAME);
    let text = String::from_utf8(tree.read(&manifest_rel).ok()??).ok()?;
    let m: Manifest = serde_json::from_str(&text).ok()?;
    if m.generator != inputs.generator
        || m.blueprint != inputs.blueprint
        || m.blueprint_sha256 != inputs.blueprint_sha256
        || m.overlay.as_ref() != inputs.overlay
        || !m.seal_holds()
        || m.to_text() != text
    {
        return None;
    }
    let mut files = BTreeMap::new();
    for (rel, digest) in &m.files {
        safe_relative(rel).ok()?;
        let bytes = tree.read(&format!("{app}/{rel}")).ok()??;
        if sha256(&bytes) != *digest {
            return None;
        }
        if keep {
            files.insert(rel.clone(), String::from_utf8(bytes).ok()?);
        }
    }
    Some(AppOutput {
        app: app.to_string(),
        manifest: m,
        files,
    })
}

/// The app folders in `out` that carry a tfblueprint manifest but are not in `apps`: output of
/// blueprints that are not part of this run. Folders without a manifest are not the tool's.
pub fn orphans(out: &Path, apps: &BTreeSet<String>) -> Result<Vec<(String, Manifest)>> {
    let Some(tree) = Tree::open(out)? else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for name in tree.root().names()? {
        if name.starts_with('.') || apps.contains(&name) {
            continue;
        }
        if tree.root().kind(&name)? != Some(Kind::Dir) {
            continue;
        }
        let Some(dir) = tree.root().sub(&name)? else {
            continue;
        };
        let Ok(Some(bytes)) = dir.read(manifest::FILE_NAME) else {
            continue;
        };
        if let Ok(m) = Manifest::parse(&text(bytes), &dir.path().join(manifest::FILE_NAME)) {
            found.push((name, m));
        }
    }
    Ok(found)
}

/// The removal of an app folder that no blueprint of the run produces: every file its
/// manifest lists (edited ones only with `--force`), then the manifest. Files the manifest
/// does not list stay, and so does their folder.
pub fn plan_prune(out: &Path, app: &str, manifest: &Manifest) -> Result<SyncPlan> {
    safe_relative(app)?;
    let mut disk = Reader::open(out)?;
    let mut plan = SyncPlan::default();
    for (rel, digest) in &manifest.files {
        if safe_relative(rel).is_err() {
            continue;
        }
        let full_rel = format!("{app}/{rel}");
        if let Some(content) = disk.read(&full_rel)? {
            plan.changes.push(FileChange {
                edited: sha256(content.as_bytes()) != *digest,
                path: full_rel,
                action: Action::Delete,
                old: Some(content),
                new: None,
            });
        }
    }
    let manifest_rel = format!("{app}/{}", manifest::FILE_NAME);
    if let Some(t) = disk.read(&manifest_rel)? {
        plan.prune = Some((manifest_rel, sha256(t.as_bytes())));
    }
    Ok(plan)
}

/// The journal of a run, in the output folder while its renames and removals are under way.
pub const JOURNAL: &str = ".tfblueprint-journal.json";
const TMP_SUFFIX: &str = ".tfblueprint-tmp";
/// The journal while the run is staged (before its commit point).
const SPOOL: &str = ".tfblueprint-journal.json.tfblueprint-tmp";
const VERSION: u32 = 2;

/// One line of the journal (JSON lines; the last one closes it with the SHA-256 of the others).
/// Paths are relative to the output folder; a staged file is the target's temporary name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    Journal {
        version: u32,
    },
    /// A folder the run created (announced before it is made).
    Mkdir {
        path: String,
    },
    /// A staged file to rename to `target`: its SHA-256, and that of `target` as planned.
    Rename {
        target: String,
        sha256: String,
        was: Option<String>,
    },
    /// The same for an app's manifest, renamed last.
    Manifest {
        target: String,
        sha256: String,
        was: Option<String>,
    },
    /// A file to remove, with the SHA-256 it must still have.
    Remove {
        target: String,
        sha256: String,
    },
    End {
        entries: u64,
        sha256: String,
    },
}

fn temp_name(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}{TMP_SUFFIX}"),
        None => format!(".{rel}{TMP_SUFFIX}"),
    }
}

/// A test hook: `TFBLUEPRINT_FAILPOINT=before-commit` or `after-commit` ends the process there
/// as a kill would (no clean-up), so that tests can reproduce an interrupted run exactly.
fn failpoint(name: &str) {
    if std::env::var("TFBLUEPRINT_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::exit(86);
    }
}

struct Spool {
    w: std::io::BufWriter<std::fs::File>,
    hash: Sha256,
    entries: u64,
}

/// The writes of one run before its commit point (step 1): shared by the tasks that stage the
/// apps, each of which adds its entries to the journal's temporary file when it is staged.
pub struct Staging {
    out: PathBuf,
    spool: Mutex<Option<Spool>>,
}

/// What finishing a journal did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub written: usize,
    pub removed: usize,
}

impl Staging {
    /// Staging into `out`, which must exist.
    pub fn new(out: &Path) -> Staging {
        Staging {
            out: out.to_path_buf(),
            spool: Mutex::new(None),
        }
    }

    fn write(&self, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut guard = self.spool.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let root =
                Dir::open(&self.out).with_context(|| format!("opening {}", self.out.display()))?;
            let f = root.create_new(SPOOL)?;
            let mut spool = Spool {
                w: std::io::BufWriter::new(f),
                hash: Sha256::new(),
                entries: 0,
            };
            spool_line(&mut spool, &Entry::Journal { version: VERSION })?;
            *guard = Some(spool);
        }
        let spool = guard.as_mut().expect("opened above");
        let mut flush = false;
        for e in entries {
            flush |= matches!(e, Entry::Mkdir { .. });
            spool_line(spool, e)?;
        }
        if flush {
            spool.w.flush().context("writing the journal")?;
        }
        Ok(())
    }

    /// Stages the new contents of `plan` (step 1), the files on up to `threads` threads.
    /// On an error the files this call staged are removed again.
    pub fn stage(&self, plan: &SyncPlan, threads: usize) -> Result<()> {
        let writes: Vec<StagedFile> = plan
            .changes
            .iter()
            .filter_map(|c| {
                c.new.as_deref().map(|n| StagedFile {
                    rel: c.path.as_str(),
                    content: n,
                    sha256: plan.digests.get(&c.path).cloned(),
                    was: c.old.as_deref().map(|o| sha256(o.as_bytes())),
                })
            })
            .collect();
        let mut tree = Tree::open(&self.out)?
            .ok_or_else(|| anyhow!("{} vanished during the run", self.out.display()))?;
        let dirs: BTreeSet<&str> = writes
            .iter()
            .map(|w| split(w.rel).0)
            .chain(plan.manifests.iter().map(|m| split(&m.path).0))
            .collect();
        for dir in dirs {
            let mut note = |rel: &str| {
                self.write(&[Entry::Mkdir {
                    path: rel.to_string(),
                }])
            };
            tree.dir(dir, Some(&mut note))?;
        }
        let parts: Vec<&[StagedFile]> = writes
            .chunks(writes.len().div_ceil(threads.max(1)).max(1))
            .collect();
        let mut entries = Vec::new();
        let mut error = None;
        for part in crate::batch::map(&parts, threads, |part| stage_files(&self.out, part)) {
            match part {
                Ok(mut part) => entries.append(&mut part),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        let manifests = plan
            .manifests
            .iter()
            .map(|m| {
                let (dir, name) = split(&m.path);
                let d = tree
                    .dir(dir, None)?
                    .ok_or_else(|| anyhow!("{} vanished", self.out.join(dir).display()))?;
                write_temp(&d, name, &m.text)?;
                Ok(Entry::Manifest {
                    target: m.path.clone(),
                    sha256: sha256(m.text.as_bytes()),
                    was: m.was.clone(),
                })
            })
            .collect::<Result<Vec<_>>>();
        match manifests {
            Ok(mut m) => entries.append(&mut m),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
        for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
            let old = c.old.as_deref().unwrap_or_default();
            entries.push(Entry::Remove {
                target: c.path.clone(),
                sha256: sha256(old.as_bytes()),
            });
        }
        if let Some((path, digest)) = &plan.prune {
            entries.push(Entry::Remove {
                target: path.clone(),
                sha256: digest.clone(),
            });
        }
        let error = match error {
            Some(e) => Some(e),
            None => self.write(&entries).err(),
        };
        if let Some(e) = error {
            unstage(&mut tree, &entries);
            return Err(e.context("nothing was changed in the output folder"));
        }
        Ok(())
    }

    /// Abandons the run: removes its staged files, the folders it created and its journal;
    /// nothing changed.
    pub fn discard(self) {
        let spool = self.spool.into_inner().unwrap_or_else(|p| p.into_inner());
        let Some(mut spool) = spool else { return };
        let _ = spool.w.flush();
        drop(spool);
        if let Ok(Some(mut tree)) = Tree::open(&self.out) {
            undo(&mut tree, SPOOL);
        }
    }

    /// Commits the staged writes (steps 2 and 3). Before the commit point an error removes the
    /// staged files and nothing changed.
    pub fn commit(self) -> Result<Done> {
        let out = self.out.clone();
        let spool = self.spool.into_inner().unwrap_or_else(|p| p.into_inner());
        let Some(mut spool) = spool else {
            return Ok(Done::default()); // in sync: nothing to commit
        };
        failpoint("before-commit");
        let mut tree = Tree::open(&out)?
            .ok_or_else(|| anyhow!("{} vanished during the run", out.display()))?;
        let result = (|| -> Result<()> {
            let digest = hex(&spool.hash.clone().finalize());
            let end = Entry::End {
                entries: spool.entries,
                sha256: digest,
            };
            let mut line = serde_json::to_string(&end).map_err(std::io::Error::from)?;
            line.push('\n');
            spool.w.write_all(line.as_bytes())?;
            spool.w.flush()?;
            #[cfg(not(target_os = "linux"))]
            spool.w.get_ref().sync_all()?;
            tree.root()
                .rename(SPOOL, JOURNAL)
                .with_context(|| format!("writing {}", out.join(JOURNAL).display()))?;
            // The commit point: once the staged files and the journal are on the disk the run
            // is finished, now or by the next run's recovery.
            tree.root().sync_fs()
        })();
        drop(spool);
        if let Err(e) = result {
            if tree.root().kind(JOURNAL).ok().flatten().is_some() {
                undo(&mut tree, JOURNAL);
            } else {
                undo(&mut tree, SPOOL);
            }
            return Err(e.context("nothing was changed in the output folder"));
        }
        failpoint("after-commit");
        finish(&mut tree)
    }
}

fn spool_line(spool: &mut Spool, e: &Entry) -> Result<()> {
    let mut line = serde_json::to_string(e).map_err(std::io::Error::from)?;
    line.push('\n');
    spool.hash.update(line.as_bytes());
    spool
        .w
        .write_all(line.as_bytes())
        .context("writing the journal")?;
    spool.entries += 1;
    Ok(())
}

fn write_temp(dir: &Dir, name: &str, content: &str) -> Result<()> {
    let tmp = format!(".{name}{TMP_SUFFIX}");
    let mut f = dir.create_new(&tmp)?;
    let written = f.write_all(content.as_bytes());
    #[cfg(not(target_os = "linux"))]
    let written = written.and_then(|()| f.sync_all());
    written.with_context(|| format!("writing {}", dir.path().join(&tmp).display()))
}

/// A file to stage.
struct StagedFile<'a> {
    /// Path relative to the output folder.
    rel: &'a str,
    content: &'a str,
    /// The content's SHA-256 when known already.
    sha256: Option<String>,
    /// The SHA-256 of the target as planned (`None`: it does not exist).
    was: Option<String>,
}

/// Writes each file to its temporary name, in folders that exist. On an error the files it
/// wrote are removed again.
fn stage_files(out: &Path, writes: &[StagedFile]) -> Result<Vec<Entry>> {
    let mut tree =
        Tree::open(out)?.ok_or_else(|| anyhow!("{} vanished during the run", out.display()))?;
    let mut entries = Vec::with_capacity(writes.len());
    for w in writes {
        let (rel, content) = (w.rel, w.content);
        let (dir, name) = split(rel);
        let written = tree
            .dir(dir, None)
            .and_then(|d| d.ok_or_else(|| anyhow!("{} vanished", out.join(dir).display())))
            .and_then(|d| write_temp(&d, name, content));
        if let Err(e) = written {
            let _ = remove_temp(&mut tree, rel);
            unstage(&mut tree, &entries);
            return Err(e);
        }
        entries.push(Entry::Rename {
            target: rel.to_string(),
            sha256: w
                .sha256
                .clone()
                .unwrap_or_else(|| sha256(content.as_bytes())),
            was: w.was.clone(),
        });
    }
    Ok(entries)
}

fn remove_temp(tree: &mut Tree, target: &str) -> Result<()> {
    let (dir, name) = split(target);
    if let Some(d) = tree.dir(dir, None)? {
        match d.unlink(&format!(".{name}{TMP_SUFFIX}")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// Removes the staged files of `entries` and the folders they name as created (when empty).
fn unstage(tree: &mut Tree, entries: &[Entry]) {
    let mut created = Vec::new();
    for e in entries {
        match e {
            Entry::Rename { target, .. } | Entry::Manifest { target, .. } => {
                let _ = remove_temp(tree, target);
            }
            Entry::Mkdir { path } => created.push(path.clone()),
            _ => {}
        }
    }
    // Deepest first: a folder's sub-folders were announced after it.
    for path in created.iter().rev() {
        let (parent, name) = split(path);
        if let Ok(Some(d)) = tree.dir(parent, None) {
            let _ = d.rmdir(name);
        }
        tree.forget();
    }
}

/// The entries of the journal file `name`, read leniently (a torn last line is left out):
/// for clean-up only.
fn entries_lenient(tree: &Tree, name: &str) -> Vec<Entry> {
    let Ok(Some(f)) = tree.root().open_file(name) else {
        return Vec::new();
    };
    std::io::BufReader::new(f)
        .lines()
        .map_while(|l| l.ok())
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

/// Rolls back the journal (or its temporary file) `name` of a run that was not committed:
/// its staged files, the folders it created, and the journal itself go.
fn undo(tree: &mut Tree, name: &str) {
    let entries = entries_lenient(tree, name);
    unstage(tree, &entries);
    let _ = tree.root().unlink(name);
}

/// Iterates over the entries of a journal this tool wrote and closed, checking its digest:
/// `f` sees every entry but the first and the last. An unclosed, altered or foreign journal is
/// an error.
fn each_entry(tree: &Tree, mut f: impl FnMut(Entry) -> Result<()>) -> Result<()> {
    let path = tree.root().path().join(JOURNAL);
    let foreign = || {
        anyhow!(
            "{} is not a journal this version of tfblueprint wrote and closed (its digest or format does not match); it names files to replace and remove, so it is not used: move it away and run again",
            path.display()
        )
    };
    let file = tree.root().open_file(JOURNAL)?.ok_or_else(foreign)?;
    let mut hash = Sha256::new();
    let mut count = 0u64;
    let mut ended = false;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|_| foreign())?;
        if ended {
            return Err(foreign());
        }
        let entry: Entry = serde_json::from_str(&line).map_err(|_| foreign())?;
        match entry {
            Entry::Journal { version } if i == 0 && version == VERSION => {}
            _ if i == 0 => return Err(foreign()),
            Entry::Journal { .. } => return Err(foreign()),
            Entry::End { entries, sha256 } => {
                if entries != count || sha256 != hex(&hash.clone().finalize()) {
                    return Err(foreign());
                }
                ended = true;
                continue;
            }
            e => f(e)?,
        }
        hash.update(line.as_bytes());
        hash.update(b"\n");
        count += 1;
    }
    if !ended {
        return Err(foreign());
    }
    Ok(())
}

fn digest_of(tree: &mut Tree, rel: &str) -> Result<Option<String>> {
    Ok(tree.read(rel)?.map(|b| sha256(&b)))
}

/// Carries out a committed journal (step 3); every step may already have been done.
fn finish(tree: &mut Tree) -> Result<Done> {
    let mut done = Done::default();
    let mut emptied = BTreeSet::new();
    let out = tree.root().path().to_path_buf();
    for pass in 0..3 {
        let mut t = Tree::from_dir(Dir::open(&out)?);
        each_entry(tree, |e| {
            match (pass, e) {
                (0, Entry::Rename { target, sha256, .. })
                | (2, Entry::Manifest { target, sha256, .. }) => {
                    safe_relative(&target)?;
                    let (dir, name) = split(&target);
                    let d = t
                        .dir(dir, None)?
                        .ok_or_else(|| anyhow!("{} is missing", out.join(dir).display()))?;
                    match d.rename(&format!(".{name}{TMP_SUFFIX}"), name) {
                        Ok(()) => {
                            if pass == 0 {
                                done.written += 1;
                            }
                        }
                        // Renamed before the previous run stopped.
                        Err(e)
                            if e.kind() == std::io::ErrorKind::NotFound
                                && d.read(name)?
                                    .is_some_and(|b| manifest::sha256(&b) == sha256) => {}
                        Err(e) => {
                            return Err(e).with_context(|| {
                                format!("replacing {}", out.join(&target).display())
                            });
                        }
                    }
                }
                (1, Entry::Remove { target, sha256 }) => {
                    safe_relative(&target)?;
                    let (dir, name) = split(&target);
                    let Some(d) = t.dir(dir, None)? else {
                        return Ok(());
                    };
                    match d.read(name)? {
                        Some(b) if manifest::sha256(&b) == sha256 => {}
                        _ => return Ok(()), // already removed, or not the file the run meant
                    }
                    d.unlink(name)
                        .with_context(|| format!("removing {}", out.join(&target).display()))?;
                    if !target.ends_with(manifest::FILE_NAME) {
                        done.removed += 1;
                    }
                    emptied.insert(dir.to_string());
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    // The renames and removals reach the disk before the journal that names them goes. The
    // journal's removal needs no sync: a journal found again names only steps already done.
    tree.root().sync_fs()?;
    let mut emptied: Vec<String> = emptied.into_iter().collect();
    emptied.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    for mut dir in emptied {
        tree.forget();
        while !dir.is_empty() {
            let (parent, name) = split(&dir);
            let Ok(Some(p)) = tree.dir(parent, None) else {
                break;
            };
            if p.rmdir(name).is_err() {
                break;
            }
            tree.forget();
            dir = parent.to_string();
        }
    }
    tree.root()
        .unlink(JOURNAL)
        .with_context(|| format!("removing {}", out.join(JOURNAL).display()))?;
    Ok(done)
}

/// What [`recover`] found in the output folder.
#[derive(Debug, PartialEq, Eq)]
pub enum Recovered {
    /// No interrupted run (leftover temporary files, if any, were removed).
    Nothing,
    /// A run that had not reached its commit point: its staged files and folders were removed.
    RolledBack,
    /// A committed run, finished now.
    Finished(Done),
    /// A committed run that would replace files changed since it stopped: nothing was done.
    Conflicts(Vec<String>),
}

/// Whether a run left its journal (committed or not) in `out`.
pub fn interrupted(out: &Path) -> Result<bool> {
    let Some(tree) = Tree::open(out)? else {
        return Ok(false);
    };
    Ok(tree.root().kind(JOURNAL)?.is_some() || tree.root().kind(SPOOL)?.is_some())
}

/// Repairs what an interrupted run left in `out`: a committed journal is carried out (the run
/// is rolled forward) when it is whole, its own, and every file it replaces is as it expects;
/// a run that did not reach its commit point is rolled back. Symbolic links are never followed.
pub fn recover(out: &Path) -> Result<Recovered> {
    let Some(mut tree) = Tree::open(out)? else {
        return Ok(Recovered::Nothing);
    };
    // A run stopped before its commit point: its staged files go (those its journal had not
    // named yet too, below), then the folders it created.
    let spool = tree
        .root()
        .kind(SPOOL)?
        .map(|_| entries_lenient(&tree, SPOOL));
    let found = match tree.root().kind(JOURNAL)? {
        None => Recovered::Nothing,
        Some(Kind::Link) => {
            return Err(link_error(&out.join(JOURNAL)).context(
                "tfblueprint reads only the journal it wrote itself; nothing was changed",
            ));
        }
        Some(Kind::File) => roll_forward(&mut tree)?,
        Some(_) => bail!(
            "{} is not a file; move it away",
            out.join(JOURNAL).display()
        ),
    };
    if let Recovered::Conflicts(_) = found {
        return Ok(found); // the journal and its staged files stay for the next run
    }
    remove_stray_temporaries(out)?;
    if let Some(entries) = spool {
        unstage(&mut tree, &entries);
        let _ = tree.root().unlink(SPOOL);
    }
    Ok(found)
}

/// The state of one rename of a journal.
enum Pending {
    /// The staged file is whole and not renamed yet.
    Staged,
    /// Renamed already.
    Done,
    /// Neither: the staged file did not reach the disk, so the run was never committed.
    Lost,
}

fn roll_forward(tree: &mut Tree) -> Result<Recovered> {
    let out = tree.root().path().to_path_buf();
    // Pass 1: the journal is whole and ours; the state of every rename; the manifests.
    let mut committed = true;
    let mut conflicts = Vec::new();
    let mut manifests: HashMap<String, (String, bool)> = HashMap::new(); // app -> (sha256, pending)
    let mut t = Tree::from_dir(Dir::open(&out)?);
    each_entry(tree, |e| {
        if let Entry::Rename {
            target,
            sha256,
            was,
        }
        | Entry::Manifest {
            target,
            sha256,
            was,
        } = &e
        {
            safe_relative(target)?;
            let tmp = digest_of(&mut t, &temp_name(target))?;
            let now = digest_of(&mut t, target)?;
            let state = if tmp.as_ref() == Some(sha256) {
                Pending::Staged
            } else if now.as_ref() == Some(sha256) {
                Pending::Done
            } else {
                Pending::Lost
            };
            match state {
                Pending::Lost => committed = false,
                // A file in the way that is not the one the run planned over (a missing one
                // loses nothing).
                Pending::Staged if now.is_some() && now != *was => conflicts.push(target.clone()),
                _ => {}
            }
            if let Entry::Manifest { .. } = e {
                let app = app_of(target)?;
                if *target != format!("{app}/{}", manifest::FILE_NAME) {
                    bail!("the journal names {target} as a manifest");
                }
                manifests.insert(
                    app.to_string(),
                    (sha256.clone(), matches!(state, Pending::Staged)),
                );
            }
        }
        Ok(())
    })?;
    if !committed {
        undo(tree, JOURNAL);
        return Ok(Recovered::RolledBack);
    }
    // Pass 2: every path is a generated file of its app's manifest.
    // (app, files of its new manifest, files of its manifest on disk)
    type Files = BTreeMap<String, String>;
    let mut current: Option<(String, Files, Files)> = None;
    let mut foreign = Vec::new();
    each_entry(tree, |e| {
        let target = match &e {
            Entry::Rename { target, .. } | Entry::Remove { target, .. } => target.clone(),
            _ => return Ok(()),
        };
        let app = app_of(&target)?.to_string();
        let rel = &target[app.len() + 1..];
        if current.as_ref().is_none_or(|(a, _, _)| *a != app) {
            // (app, files of the new manifest, files of the manifest on disk)
            let manifest_rel = format!("{app}/{}", manifest::FILE_NAME);
            let read = |t: &mut Tree, rel: &str| -> Result<BTreeMap<String, String>> {
                Ok(match t.read(rel)? {
                    Some(b) => Manifest::parse(&text(b), &out.join(rel))?.files,
                    None => BTreeMap::new(),
                })
            };
            let new = match manifests.get(&app) {
                Some((_, true)) => read(&mut t, &temp_name(&manifest_rel))?,
                Some((_, false)) => read(&mut t, &manifest_rel)?,
                None => BTreeMap::new(),
            };
            let old = match manifests.get(&app) {
                Some((_, false)) => BTreeMap::new(), // replaced: its removals are done
                _ => read(&mut t, &manifest_rel)?,
            };
            current = Some((app.clone(), new, old));
        }
        let (_, new, old) = current.as_ref().expect("set above");
        let own = match &e {
            Entry::Rename { .. } => new.contains_key(rel),
            Entry::Remove { sha256, .. } => {
                if rel == manifest::FILE_NAME {
                    !manifests.contains_key(&app)
                } else if old.get(rel).is_some_and(|d| d == sha256) {
                    true
                } else {
                    // Not in the manifest on disk: only a file already removed may be named.
                    digest_of(&mut t, &target)?.as_ref() != Some(sha256)
                }
            }
            _ => true,
        };
        if !own {
            foreign.push(target);
        }
        Ok(())
    })?;
    if !foreign.is_empty() {
        bail!(
            "{} names files that are not generated files of their app's manifest, so it was not written by a run of tfblueprint on this folder; nothing was changed. Move it away and run again:\n{}",
            out.join(JOURNAL).display(),
            foreign
                .iter()
                .map(|p| format!("  {}", out.join(p).display()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if !conflicts.is_empty() {
        return Ok(Recovered::Conflicts(conflicts));
    }
    Ok(Recovered::Finished(finish(tree)?))
}

fn app_of(target: &str) -> Result<&str> {
    safe_relative(target)?;
    match target.split_once('/') {
        Some((app, rest)) if !app.starts_with('.') && !rest.is_empty() => Ok(app),
        _ => bail!("the journal names {target}, which is not in an app folder"),
    }
}

/// Removes temporary files (and links under their names) left by a run that stopped before it
/// wrote its journal.
fn remove_stray_temporaries(out: &Path) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(out).follow_links(false) {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy();
        let ft = entry.file_type();
        if (ft.is_file() || ft.is_symlink()) && name.starts_with('.') && name.ends_with(TMP_SUFFIX)
        {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(files: &[(&str, &str)]) -> AppOutput {
        let files: BTreeMap<String, String> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        AppOutput {
            app: "a".into(),
            manifest: Manifest {
                generator: "t".into(),
                blueprint: "a.hcl".into(),
                blueprint_sha256: String::new(),
                overlay: None,
                files: files
                    .iter()
                    .map(|(p, c)| (p.clone(), sha256(c.as_bytes())))
                    .collect(),
                inputs_sha256: None,
            },
            files,
        }
    }

    fn generate(out: &Path, a: &AppOutput) -> Staging {
        let plan = plan(out, a).unwrap();
        let s = Staging::new(out);
        s.stage(&plan, 1).unwrap();
        s
    }

    /// A folder of the app swapped for a link after the plan and the staging: the commit
    /// writes nothing through the link and stops with an error naming it.
    #[test]
    fn a_folder_swapped_for_a_link_after_staging_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        generate(&out, &app(&[("envs/dev/main.tf", "# v1\n")]))
            .commit()
            .unwrap();
        let staged = generate(&out, &app(&[("envs/dev/main.tf", "# v2\n")]));
        let outside = dir.path().join("outside");
        std::fs::rename(out.join("a/envs/dev"), &outside).unwrap();
        std::os::unix::fs::symlink(&outside, out.join("a/envs/dev")).unwrap();
        let err = staged.commit().unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert_eq!(
            std::fs::read_to_string(outside.join("main.tf")).unwrap(),
            "# v1\n"
        );
    }

    #[test]
    fn a_discarded_run_leaves_no_folder_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        generate(
            &out,
            &app(&[("envs/dev/main.tf", "x\n"), ("b/c/d.tf", "y\n")]),
        )
        .discard();
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }
}
