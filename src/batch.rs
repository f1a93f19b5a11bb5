//! Work over many blueprints on every core.
//!
//! [`map`] is an ordered parallel map on scoped threads: each worker takes the next item from a
//! shared counter (so one slow blueprint does not hold up the others) and the results come back
//! in input order, so that the output of a run is the same whatever the number of threads.
//! [`plan_all`] renders each blueprint, compares its files with the output folder and (for
//! `generate`) stages the new contents in one task, so that a run holds the differences in
//! memory and never the whole output at once.

use crate::Result;
use crate::generate::{Loaded, Renderers, render_app, unchanged_on_disk};
use crate::output::sync::{self, Staging, SyncPlan};
use crate::progress::Progress;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The number of worker threads: `TFBLUEPRINT_THREADS` if set to a positive number, else the
/// number of cores the process may use. Read once per process.
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("TFBLUEPRINT_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// The threads each of `items` tasks may use inside itself when the tasks run on every
/// thread: the threads the tasks leave idle, shared out (a single blueprint renders its
/// modules on every core; a thousand render one module at a time each).
pub fn threads_within(items: usize) -> usize {
    (threads() / items.max(1)).max(1)
}

/// `f` applied to every item on up to `threads` threads; the results in the order of `items`.
pub fn map<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// `a()` and `b()`, on two threads when `threads` is more than one.
pub fn join<A, B, RA, RB>(threads: usize, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    if threads < 2 {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let b = s.spawn(b);
        let ra = a();
        (
            ra,
            b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    })
}

/// What a command does with each app's files once they are compared with the output folder.
#[derive(Clone, Copy)]
pub enum Mode<'a> {
    /// Compare only: nothing is written, not even a temporary file. Unless `full`, an app
    /// whose manifest proves its folder in sync ([`sync::unchanged`]) is not rendered.
    Check { full: bool },
    /// Stage the new contents (see [`Staging::stage`]); `force` as given to `generate`.
    Generate { force: bool, staging: &'a Staging },
}

/// What rendering every blueprint and comparing it with the output folder found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The number of apps.
    pub apps: usize,
    /// The differences, as [`sync::plan`] reports them, of all apps. With
    /// [`Mode::Generate`] only the edited files and the foreign ones are kept, without their
    /// contents (which are staged instead): memory does not grow with the output.
    pub plan: SyncPlan,
    /// The number of files created, updated and removed.
    pub created: usize,
    pub updated: usize,
    pub removed: usize,
}

/// Renders every blueprint (as [`crate::generate::load_all`] gives them: one per app) and
/// compares its files with `out`, one blueprint per task on every core. Each task drops the
/// app's rendered files once compared (or staged), so memory holds the differences and not
/// the whole output. The result does not depend on the number of threads. On an error the
/// caller discards the staging.
pub fn plan_all(
    renderers: &Renderers,
    out: &Path,
    loaded: &[Loaded],
    mode: Mode,
    progress: &Progress,
) -> Result<Outcome> {
    let within = threads_within(loaded.len());
    let failed = AtomicBool::new(false);
    let refused = AtomicBool::new(false);
    let results = map(loaded, threads(), |one| -> Option<Result<SyncPlan>> {
        if failed.load(Ordering::Relaxed) {
            return None;
        }
        let result = (|| -> Result<SyncPlan> {
            if let Mode::Check { full: false } = mode
                && unchanged_on_disk(renderers, out, one, false).is_some()
            {
                return Ok(SyncPlan::default());
            }
            let app = render_app(renderers.for_app(one), one, within)?;
            let mut plan = sync::plan(out, &app)?;
            drop(app);
            if let Mode::Generate { force, staging } = mode {
                stage(&mut plan, force, staging, &refused, within)?;
            }
            Ok(plan)
        })();
        if result.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        progress.tick();
        Some(result)
    });
    let mut outcome = Outcome {
        apps: loaded.len(),
        ..Outcome::default()
    };
    let mut error = None;
    for result in results.into_iter().flatten() {
        match result {
            Ok(plan) => outcome.add(plan),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = error {
        return Err(e);
    }
    outcome.plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(outcome)
}

/// Stages one app's plan unless the run is refused (a refused run writes nothing: staging
/// stops once a refusal is known), then drops the contents and every change that is not
/// edited, keeping the counts.
pub fn stage(
    plan: &mut SyncPlan,
    force: bool,
    staging: &Staging,
    refused: &AtomicBool,
    within: usize,
) -> Result<()> {
    if !plan.foreign.is_empty() || (!force && plan.changes.iter().any(|c| c.edited)) {
        refused.store(true, Ordering::Relaxed);
    }
    if !refused.load(Ordering::Relaxed) {
        staging.stage(plan, within)?;
    }
    let count = |a: sync::Action| plan.changes.iter().filter(|c| c.action == a).count();
    plan.counts = Some([
        count(sync::Action::Create),
        count(sync::Action::Update),
        count(sync::Action::Delete),
    ]);
    plan.changes.retain(|c| c.edited);
    plan.digests = Default::default();
    for c in &mut plan.changes {
        c.old = None;
        c.new = None;
    }
    for m in &mut plan.manifests {
        m.text = String::new();
    }
    Ok(())
}

impl Outcome {
    /// Adds one app's plan.
    pub fn add(&mut self, mut plan: SyncPlan) {
        let [c, u, r] = plan.counts.take().unwrap_or_else(|| {
            let count = |a: sync::Action| plan.changes.iter().filter(|c| c.action == a).count();
            [
                count(sync::Action::Create),
                count(sync::Action::Update),
                count(sync::Action::Delete),
            ]
        });
        self.created += c;
        self.updated += u;
        self.removed += r;
        self.plan.changes.append(&mut plan.changes);
        self.plan.foreign.append(&mut plan.foreign);
        self.plan.manifests.append(&mut plan.manifests);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 3, 8, 2000] {
            let out = map(&items, threads, |&x| x * x);
            assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
        assert!(map(&[] as &[u8], 4, |&x| x).is_empty());
    }
}
