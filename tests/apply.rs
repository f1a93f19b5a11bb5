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
//! only those changes of the predictions (`-- predictions` runs their root alone).
//!
//! Each root is applied once, and every check that needs an applied state runs on it before
//! its destroy. The force-new table of the review is checked on the fewest roots whose
//! inventories hold every `(type, argument)` pair of all of them, once each converges
//! (`support::forcing`): every argument the inventory tracks is changed in a copy of the
//! state, and one plan of that copy must replace exactly the objects whose changed arguments
//! the table says force a new resource. The run ends with the
//! `(type, argument)` pairs checked over all roots. The review's predictions are planned on the
//! converged state of [`PREDICTION_ROOT`], and each day-2 scenario runs its steps on the root it
//! names, which must then converge again.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use support::apply::{Cycle, Outcome};
use support::emulator::Python;
use support::terraform::{Terraform, read_dir_sorted};
use support::{repo, run_in};

/// An environment root to apply: the app folder (`<out>/<app>`) and the environment.
struct Target {
    app_dir: PathBuf,
    env: String,
    /// Whether the force-new table is checked on this root: on the fewest roots whose
    /// inventories hold every `(type, argument)` any root's does ([`choose_forcing_roots`]).
    check_forcing: bool,
    /// The scenarios and predictions that run on this root once it converged.
    extras: Vec<Extra<'static>>,
}

impl Target {
    /// `<app>/<env>`
    fn root(&self) -> String {
        format!(
            "{}/{}",
            self.app_dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            self.env
        )
    }

    /// `<app>/<env>`, with ` + <extra>` for each extra: what filters match and outcomes show.
    fn label(&self) -> String {
        let mut label = self.root();
        for e in &self.extras {
            label.push_str(" + ");
            label.push_str(&e.label());
        }
        label
    }

    /// The resources the root's inventory lists (a line each): how long its cycle takes, roughly.
    fn resources(&self) -> usize {
        std::fs::read_to_string(
            self.app_dir
                .join("envs")
                .join(&self.env)
                .join(tfblueprint::review::inventory::FILE_NAME),
        )
        .map_or(0, |t| t.lines().count())
    }

    /// The extras one after the other, on the converged root.
    fn day2(&self, scratch: &support::apply::Scratch) -> Result<bool, String> {
        let mut changed = false;
        for e in &self.extras {
            changed |= e.run(scratch)?;
        }
        Ok(changed)
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
/// first apply. It runs on the root it names, once that root converged, and the root must
/// converge again after it.
struct Scenario {
    name: &'static str,
    /// The blueprint the steps edit, and the root (`<app>/<env>`) it generates.
    blueprint: &'static str,
    root: &'static str,
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
        root: "shop/default",
        // The target group is replaced while its listener still forwards to it.
        steps: &[Step::Edit(
            "    port          = 80\n",
            "    port          = 8080\n",
        )],
    },
    Scenario {
        name: "destroy-twice",
        blueprint: "tests/blueprints/serverless-mysql.hcl",
        root: "serverless-mysql/dev",
        // Each destroy leaves a final snapshot; the second must not collide with the first.
        steps: &[Step::Recreate],
    },
];

/// The blueprint and root the predictions are measured on: once the root converged, every
/// change of [`PREDICTIONS`] is planned on its state.
const PREDICTION_BLUEPRINT: &str = "tests/blueprints/full-stack.hcl";
const PREDICTION_ROOT: &str = "full-stack/dev";
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
        name: "health-check-timings",
        edits: &[(
            "    health_check  = \"/healthz\"\n",
            "    health_check {\n      path     = \"/healthz\"\n      matcher  = \"200\"\n      interval = 10\n      timeout  = 4\n    }\n",
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

/// Work done on a root once it converged, before its destroy: it shares the root's apply.
enum Extra<'a> {
    Scenario(&'a Scenario),
    Predictions,
}

impl Extra<'_> {
    fn label(&self) -> String {
        match self {
            Extra::Scenario(s) => format!("scenario {}", s.name),
            Extra::Predictions => "predictions".to_string(),
        }
    }

    /// Runs on the converged root: Ok(true) when it changed the state.
    fn run(&self, scratch: &support::apply::Scratch) -> Result<bool, String> {
        match self {
            Extra::Scenario(s) => run_scenario(scratch, s).map(|()| true),
            Extra::Predictions => run_predictions(scratch).map(|()| false),
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

/// On the converged root of [`PREDICTION_ROOT`], for every change of [`PREDICTIONS`], requires
/// Terraform's action on every address of the plan on that state to be the predicted one. The
/// changes are planned two at a time (`TFBLUEPRINT_PREDICTION_JOBS`), on the same server; the
/// state is left as it was.
fn run_predictions(scratch: &support::apply::Scratch) -> Result<(), String> {
    let label = "predictions";
    let file = Path::new(PREDICTION_BLUEPRINT).file_name().unwrap();
    // The output the root applied, generated again (generation is deterministic) beside the
    // blueprint it comes from: what `diff` compares each changed blueprint with.
    let base = support::workspace(&[PREDICTION_BLUEPRINT]);
    let run = run_in(base.path(), &["generate", "--out", "out"]);
    if run.code != 0 {
        return Err(format!("[{label}] generate failed:\n{}", run.stderr));
    }
    let app = PREDICTION_ROOT.split('/').next().unwrap_or_default();
    let text = std::fs::read_to_string(base.path().join("blueprints").join(file))
        .map_err(|e| e.to_string())?;
    let jobs = support::pool::jobs_from_env("TFBLUEPRINT_PREDICTION_JOBS", 2);
    // TFBLUEPRINT_PREDICTIONS=name,name plans only those changes (to work on one).
    let only = std::env::var("TFBLUEPRINT_PREDICTIONS").unwrap_or_default();
    let chosen: Vec<&Prediction> = PREDICTIONS
        .iter()
        .filter(|p| only.is_empty() || only.split(',').any(|n| n == p.name))
        .collect();
    let count = chosen.len();
    let mut results = support::pool::run(chosen, jobs, |p| {
        let m = measure(scratch, &text, file, &base.path().join("out"), app, p);
        (p.name, m)
    });
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
                failures.extend(
                    m.mismatches.into_iter().map(|(a, p, t)| {
                        format!("{name}: {a}: predicted {p}, Terraform plans {t}")
                    }),
                );
            }
            Err(e) => failures.push(e),
        }
    }
    println!("    predictions: {count} blueprint changes, {total} mismatches");
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("[{label}]\n{}", failures.join("\n")))
    }
}

/// Runs a scenario's steps on its converged root: each edit regenerated from the blueprint and
/// applied in one go, each re-creation a destroy and an apply of the same output.
fn run_scenario(scratch: &support::apply::Scratch, scenario: &Scenario) -> Result<(), String> {
    let label = format!("scenario {}", scenario.name);
    let ws = support::workspace(&[scenario.blueprint]);
    let blueprint = ws
        .path()
        .join("blueprints")
        .join(Path::new(scenario.blueprint).file_name().unwrap());
    let app = scenario.root.split('/').next().unwrap_or_default();
    let app_dir = ws.path().join("out").join(app);
    for step in scenario.steps {
        match step {
            Step::Edit(from, to) => {
                let text = std::fs::read_to_string(&blueprint).map_err(|e| e.to_string())?;
                if !text.contains(from) {
                    return Err(format!("[{label}] {from:?} is not in the blueprint"));
                }
                std::fs::write(&blueprint, text.replacen(from, to, 1))
                    .map_err(|e| e.to_string())?;
                let run = run_in(ws.path(), &["generate", "--out", "out"]);
                if run.code != 0 {
                    return Err(format!("[{label}] generate failed:\n{}", run.stderr));
                }
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
    println!("    {label}: {} steps applied", scenario.steps.len());
    Ok(())
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
    let all = targets(generated.path());
    println!(
        "force-new check on: {}",
        all.iter()
            .filter(|t| t.check_forcing)
            .map(Target::root)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut work: Vec<Target> = all
        .into_iter()
        .filter(|t| filters.is_empty() || filters.iter().any(|f| t.label().contains(f)))
        .collect();
    // Longest first, so that the last roots to finish are short ones: the roots with extras,
    // then by the resources their inventory lists.
    work.sort_by_cached_key(|t| (t.extras.is_empty(), std::cmp::Reverse(t.resources())));
    let run_gaps = !filters.is_empty()
        || std::env::var_os("TFBLUEPRINT_APPLY_KNOWN_GAPS").is_some_and(|v| v == "1");
    let (work, not_run): (Vec<Target>, Vec<Target>) = work
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

    let jobs = support::pool::jobs_from_env("TFBLUEPRINT_APPLY_JOBS", 4).min(work.len());
    println!(
        "apply harness: {} environments (with the scenarios and predictions on theirs), {jobs} at a time, terraform {}, moto {}",
        work.len(),
        tf.version(),
        support::emulator::MOTO_VERSION
    );

    let cycle = Cycle::new(&tf, &python);
    let mut outcomes = support::pool::run(work.iter().collect(), jobs, |t| {
        let day2 = |scratch: &support::apply::Scratch| t.day2(scratch);
        let mut outcome = cycle.run(
            &t.app_dir,
            &t.env,
            t.check_forcing,
            (!t.extras.is_empty()).then_some(&day2 as &support::apply::Day2),
        );
        outcome.label = t.label();
        println!("  {}", outcome.line());
        if !outcome.ok() {
            println!("    {}", outcome.failure.replace('\n', "\n    "));
        }
        outcome
    });
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
        "apply total: {} environments, {} resources applied, {} converged, {} destroyed",
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

/// Marks the roots the force-new table is checked on: each `(type, argument)` pair once, on
/// the fewest roots whose inventories hold every pair of all of them (a root with a remote
/// state is left out: its state is not a local file to copy and change).
fn choose_forcing_roots(targets: &mut [Target]) {
    let pairs: Vec<_> = targets
        .iter()
        .map(|t| {
            let root = t.app_dir.join("envs").join(&t.env);
            if root.join("backend.tf").exists() {
                return Default::default();
            }
            std::fs::read_to_string(root.join(tfblueprint::review::inventory::FILE_NAME))
                .ok()
                .and_then(|text| tfblueprint::review::inventory::parse(&text).ok())
                .map(|inventory| support::forcing::pairs(&inventory))
                .unwrap_or_default()
        })
        .collect();
    for i in support::forcing::cover(&pairs) {
        targets[i].check_forcing = true;
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
        for env in envs.iter().filter(|e| e.is_dir()) {
            let mut target = Target {
                app_dir: app_dir.clone(),
                env: env.file_name().unwrap().to_string_lossy().into_owned(),
                check_forcing: false,
                extras: Vec::new(),
            };
            let root = target.root();
            if root == PREDICTION_ROOT {
                target.extras.push(Extra::Predictions);
            }
            target.extras.extend(
                SCENARIOS
                    .iter()
                    .filter(|s| s.root == root)
                    .map(Extra::Scenario),
            );
            targets.push(target);
        }
    }
    choose_forcing_roots(&mut targets);
    // Every scenario and the predictions name a root that is there.
    for root in SCENARIOS.iter().map(|s| s.root).chain([PREDICTION_ROOT]) {
        assert!(
            targets.iter().any(|t| t.root() == root),
            "no root {root} to run its extras on"
        );
    }
    targets
}
