//! The apply harness: every environment of the committed examples and of every blueprint under
//! tests/blueprints/ is applied against the local AWS emulator, planned again (the plan must show
//! no change), and destroyed (nothing may be left in the state).
//!
//! A test binary of its own (`harness = false`) so that it prints a line per environment and a
//! total as it goes, and runs several roots at once: they mostly wait on the provider's polling,
//! not on the CPU.
//!
//!     cargo test --test apply                  # every environment
//!     cargo test --test apply -- fargate-api   # the environments whose `<app>/<env>` contains it
//!
//! Without Terraform, its provider mirror, or a Python with the pinned moto it prints
//! `skipped: <reason>` and passes; with `TFBLUEPRINT_REQUIRE_TERRAFORM=1` or
//! `TFBLUEPRINT_REQUIRE_EMULATOR=1` (CI) it fails instead. `TFBLUEPRINT_APPLY_JOBS` sets how many
//! roots run at once (default 4); `TFBLUEPRINT_APPLY_KEEP=1` leaves each scratch folder (copy,
//! state, every command's log) in place and prints where.

mod support;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use support::apply::{Cycle, Outcome};
use support::emulator::Python;
use support::terraform::{Terraform, read_dir_sorted};
use support::{repo, run_in};

/// An environment root to apply: the app folder (`<out>/<app>`) and the environment.
struct Target {
    app_dir: PathBuf,
    env: String,
}

impl Target {
    fn label(&self) -> String {
        format!(
            "{}/{}",
            self.app_dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            self.env
        )
    }
}

/// Environments and scenarios that do not yet pass on the emulator, with what stands in the way.
/// They are listed, not run, unless a filter names them or `TFBLUEPRINT_APPLY_KNOWN_GAPS=1` (each
/// costs minutes of CI time); when they run, their failure does not fail the run, and one that
/// passes is reported so that it can leave this list. Every other environment must pass.
const KNOWN_GAPS: &[(&str, &str)] = &[];

fn known_gap(label: &str) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(prefix, _)| label.starts_with(prefix))
        .map(|(_, why)| *why)
}

/// A day-2 change made on an applied state: what AWS does on the next change, not only on the
/// first apply.
struct Scenario {
    name: &'static str,
    blueprint: &'static str,
    env: &'static str,
    steps: &'static [Step],
}

enum Step {
    /// Replace text in the blueprint (it must be there), regenerate, and apply: the change must
    /// apply in one go.
    Edit(&'static str, &'static str),
    /// Destroy the environment and apply it again from the same output.
    Recreate,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "container-port-change",
        blueprint: "tests/blueprints/minimal.hcl",
        env: "default",
        // The target group is replaced while its listener still forwards to it.
        steps: &[Step::Edit(
            "    port          = 80\n",
            "    port          = 8080\n",
        )],
    },
    Scenario {
        name: "destroy-twice",
        blueprint: "tests/blueprints/serverless-mysql.hcl",
        env: "dev",
        // Each destroy leaves a final snapshot; the second must not collide with the first.
        steps: &[Step::Recreate],
    },
];

/// One unit of work for the pool.
enum Work<'a> {
    Root(&'a Target),
    Scenario(&'a Scenario),
}

impl Work<'_> {
    fn label(&self) -> String {
        match self {
            Work::Root(t) => t.label(),
            Work::Scenario(s) => format!("scenario {}", s.name),
        }
    }
}

/// Runs a scenario: apply, each step, a plan that must show no change, destroy.
fn run_scenario(cycle: &Cycle, scenario: &Scenario) -> Outcome {
    let started = std::time::Instant::now();
    let label = format!("scenario {}", scenario.name);
    let mut outcome = Outcome {
        label: label.clone(),
        ..Outcome::default()
    };
    let ws = support::workspace(&[scenario.blueprint]);
    let blueprint = ws
        .path()
        .join("blueprints")
        .join(Path::new(scenario.blueprint).file_name().unwrap());
    let generate = |ws: &Path| {
        let run = run_in(ws, &["generate", "--out", "out"]);
        if run.code == 0 {
            Ok(())
        } else {
            Err(format!("[{label}] generate failed:\n{}", run.stderr))
        }
    };
    let result = (|| -> Result<(), String> {
        generate(ws.path())?;
        let app_dir = read_dir_sorted(&ws.path().join("out"))
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|p| p.join("envs").is_dir())
            .ok_or("no app generated")?;
        let scratch = cycle.prepare(&app_dir, scenario.env)?;
        scratch.apply()?;
        outcome.applied = true;
        for step in scenario.steps {
            match step {
                Step::Edit(from, to) => {
                    let text = std::fs::read_to_string(&blueprint).unwrap();
                    assert!(
                        text.contains(from),
                        "{label}: {from:?} not in the blueprint"
                    );
                    std::fs::write(&blueprint, text.replacen(from, to, 1)).unwrap();
                    generate(ws.path())?;
                    scratch.refresh_from(&app_dir)?;
                    scratch.apply()?;
                }
                Step::Recreate => {
                    scratch.destroy()?;
                    std::fs::remove_file(scratch.root.join(support::apply::UNPROTECT_FILE)).ok();
                    scratch.apply()?;
                }
            }
        }
        outcome.resources = scratch.state_list()?.len();
        scratch.converges()?;
        outcome.converged = true;
        scratch.destroy()?;
        outcome.destroyed = true;
        Ok(())
    })();
    if let Err(e) = result {
        outcome.failure = e;
    }
    outcome.took = started.elapsed();
    outcome
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // `cargo test -- --list`: one entry, as libtest would print it.
        println!("apply: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();

    let tf = match Terraform::find() {
        Ok(tf) => tf,
        Err(reason) => {
            println!("skipped: apply harness: {reason}");
            return ExitCode::SUCCESS;
        }
    };
    let python = match Python::find() {
        Ok(p) => p,
        Err(reason) => {
            println!("skipped: apply harness: {reason}");
            return ExitCode::SUCCESS;
        }
    };

    let generated = tempfile::Builder::new()
        .prefix("tfblueprint-apply-out-")
        .tempdir()
        .expect("temp dir");
    let targets: Vec<Target> = targets(generated.path());
    // Scenarios first: they apply more than once and take the longest.
    let work: Vec<Work> = SCENARIOS
        .iter()
        .map(Work::Scenario)
        .chain(targets.iter().map(Work::Root))
        .filter(|w| filters.is_empty() || filters.iter().any(|f| w.label().contains(f)))
        .collect();
    let run_gaps = !filters.is_empty()
        || std::env::var_os("TFBLUEPRINT_APPLY_KNOWN_GAPS").is_some_and(|v| v == "1");
    let (work, not_run): (Vec<Work>, Vec<Work>) = work
        .into_iter()
        .partition(|w| run_gaps || known_gap(&w.label()).is_none());
    for w in &not_run {
        println!(
            "  {}: not run, known gap: {} (TFBLUEPRINT_APPLY_KNOWN_GAPS=1 runs it)",
            w.label(),
            known_gap(&w.label()).unwrap_or_default()
        );
    }
    if work.is_empty() {
        println!("apply: no environment matches {filters:?}");
        return ExitCode::SUCCESS;
    }

    let jobs = std::env::var("TFBLUEPRINT_APPLY_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(4)
        .min(work.len());
    println!(
        "apply harness: {} environments and scenarios, {jobs} at a time, terraform {}, moto {}",
        work.len(),
        tf.version(),
        support::emulator::MOTO_VERSION
    );

    let cycle = Cycle::new(&tf, &python);
    let queue = Mutex::new(work.iter().rev().collect::<Vec<_>>());
    let outcomes = Mutex::new(Vec::<Outcome>::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let Some(work) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let outcome = match work {
                        Work::Root(t) => cycle.run(&t.app_dir, &t.env),
                        Work::Scenario(s) => run_scenario(&cycle, s),
                    };
                    println!("  {}", outcome.line());
                    if !outcome.ok() {
                        println!("    {}", outcome.failure.replace('\n', "\n    "));
                    }
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });

    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by(|a, b| a.label.cmp(&b.label));
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.ok() && known_gap(&o.label).is_none())
        .collect();
    let known: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.ok() && known_gap(&o.label).is_some())
        .collect();
    let now_passing: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.ok() && known_gap(&o.label).is_some())
        .collect();
    if !failed.is_empty() {
        println!(
            "\nFAILED (reasons above): {}",
            failed
                .iter()
                .map(|o| o.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("\nper environment:");
    for o in &outcomes {
        match known_gap(&o.label) {
            Some(why) if !o.ok() => println!("  {} [KNOWN GAP: {why}]", o.line()),
            Some(_) => println!("  {} [passes: take it off KNOWN_GAPS]", o.line()),
            None => println!("  {}", o.line()),
        }
    }
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    println!(
        "apply total: {} environments and scenarios, {} resources applied, {} converged, {} destroyed",
        outcomes.len(),
        outcomes.iter().map(|o| o.resources).sum::<usize>(),
        count(|o| o.converged),
        count(|o| o.destroyed),
    );
    println!(
        "apply: {} required and passing, {} known gaps still failing, {} known gaps now passing",
        outcomes.len() - failed.len() - known.len() - now_passing.len(),
        known.len(),
        now_passing.len()
    );
    println!(
        "apply: {} passed, {} failed",
        outcomes.len() - failed.len() - known.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The committed examples as they are, and every blueprint under tests/blueprints/ (not bad/)
/// generated into `out`.
fn targets(out: &Path) -> Vec<Target> {
    let mut apps = Vec::new();
    for app in read_dir_sorted(&repo().join("examples")).unwrap_or_default() {
        if app.join("envs").is_dir() {
            apps.push(app);
        }
    }
    let blueprints: Vec<String> = read_dir_sorted(&repo().join("tests/blueprints"))
        .expect("tests/blueprints")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["generate", "--out"];
    let out_str = out.display().to_string();
    args.push(&out_str);
    args.extend(blueprints.iter().map(String::as_str));
    run_in(&repo(), &args).expect(0);
    apps.extend(
        read_dir_sorted(out)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.join("envs").is_dir()),
    );

    let mut targets = Vec::new();
    for app_dir in apps {
        for env in read_dir_sorted(&app_dir.join("envs")).unwrap_or_default() {
            if env.is_dir() {
                targets.push(Target {
                    app_dir: app_dir.clone(),
                    env: env.file_name().unwrap().to_string_lossy().into_owned(),
                });
            }
        }
    }
    targets
}
