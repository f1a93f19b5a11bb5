//! Test support: a work queue served by a fixed number of threads, as the checks that run
//! Terraform use it (roots of an app, roots of the apply harness, changes planned on one
//! applied root).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// `f` of every item on up to `jobs` threads (at least one): the items are started in their
/// order, each by the first thread that is free. The results come back in the order they
/// finished; callers that report them sort them.
pub fn run<T: Send, R: Send>(items: Vec<T>, jobs: usize, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    run_until(items, jobs, |_| false, f)
}

/// [`run`], but no item is started once a result for which `stop` holds has come back (the
/// items already started finish): for checks where the first failure's report is what
/// matters.
pub fn run_until<T: Send, R: Send>(
    items: Vec<T>,
    jobs: usize,
    stop: impl Fn(&R) -> bool + Sync,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let workers = jobs.max(1).min(items.len());
    let mut queue = items;
    queue.reverse(); // taken from the end
    let queue = Mutex::new(queue);
    let results = Mutex::new(Vec::new());
    let stopped = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    if stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop();
                    let Some(item) = next else {
                        return;
                    };
                    let result = f(item);
                    if stop(&result) {
                        stopped.store(true, Ordering::SeqCst);
                    }
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(result);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// The positive number the environment variable `var` holds, or `default` when it is unset or
/// not one.
pub fn jobs_from_env(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

// The apply harness is built without the test harness, which leaves the tests out and their
// imports unused.
#[cfg(test)]
#[allow(unused_imports)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_item_is_run_once_on_at_most_jobs_threads() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let mut got = run((0..40).collect(), 3, |i: u32| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(2));
            running.fetch_sub(1, Ordering::SeqCst);
            i * 2
        });
        got.sort_unstable();
        assert_eq!(got, (0..40).map(|i| i * 2).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 3, "{most:?} at once");
    }

    #[test]
    fn one_thread_takes_the_items_in_order() {
        assert_eq!(run(vec!["a", "b", "c"], 1, |s| s), vec!["a", "b", "c"]);
        assert_eq!(run(Vec::<u8>::new(), 4, |s| s), Vec::<u8>::new());
    }

    #[test]
    fn nothing_starts_after_a_result_that_stops_the_queue() {
        let got = run_until((0..10).collect(), 1, |r: &u32| *r == 3, |i| i);
        assert_eq!(got, vec![0, 1, 2, 3]);
    }

    #[test]
    fn jobs_come_from_a_positive_number_only() {
        let var = "TFBLUEPRINT_POOL_TEST_JOBS";
        assert_eq!(jobs_from_env(var, 5), 5);
        // SAFETY: only this test reads or writes this variable.
        unsafe { std::env::set_var(var, "0") };
        assert_eq!(jobs_from_env(var, 5), 5);
        unsafe { std::env::set_var(var, "7") };
        assert_eq!(jobs_from_env(var, 5), 7);
        unsafe { std::env::remove_var(var) };
    }
}
