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
//! state, every command's log) in place and prints where; `TFBLUEPRINT_PREDICTIONS=a,b` plans
//! only those changes of the `predictions` job.
//!
//! After the first environment of each app converges, the force-new table of the review is
//! checked on it (`support::forcing`): every argument the inventory tracks is changed in a copy
//! of the state, and one plan of that copy must replace exactly the objects whose changed
//! arguments the table says force a new resource. The run ends with the `(type, argument)` pairs
//! checked over all roots.

mod support;

use std::collections::BTreeMap;
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
    /// Whether the force-new table is checked on this root: on the first environment of each
    /// app, which tracks every `(type, argument)` its other environments do (the environments
    /// of one app differ in sizes and counts, not in the kinds of resources).
    check_forcing: bool,
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

/// The blueprint and environment the predictions are measured on: applied once, then every
/// change of [`PREDICTIONS`] is planned on that state.
const PREDICTION_BLUEPRINT: &str = "tests/blueprints/full-stack.hcl";
const PREDICTION_ENV: &str = "dev";

/// A blueprint change whose `diff` prediction is compared with Terraform's plan: every edit
/// replaces each occurrence of a text (it must be there) in the blueprint.
struct Prediction {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
}

const PREDICTIONS: &[Prediction] = &[
    Prediction {
        name: "add-az",
        edits: &[("\"us-west-2c\"]", "\"us-west-2c\", \"us-west-2d\"]")],
    },
    Prediction {
        name: "container-port",
        edits: &[("8080", "9090")],
    },
    Prediction {
        name: "engine-version",
        edits: &[("\"16.4\"", "\"16.6\"")],
    },
    Prediction {
        name: "engine-major-version",
        edits: &[("\"16.4\"", "\"17.4\"")],
    },
    Prediction {
        name: "instance-class",
        edits: &[("\"db.t4g.medium\"", "\"db.r6g.large\"")],
    },
    Prediction {
        name: "rename-service",
        edits: &[
            ("service \"worker\"", "service \"jobs\""),
            ("\"service.worker\"", "\"service.jobs\""),
        ],
    },
    Prediction {
        name: "remove-cache",
        edits: &[
            (", \"cache.session\"", ""),
            (
                "  cache \"session\" {\n    engine    = \"redis\"\n    version   = \"7.1\"\n    node_type = \"cache.t4g.small\"\n    nodes     = 2\n  }\n",
                "",
            ),
            (
                "    private_record \"session\" {\n      target = \"cache.session\"\n    }\n",
                "",
            ),
            ("    cache \"session\" {\n      nodes = 1\n    }\n", ""),
            (
                "    cache \"session\" {\n      node_type = \"cache.r7g.large\"\n      nodes     = 3\n    }\n",
                "",
            ),
        ],
    },
    Prediction {
        name: "add-service-with-route",
        edits: &[(
            "  allow {\n",
            "  service \"admin\" {\n    image        = \"public.ecr.aws/nginx/nginx:1.27-alpine\"\n    port         = 80\n    health_check = \"/\"\n\n    route {\n      load_balancer = \"public\"\n      listener      = \"https\"\n      hosts         = [\"admin.example.com\"]\n    }\n  }\n\n  allow {\n",
        )],
    },
    Prediction {
        name: "nat-per-az",
        edits: &[("nat          = \"single\"", "nat          = \"per_az\"")],
    },
    Prediction {
        name: "listener-port",
        edits: &[("port     = 443", "port     = 8443")],
    },
    Prediction {
        name: "certificate",
        edits: &[(
            "certificate/00000000-0000-0000-0000-000000000000",
            "certificate/00000000-0000-0000-0000-000000000001",
        )],
    },
    Prediction {
        name: "fargate-cpu-memory",
        edits: &[(
            "    cpu           = 256\n    memory        = 512\n",
            "    cpu           = 512\n    memory        = 1024\n",
        )],
    },
    Prediction {
        name: "data-subnets-off",
        edits: &[("data_subnets = true", "data_subnets = false")],
    },
    Prediction {
        name: "internal-load-balancer",
        edits: &[(
            "    redirect_http = true\n",
            "    redirect_http = true\n    internal      = true\n",
        )],
    },
    Prediction {
        name: "discovery-on",
        edits: &[(
            "    uses          = [\"file_system.assets\"]\n",
            "    uses          = [\"file_system.assets\"]\n    discovery     = true\n",
        )],
    },
    Prediction {
        name: "autoscaling-on",
        edits: &[(
            "    uses          = [\"file_system.assets\"]\n",
            "    uses          = [\"file_system.assets\"]\n\n    autoscaling {\n      min = 2\n      max = 4\n      cpu = 60\n    }\n",
        )],
    },
    Prediction {
        name: "remove-service",
        edits: &[
            (
                "  service \"worker\" {\n    repository    = true\n    cpu           = 1024\n    memory        = 2048\n    desired_count = 1\n    command       = [\"./worker\", \"--queue\", \"default\"]\n    uses          = [\"database.main\", \"cache.session\", \"file_system.assets\"]\n\n    mount {\n      file_system  = \"assets\"\n      access_point = \"public\"\n      path         = \"/srv/assets\"\n    }\n  }\n\n",
                "",
            ),
            (
                "  allow {\n    from  = \"service.worker\"\n    to    = \"service.api\"\n    ports = \"8080\"\n  }\n\n",
                "",
            ),
        ],
    },
    Prediction {
        name: "cache-engine",
        edits: &[(
            "engine    = \"redis\"\n    version   = \"7.1\"",
            "engine    = \"valkey\"\n    version   = \"8.0\"",
        )],
    },
    Prediction {
        name: "ec2-capacity",
        edits: &[(
            "    capacity           = \"fargate\"\n",
            "    capacity           = \"ec2\"\n    instance_type      = \"t3.large\"\n",
        )],
    },
    Prediction {
        name: "autoscaled-desired-count",
        edits: &[(
            "desired_count = 1\n      autoscaling {",
            "desired_count = 3\n      autoscaling {",
        )],
    },
];

/// One unit of work for the pool.
enum Work<'a> {
    Root(&'a Target),
    Scenario(&'a Scenario),
    Predictions,
}

impl Work<'_> {
    fn label(&self) -> String {
        match self {
            Work::Root(t) => t.label(),
            Work::Scenario(s) => format!("scenario {}", s.name),
            Work::Predictions => "predictions".to_string(),
        }
    }
}

/// Every address whose action Terraform's plan (address -> action, see
/// [`support::apply::Scratch::plan_variant`]) and the prediction (`diff --format json`, one
/// environment) do not agree on: `(address, predicted, terraform)`.
fn mismatches(
    terraform: &BTreeMap<String, String>,
    predicted: &serde_json::Value,
) -> Vec<(String, String, String)> {
    let mut actions: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for (address, action) in terraform {
        actions.entry(address).or_default().1 = Some(action);
    }
    for r in predicted["resources"].as_array().into_iter().flatten() {
        let address = r["address"].as_str().unwrap_or_default();
        actions.entry(address).or_default().0 = r["action"].as_str();
    }
    let show = |a: Option<&str>| a.unwrap_or("no change").to_string();
    actions
        .into_iter()
        .filter(|(_, (p, t))| p != t)
        .map(|(a, (p, t))| (a.to_string(), show(p), show(t)))
        .collect()
}

/// What one blueprint change of [`PREDICTIONS`] came to.
struct Measured {
    predicted: usize,
    planned: usize,
    mismatches: Vec<(String, String, String)>,
}

/// Regenerates the blueprint with the change, predicts with `diff --format json` against the
/// applied output (`base_out`), and plans the new output on the applied state.
fn measure(
    scratch: &support::apply::Scratch,
    text: &str,
    file: &std::ffi::OsStr,
    base_out: &Path,
    app: &str,
    p: &Prediction,
) -> Result<Measured, String> {
    let mut changed = text.to_string();
    for (from, to) in p.edits {
        if !changed.contains(from) {
            return Err(format!("{}: {from:?} is not in the blueprint", p.name));
        }
        changed = changed.replace(from, to);
    }
    let ws = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::create_dir(ws.path().join("blueprints")).map_err(|e| e.to_string())?;
    std::fs::write(ws.path().join("blueprints").join(file), changed).map_err(|e| e.to_string())?;
    let base_out = base_out.display().to_string();
    let diff = run_in(ws.path(), &["diff", "--out", &base_out, "--format", "json"]);
    if diff.code != 0 {
        return Err(format!("{}: diff failed:\n{}", p.name, diff.stderr));
    }
    let report: serde_json::Value = serde_json::from_str(&diff.stdout)
        .map_err(|e| format!("{}: diff --format json: {e}", p.name))?;
    let run = run_in(ws.path(), &["generate", "--out", "out"]);
    if run.code != 0 {
        return Err(format!("{}: generate failed:\n{}", p.name, run.stderr));
    }
    let terraform = scratch.plan_variant(&ws.path().join("out").join(app), p.name)?;
    let env = &report["environments"][format!("{app}/{PREDICTION_ENV}")];
    if let Ok(dir) = std::env::var("TFBLUEPRINT_PREDICTIONS_DUMP") {
        // For working on the prediction: Terraform's actions and the changed blueprint.
        let dir = Path::new(&dir).join(p.name);
        std::fs::create_dir_all(dir.join("blueprints")).ok();
        std::fs::write(
            dir.join("terraform.json"),
            serde_json::json!(terraform).to_string(),
        )
        .ok();
        std::fs::copy(
            ws.path().join("blueprints").join(file),
            dir.join("blueprints").join(file),
        )
        .ok();
    }
    Ok(Measured {
        predicted: env["resources"].as_array().map_or(0, Vec::len),
        planned: terraform.len(),
        mismatches: mismatches(&terraform, env),
    })
}

/// Applies [`PREDICTION_BLUEPRINT`] once, then for every change of [`PREDICTIONS`] requires
/// Terraform's action on every address of the plan on that state to be the predicted one.
/// The changes are planned two at a time (`TFBLUEPRINT_PREDICTION_JOBS`), on the same server.
fn run_predictions(cycle: &Cycle) -> Outcome {
    let started = std::time::Instant::now();
    let label = "predictions".to_string();
    let mut outcome = Outcome {
        label: label.clone(),
        ..Outcome::default()
    };
    let file = Path::new(PREDICTION_BLUEPRINT).file_name().unwrap();
    let base = support::workspace(&[PREDICTION_BLUEPRINT]);
    let result = (|| -> Result<(), String> {
        let run = run_in(base.path(), &["generate", "--out", "out"]);
        if run.code != 0 {
            return Err(format!("[{label}] generate failed:\n{}", run.stderr));
        }
        let app_dir = read_dir_sorted(&base.path().join("out"))
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|p| p.join("envs").is_dir())
            .ok_or("no app generated")?;
        let app = app_dir.file_name().unwrap().to_string_lossy().into_owned();
        let scratch = cycle.prepare(&app_dir, PREDICTION_ENV)?;
        scratch.apply()?;
        outcome.applied = true;
        outcome.resources = scratch.state_list()?.len();
        // This plan refreshes every object and must find no change: the state is what the
        // server holds, so the plans of the changes may skip their refresh.
        scratch.converges()?;
        outcome.converged = true;
        let text = std::fs::read_to_string(base.path().join("blueprints").join(file))
            .map_err(|e| e.to_string())?;
        let jobs = std::env::var("TFBLUEPRINT_PREDICTION_JOBS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(2);
        // TFBLUEPRINT_PREDICTIONS=name,name plans only those changes (to work on one).
        let only = std::env::var("TFBLUEPRINT_PREDICTIONS").unwrap_or_default();
        let chosen: Vec<&Prediction> = PREDICTIONS
            .iter()
            .filter(|p| only.is_empty() || only.split(',').any(|n| n == p.name))
            .collect();
        let count = chosen.len();
        let queue = Mutex::new(chosen);
        let results = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..jobs {
                s.spawn(|| {
                    loop {
                        let Some(p) = queue.lock().unwrap().pop() else {
                            return;
                        };
                        let m = measure(&scratch, &text, file, &base.path().join("out"), &app, p);
                        results.lock().unwrap().push((p.name, m));
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap();
        results.sort_by_key(|(name, _)| *name);
        let mut failures = Vec::new();
        let mut total = 0;
        for (name, m) in results {
            match m {
                Ok(m) => {
                    println!(
                        "    prediction {name}: {} addresses changed by Terraform's plan, {} predicted, {} mismatches",
                        m.planned,
                        m.predicted,
                        m.mismatches.len()
                    );
                    total += m.mismatches.len();
                    failures.extend(m.mismatches.into_iter().map(|(a, p, t)| {
                        format!("{name}: {a}: predicted {p}, Terraform plans {t}")
                    }));
                }
                Err(e) => failures.push(e),
            }
        }
        println!("    predictions: {count} blueprint changes, {total} mismatches");
        scratch.destroy()?;
        outcome.destroyed = true;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(format!("[{label}]\n{}", failures.join("\n")))
        }
    })();
    if let Err(e) = result {
        outcome.failure = e;
    }
    outcome.took = started.elapsed();
    outcome
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
    let work: Vec<Work> = std::iter::once(Work::Predictions)
        .chain(SCENARIOS.iter().map(Work::Scenario))
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
                        Work::Root(t) => cycle.run(&t.app_dir, &t.env, t.check_forcing),
                        Work::Scenario(s) => run_scenario(&cycle, s),
                        Work::Predictions => run_predictions(&cycle),
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
    forcing_summary(&outcomes);
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

/// What the force-new check of the roots came to, over all of them: every `(type, argument)`
/// changed on an applied state, and the table's entries that no root exercised.
fn forcing_summary(outcomes: &[Outcome]) {
    let mut checked: BTreeMap<(String, String), bool> = BTreeMap::new();
    for f in outcomes.iter().filter_map(|o| o.forcing.as_ref()) {
        checked.extend(f.checked.clone());
    }
    if checked.is_empty() {
        return;
    }
    let types: std::collections::BTreeSet<&str> = checked.keys().map(|(t, _)| t.as_str()).collect();
    let mismatches: usize = outcomes
        .iter()
        .filter_map(|o| o.forcing.as_ref())
        .map(|f| f.mismatches.len())
        .sum();
    println!(
        "force-new table: {} arguments of {} resource types changed on an applied state, {} replace, {mismatches} mismatches",
        checked.len(),
        types.len(),
        checked.values().filter(|r| **r).count(),
    );
    for ((t, a), replaced) in &checked {
        println!(
            "    {t} {a}: {}",
            if *replaced { "replace" } else { "update" }
        );
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
        let envs = read_dir_sorted(&app_dir.join("envs")).unwrap_or_default();
        for (i, env) in envs.iter().filter(|e| e.is_dir()).enumerate() {
            targets.push(Target {
                app_dir: app_dir.clone(),
                env: env.file_name().unwrap().to_string_lossy().into_owned(),
                check_forcing: i == 0,
            });
        }
    }
    targets
}
