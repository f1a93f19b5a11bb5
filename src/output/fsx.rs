//! Folders of the output tree opened as handles, so that no symbolic link inside the output
//! folder is ever followed: each folder is opened relative to its parent with `O_NOFOLLOW`
//! (`openat`), and every file is created, read, renamed or removed relative to the handle of
//! its own folder. A link swapped in for a folder after it was checked changes nothing: the
//! handle still names the real folder. Only the output folder itself may be given through a
//! link.

use anyhow::{Context, Result, anyhow, bail};
use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open folder of the output tree.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

fn cstr(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a name"))
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// The error for a symbolic link met inside the output folder.
pub fn link_error(path: &Path) -> anyhow::Error {
    anyhow!(
        "{} is a symbolic link; tfblueprint does not follow links inside its output folder: remove the link (or move it away) and run again",
        path.display()
    )
}

/// What a name in a folder is, without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    Other,
}

impl Dir {
    /// Opens the output folder itself (which may be given through a link or with `..`).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let f = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path)?;
        Ok(Dir {
            fd: f.into(),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn raw_fd(&self) -> libc::c_int {
        self.fd.as_raw_fd()
    }

    fn openat(&self, name: &str, flags: libc::c_int) -> io::Result<OwnedFd> {
        let c = cstr(name)?;
        // SAFETY: openat reads the NUL-terminated name; the descriptor it returns is owned here.
        let fd = check(unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                flags | libc::O_CLOEXEC,
                0o666 as libc::c_uint,
            )
        })?;
        // SAFETY: a fresh descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// What `name` is in this folder (a link is not followed); `None` when it does not exist.
    pub fn kind(&self, name: &str) -> io::Result<Option<Kind>> {
        let c = cstr(name)?;
        // SAFETY: an all-zero `stat` is a valid value to be overwritten by fstatat.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstatat writes into `st`, which lives for the call.
        let ret = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if ret < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
        Ok(Some(match st.st_mode & libc::S_IFMT {
            libc::S_IFREG => Kind::File,
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFLNK => Kind::Link,
            _ => Kind::Other,
        }))
    }

    /// The error for `name`, which could not be opened as it should.
    fn refuse(&self, name: &str, what: &str, e: io::Error) -> anyhow::Error {
        let path = self.path.join(name);
        match self.kind(name) {
            Ok(Some(Kind::Link)) => link_error(&path),
            Ok(Some(Kind::Other)) => anyhow!(
                "{} is not a regular file or folder (a FIFO, socket or device); move it away",
                path.display()
            ),
            Ok(Some(Kind::File)) if what == "folder" => anyhow!(
                "{} is a file where tfblueprint needs a folder; move it away",
                path.display()
            ),
            Ok(Some(Kind::Dir)) if what == "file" => anyhow!(
                "{} is a folder where tfblueprint needs a file; move it away",
                path.display()
            ),
            _ => anyhow::Error::from(e).context(format!("opening {}", path.display())),
        }
    }

    /// The sub-folder `name`; `None` when it does not exist. A link is an error.
    pub fn sub(&self, name: &str) -> Result<Option<Dir>> {
        match self.openat(name, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW) {
            Ok(fd) => Ok(Some(Dir {
                fd,
                path: self.path.join(name),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.refuse(name, "folder", e)),
        }
    }

    /// Creates the sub-folder `name`; false when it already exists (as anything).
    pub fn mkdir(&self, name: &str) -> Result<bool> {
        let c = cstr(name)?;
        // SAFETY: mkdirat reads the NUL-terminated name.
        match check(unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), 0o777) }) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => {
                Err(e).with_context(|| format!("creating {}", self.path.join(name).display()))
            }
        }
    }

    /// The regular file `name` opened for reading; `None` when it does not exist. A link, a
    /// folder, a FIFO or a device is an error (a FIFO is never waited on).
    pub fn open_file(&self, name: &str) -> Result<Option<fs::File>> {
        let fd = match self.openat(
            name,
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
        ) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.refuse(name, "file", e)),
        };
        let file = fs::File::from(fd);
        let meta = file
            .metadata()
            .with_context(|| format!("reading {}", self.path.join(name).display()))?;
        if !meta.is_file() {
            if meta.is_dir() {
                bail!(
                    "{} is a folder where tfblueprint needs a file; move it away",
                    self.path.join(name).display()
                );
            }
            bail!(
                "{} is not a regular file (a FIFO, socket or device); move it away",
                self.path.join(name).display()
            );
        }
        Ok(Some(file))
    }

    /// The content of the regular file `name`; `None` when it does not exist.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(mut f) = self.open_file(name)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        io::Read::read_to_end(&mut f, &mut buf)
            .with_context(|| format!("reading {}", self.path.join(name).display()))?;
        Ok(Some(buf))
    }

    /// Creates the file `name` afresh (`O_CREAT|O_EXCL|O_NOFOLLOW`): whatever stood under that
    /// name, a stale file or a link, is removed and never followed, and the create is tried
    /// once more.
    pub fn create_new(&self, name: &str) -> Result<fs::File> {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
        let fd = match self.openat(name, flags) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                match self.unlink(name) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(self.refuse(name, "file", e)),
                }
                self.openat(name, flags)
            }
            opened => opened,
        };
        Ok(fs::File::from(
            fd.map_err(|e| self.refuse(name, "file", e))?,
        ))
    }

    /// Renames `from` to `to`, both in this folder. A link at `to` is replaced, not followed.
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (a, b) = (cstr(from)?, cstr(to)?);
        let fd = self.fd.as_raw_fd();
        // SAFETY: renameat reads the two NUL-terminated names.
        check(unsafe { libc::renameat(fd, a.as_ptr(), fd, b.as_ptr()) }).map(|_| ())
    }

    /// Removes the file (or link) `name`.
    pub fn unlink(&self, name: &str) -> io::Result<()> {
        let c = cstr(name)?;
        // SAFETY: unlinkat reads the NUL-terminated name.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) }).map(|_| ())
    }

    /// Removes the empty folder `name`.
    pub fn rmdir(&self, name: &str) -> io::Result<()> {
        let c = cstr(name)?;
        // SAFETY: unlinkat reads the NUL-terminated name.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) })
            .map(|_| ())
    }

    /// The names in this folder, sorted (read through the handle, not the path).
    pub fn names(&self) -> Result<Vec<String>> {
        let dup = self
            .openat(".", libc::O_RDONLY | libc::O_DIRECTORY)
            .with_context(|| format!("listing {}", self.path.display()))?;
        let list = fs::read_dir(format!("/proc/self/fd/{}", dup.as_raw_fd()))
            .or_else(|_| fs::read_dir(&self.path))
            .with_context(|| format!("listing {}", self.path.display()))?;
        let mut names: Vec<String> = list
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        drop(dup);
        Ok(names)
    }

    /// Syncs the file system that holds this folder (Linux: `syncfs`), else this folder.
    pub fn sync_fs(&self) -> Result<()> {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: syncfs only reads the open descriptor.
            if unsafe { libc::syncfs(self.fd.as_raw_fd()) } != 0 {
                return Err(io::Error::last_os_error())
                    .with_context(|| format!("syncing {}", self.path.display()));
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            // SAFETY: fsync only reads the open descriptor.
            let _ = unsafe { libc::fsync(self.fd.as_raw_fd()) };
        }
        Ok(())
    }
}

/// The output folder with the handles of the folders it opened: a folder is opened once per
/// tree (a few dozen kept at a time), each relative to its parent.
pub struct Tree {
    root: Arc<Dir>,
    cache: HashMap<String, Arc<Dir>>,
    /// Folders found missing by a lookup that creates nothing, so that the files of a new app
    /// folder are not each looked for again.
    missing: HashSet<String>,
}

const CACHED: usize = 48;

/// Called with each folder (relative path) [`Tree::dir`] is about to create; may refuse.
pub type Announce<'a> = dyn FnMut(&str) -> Result<()> + 'a;

/// Splits `a/b/c` into (`a/b`, `c`); a bare name has the parent "".
pub fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

impl Tree {
    /// The output folder, or `None` when it does not exist.
    pub fn open(out: &Path) -> Result<Option<Tree>> {
        match Dir::open(out) {
            Ok(d) => Ok(Some(Tree::from_dir(d))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("opening {}", out.display())),
        }
    }

    pub fn from_dir(root: Dir) -> Tree {
        Tree {
            root: Arc::new(root),
            cache: HashMap::new(),
            missing: HashSet::new(),
        }
    }

    pub fn root(&self) -> &Dir {
        &self.root
    }

    /// The folder `rel` (relative to the output folder, "" for itself): `None` when it does
    /// not exist. With `create`, missing folders are made, each first announced to `create`
    /// (which may refuse).
    pub fn dir(
        &mut self,
        rel: &str,
        mut create: Option<&mut Announce>,
    ) -> Result<Option<Arc<Dir>>> {
        if rel.is_empty() {
            return Ok(Some(self.root.clone()));
        }
        if let Some(d) = self.cache.get(rel) {
            return Ok(Some(d.clone()));
        }
        if create.is_none()
            && rel
                .match_indices('/')
                .map(|(i, _)| &rel[..i])
                .chain([rel])
                .any(|p| self.missing.contains(p))
        {
            return Ok(None);
        }
        // The deepest folder on the way that is open already.
        let mut cur = self.root.clone();
        let mut at = 0;
        for (i, _) in rel.match_indices('/').collect::<Vec<_>>().into_iter().rev() {
            if let Some(d) = self.cache.get(&rel[..i]) {
                cur = d.clone();
                at = i + 1;
                break;
            }
        }
        let mut end = at;
        while end < rel.len() {
            let next = rel[end..].find('/').map_or(rel.len(), |j| end + j);
            let name = &rel[end..next];
            let prefix = &rel[..next];
            let mut d = cur.sub(name)?;
            if d.is_none()
                && let Some(note) = create.as_mut()
            {
                note(prefix)?;
                cur.mkdir(name)?;
                self.missing.clear();
                d = cur.sub(name)?;
            }
            let Some(d) = d else {
                if self.missing.len() >= CACHED {
                    self.missing.clear();
                }
                self.missing.insert(prefix.to_string());
                return Ok(None);
            };
            let d = Arc::new(d);
            if self.cache.len() >= CACHED {
                self.cache.clear();
            }
            self.cache.insert(prefix.to_string(), d.clone());
            cur = d;
            end = next + 1;
        }
        Ok(Some(cur))
    }

    /// The content of the file `rel`; `None` when it (or a folder on its way) does not exist.
    pub fn read(&mut self, rel: &str) -> Result<Option<Vec<u8>>> {
        let (parent, name) = split(rel);
        match self.dir(parent, None)? {
            Some(d) => d.read(name),
            None => Ok(None),
        }
    }

    /// Forgets the handles (after folders were removed).
    pub fn forget(&mut self) {
        self.cache.clear();
        self.missing.clear();
    }
}
