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
//! roots run at once (default 4).

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
    let targets: Vec<Target> = targets(generated.path())
        .into_iter()
        .filter(|t| filters.is_empty() || filters.iter().any(|f| t.label().contains(f)))
        .collect();
    if targets.is_empty() {
        println!("apply: no environment matches {filters:?}");
        return ExitCode::SUCCESS;
    }

    let jobs = std::env::var("TFBLUEPRINT_APPLY_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(4)
        .min(targets.len());
    println!(
        "apply harness: {} environments, {jobs} at a time, terraform {}, moto {}",
        targets.len(),
        tf.version(),
        support::emulator::MOTO_VERSION
    );

    let cycle = Cycle::new(&tf, &python);
    let queue = Mutex::new(targets.iter().rev().collect::<Vec<_>>());
    let outcomes = Mutex::new(Vec::<Outcome>::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let Some(target) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let outcome = cycle.run(&target.app_dir, &target.env);
                    println!("  {}", outcome.line());
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });

    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by(|a, b| a.label.cmp(&b.label));
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.ok()).collect();
    for o in &failed {
        println!("\nFAILED {}\n{}", o.label, o.failure);
    }
    println!("\nper environment:");
    for o in &outcomes {
        println!("  {}", o.line());
    }
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    println!(
        "apply total: {} environments, {} resources applied, {} converged, {} destroyed",
        outcomes.len(),
        outcomes.iter().map(|o| o.resources).sum::<usize>(),
        count(|o| o.converged),
        count(|o| o.destroyed),
    );
    println!(
        "apply: {} passed, {} failed",
        outcomes.len() - failed.len(),
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
