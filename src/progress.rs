//! A progress line on stderr for runs over many blueprints: only on a terminal, and never where
//! the conventions ask for plain output (`--quiet`, `NO_COLOR`, `TERM=dumb`, `CI`), so that
//! nothing reaches a CI log or a redirected stderr.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Runs with fewer blueprints than this finish before a line would help.
pub const MIN_BLUEPRINTS: usize = 10;

/// How often the line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// Whether to show progress: a run over at least [`MIN_BLUEPRINTS`] blueprints, stderr a
/// terminal, no `--quiet`, and none of `NO_COLOR` (non-empty), `TERM=dumb` or `CI` (non-empty
/// and not "false" or "0") in `env`.
pub fn wanted(
    blueprints: usize,
    quiet: bool,
    stderr_is_terminal: bool,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let ci = env("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    blueprints >= MIN_BLUEPRINTS
        && !quiet
        && stderr_is_terminal
        && !set("NO_COLOR")
        && env("TERM").is_none_or(|t| t != "dumb")
        && !ci
}

/// A count of finished blueprints, drawn as `generating 120/1000` on one line of stderr.
pub struct Progress {
    on: bool,
    total: usize,
    verb: &'static str,
    done: AtomicUsize,
    drawn: Mutex<Option<Instant>>,
}

impl Progress {
    /// Progress over `total` blueprints, shown if [`wanted`] in this process's environment.
    pub fn new(total: usize, quiet: bool, verb: &'static str) -> Progress {
        let on = wanted(total, quiet, std::io::stderr().is_terminal(), |name| {
            std::env::var(name).ok()
        });
        Progress {
            on,
            total,
            verb,
            done: AtomicUsize::new(0),
            drawn: Mutex::new(None),
        }
    }

    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress {
            on: false,
            total: 0,
            verb: "",
            done: AtomicUsize::new(0),
            drawn: Mutex::new(None),
        }
    }

    /// One more blueprint done.
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.on {
            return;
        }
        let Ok(mut drawn) = self.drawn.try_lock() else {
            return; // another thread is drawing
        };
        if drawn.is_some_and(|at| at.elapsed() < REDRAW) && done < self.total {
            return;
        }
        *drawn = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{} {done}/{}", self.verb, self.total);
        let _ = err.flush();
    }

    /// Clears the line (if one was drawn), so that what follows starts on a clean line.
    pub fn finish(&self) {
        if self.on && self.drawn.lock().is_ok_and(|d| d.is_some()) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shown_only_on_a_terminal_for_many_blueprints() {
        assert!(wanted(
            1000,
            false,
            true,
            env(&[("TERM", "xterm-256color")])
        ));
        assert!(wanted(MIN_BLUEPRINTS, false, true, env(&[])));
        assert!(!wanted(MIN_BLUEPRINTS - 1, false, true, env(&[])));
        assert!(
            !wanted(1000, false, false, env(&[])),
            "stderr not a terminal"
        );
        assert!(!wanted(1000, true, true, env(&[])), "--quiet");
    }

    #[test]
    fn conventions_for_plain_output_turn_it_off() {
        assert!(!wanted(1000, false, true, env(&[("NO_COLOR", "1")])));
        assert!(
            wanted(1000, false, true, env(&[("NO_COLOR", "")])),
            "empty NO_COLOR is unset"
        );
        assert!(!wanted(1000, false, true, env(&[("TERM", "dumb")])));
        assert!(!wanted(1000, false, true, env(&[("CI", "true")])));
        assert!(!wanted(1000, false, true, env(&[("CI", "1")])));
        assert!(wanted(1000, false, true, env(&[("CI", "false")])));
        assert!(wanted(1000, false, true, env(&[("CI", "0")])));
    }

    #[test]
    fn a_hidden_progress_counts_and_draws_nothing() {
        let p = Progress::hidden();
        p.tick();
        p.finish();
        assert_eq!(p.done.load(Ordering::Relaxed), 1);
    }
}
