//! Output: the manifest, comparing what a run produces with what is on disk, writing it all or
//! nothing, and showing the difference.

pub mod diff;
pub mod fsx;
pub mod lock;
pub mod manifest;
pub mod sync;
