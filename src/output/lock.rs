//! One writer at a time: `generate` holds an exclusive `flock` on the output folder for the
//! whole run, `check` and `diff` a shared one. A second run waits (saying so) or, with
//! `--no-wait`, fails at once. The lock is held on the folder itself, so it leaves no file
//! behind, and the kernel releases it when the process ends, however it ends.

use super::fsx::Dir;
use anyhow::{Context, Result, anyhow};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `generate`: no other run at the same time.
    Exclusive,
    /// `check`, `diff`: any number of readers, no writer.
    Shared,
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Lock {
    _dir: Dir,
}

/// Locks the output folder `out`, which must exist. Without `wait`, a lock held by another
/// run is an error; with it, `waiting` is called once and the call blocks until it is free.
pub fn acquire(out: &Path, mode: Mode, wait: bool, waiting: impl FnOnce()) -> Result<Lock> {
    let dir = Dir::open(out).with_context(|| format!("opening {}", out.display()))?;
    let op = match mode {
        Mode::Exclusive => libc::LOCK_EX,
        Mode::Shared => libc::LOCK_SH,
    };
    // SAFETY: flock only reads the open descriptor.
    if unsafe { libc::flock(dir.raw_fd(), op | libc::LOCK_NB) } == 0 {
        return Ok(Lock { _dir: dir });
    }
    let e = std::io::Error::last_os_error();
    if e.kind() != std::io::ErrorKind::WouldBlock {
        return Err(e).with_context(|| format!("locking {}", out.display()));
    }
    if !wait {
        return Err(anyhow!(
            "another tfblueprint run is using {} (it holds the folder's lock); nothing was done. Run again when it has finished, or without --no-wait to wait for it",
            out.display()
        ));
    }
    waiting();
    loop {
        // SAFETY: as above.
        if unsafe { libc::flock(dir.raw_fd(), op) } == 0 {
            return Ok(Lock { _dir: dir });
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).with_context(|| format!("locking {}", out.display()));
        }
    }
}
