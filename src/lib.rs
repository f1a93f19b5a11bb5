//! tfblueprint: blueprint files in, Terraform/OpenTofu modules for AWS out.
//!
//! The pipeline: blueprint -> parse and validate (`blueprint`) -> derived facts (`model`) ->
//! templates, aligner and self-check (`render`) -> compare with disk, write, check or diff
//! (`output`). Everything before writing is pure.

pub mod batch;
pub mod blueprint;
pub mod cli;
pub mod diag;
pub mod generate;
pub mod manual;
pub mod model;
pub mod output;
pub mod presets;
pub mod progress;
pub mod render;
pub mod report;
pub mod review;
pub mod templates;

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;

/// Errors a run ends with, and their exit codes.
#[derive(Debug)]
pub enum Error {
    /// Blueprints that failed to parse or validate: exit 2.
    Blueprint(Vec<diag::Diagnostic>),
    /// The output differs from what the blueprints produce (already reported): exit 1.
    Changes,
    /// Anything else (I/O, a refused write, a template bug): exit 2.
    Other(anyhow::Error),
    /// A refusal that the user resolves (hand-edited or foreign files): exit 1.
    Refused(anyhow::Error),
}

impl Error {
    pub fn code(&self) -> i32 {
        match self {
            Error::Changes | Error::Refused(_) => 1,
            Error::Blueprint(_) | Error::Other(_) => 2,
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Other(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs the command line and returns the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match generate::dispatch(cli.command) {
        Ok(()) => 0,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            match &err {
                Error::Blueprint(diags) => {
                    for d in diags {
                        let _ = writeln!(stderr, "{d}");
                    }
                    let files: std::collections::BTreeSet<&str> =
                        diags.iter().map(|d| d.file.as_str()).collect();
                    let _ = writeln!(
                        stderr,
                        "error: {} problem{} in {}; nothing was written",
                        diags.len(),
                        if diags.len() == 1 { "" } else { "s" },
                        files.into_iter().collect::<Vec<_>>().join(", ")
                    );
                }
                Error::Changes => {}
                Error::Other(e) | Error::Refused(e) => {
                    let _ = writeln!(stderr, "error: {e:#}");
                }
            }
            err.code()
        }
    }
}
