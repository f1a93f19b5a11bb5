//! Test support: apply an environment root against the emulator, plan it again, destroy it.
//!
//! ```ignore
//! let outcome = Cycle::new(&tf, &python).run(&out.join("myapp"), "dev", false, None);
//! assert!(outcome.ok(), "{}", outcome.failure);
//! ```
//!
//! Each root runs on a scratch copy of its app (nothing is written into the directory under
//! test) with a server of its own, so roots in the same account never see each other. An
//! override file points every endpoint the configuration uses at the server and signs the calls
//! as the environment's account; `skip_requesting_account_id` stays false, as in a real account.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use super::emulator::{Emulator, Python, Seed};
use super::forcing::Forcing;
use super::reattach::{REATTACH_VAR, SharedProvider};
use super::terraform::{Terraform, copy_tree, describe, provider_aliases, read_dir_sorted};

/// The override file written into the scratch copy of a root.
pub const OVERRIDE_FILE: &str = "tfblueprint_emulator_override.tf";

/// The longest one Terraform command of a cycle may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(12 * 60);

/// The account a root runs in when its provider pins none.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// Every endpoint of the AWS provider that the generated modules use.
const ENDPOINTS: &[&str] = &[
    "acm",
    "appautoscaling",
    "autoscaling",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elasticache",
    "elbv2",
    "iam",
    "kms",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "ssm",
    "sts",
];

/// What happened to one root.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// `<app>/<env>`
    pub label: String,
    /// Resources in the state after apply (0 when apply failed).
    pub resources: usize,
    pub applied: bool,
    pub converged: bool,
    pub destroyed: bool,
    /// Why the cycle failed, with the command's output; empty when it did not.
    pub failure: String,
    pub took: Duration,
    /// How long each Terraform command took, in order: `init 4 s, apply 71 s, ...`.
    pub phases: String,
    /// The force-new table checked on the applied root (None: not checked).
    pub forcing: Option<Forcing>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.applied
            && self.converged
            && self.destroyed
            && self.failure.is_empty()
            && self
                .forcing
                .as_ref()
                .is_none_or(|f| f.mismatches.is_empty())
    }

    /// One line: `fargate-api/dev: 54 resources applied, converged yes, destroyed yes (103 s)`.
    pub fn line(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "NO" };
        format!(
            "{}: {} resources applied{}, converged {}, destroyed {} ({} s{}{})",
            self.label,
            self.resources,
            if self.applied { "" } else { " (apply FAILED)" },
            yes(self.converged),
            yes(self.destroyed),
            self.took.as_secs(),
            if self.phases.is_empty() { "" } else { ": " },
            self.phases
        )
    }
}

/// Day-2 work on a converged root ([`Cycle::run`]): Ok(true) when it changed the state.
pub type Day2<'x> = dyn Fn(&Scratch) -> Result<bool, String> + Sync + 'x;

/// Runs apply / plan / destroy cycles.
pub struct Cycle<'a> {
    pub tf: &'a Terraform,
    pub python: &'a Python,
}

/// A root copied to scratch, with its server, ready for Terraform commands.
pub struct Scratch<'a> {
    tf: &'a Terraform,
    pub root: PathBuf,
    cli_config: PathBuf,
    pub emulator: Emulator,
    pub label: String,
    /// The root's S3 backend, if it has one: its state lives in the emulator's S3.
    pub backend: Option<Backend>,
    /// The account the root runs in.
    pub account: String,
    step: std::sync::atomic::AtomicUsize,
    /// The provider process every command of the root attaches to, once `init` installed it.
    provider: Option<SharedProvider>,
    /// Each Terraform command run so far and how long it took.
    timings: std::sync::Mutex<Vec<(String, Duration)>>,
    _dir: tempfile::TempDir,
}

impl<'a> Cycle<'a> {
    pub fn new(tf: &'a Terraform, python: &'a Python) -> Self {
        Cycle { tf, python }
    }

    /// Copies `<app_dir>` to scratch, starts a server seeded for `env`, writes the override and
    /// runs `terraform init`.
    pub fn prepare(&self, app_dir: &Path, env: &str) -> Result<Scratch<'a>, String> {
        let app = app_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = format!("{app}/{env}");
        let dir = tempfile::Builder::new()
            .prefix("tfblueprint-apply-")
            .tempdir()
            .map_err(|e| format!("[{label}] temp dir: {e}"))?;
        let copy = dir.path().join(&app);
        copy_tree(app_dir, &copy).map_err(|e| format!("[{label}] copy: {e}"))?;
        let root = copy.join("envs").join(env);
        let seed = seed_for(&copy, env);
        let emulator = Emulator::start(self.python, &seed, dir.path())
            .map_err(|e| format!("[{label}] {e}"))?;
        fs::write(
            root.join(OVERRIDE_FILE),
            emulator_override(&root, &emulator, &seed),
        )
        .map_err(|e| format!("[{label}] write {OVERRIDE_FILE}: {e}"))?;
        let cli_config = dir.path().join("terraformrc");
        fs::write(&cli_config, self.tf.cli_config())
            .map_err(|e| format!("[{label}] write the CLI config: {e}"))?;
        let backend = Backend::of(&root);
        let mut scratch = Scratch {
            backend,
            tf: self.tf,
            root,
            cli_config,
            emulator,
            label,
            account: seed.account.clone(),
            step: Default::default(),
            provider: None,
            timings: Default::default(),
            _dir: dir,
        };
        scratch.run(&["init", "-input=false", "-no-color"])?;
        let log = scratch._dir.path().join("provider.log");
        scratch.provider = SharedProvider::for_root(&scratch.root, &log)
            .map_err(|e| format!("[{}] {e}", scratch.label))?;
        Ok(scratch)
    }

    /// apply, a second plan that must show no change, destroy, and an empty state after it;
    /// with `check_forcing`, the force-new table checked on the converged root in between
    /// ([`Scratch::forcing`]); with `day2`, more work on the converged root before the destroy
    /// (plans on its state, or changes applied to it: when it says it changed the state, the
    /// root must converge again). One apply serves every check of the root.
    pub fn run(
        &self,
        app_dir: &Path,
        env: &str,
        check_forcing: bool,
        day2: Option<&Day2<'_>>,
    ) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome {
            label: format!(
                "{}/{env}",
                app_dir.file_name().unwrap_or_default().to_string_lossy()
            ),
            ..Outcome::default()
        };
        let scratch = match self.prepare(app_dir, env) {
            Ok(s) => s,
            Err(e) => {
                outcome.failure = e;
                outcome.took = started.elapsed();
                return outcome;
            }
        };
        let mut failures = Vec::new();
        match scratch.apply() {
            Ok(()) => {
                outcome.applied = true;
                outcome.resources = scratch.state_list().map(|l| l.len()).unwrap_or(0);
                match scratch.converges() {
                    Ok(()) => outcome.converged = true,
                    Err(e) => failures.push(e),
                }
                if outcome.converged && check_forcing {
                    match scratch.forcing() {
                        Ok(Some(f)) => {
                            if !f.mismatches.is_empty() {
                                failures.push(format!(
                                    "[{}] the force-new table and the provider disagree:\n{}",
                                    scratch.label,
                                    f.mismatches.join("\n")
                                ));
                            }
                            outcome.forcing = Some(f);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            outcome.forcing = Some(Forcing {
                                mismatches: vec!["the check could not run".into()],
                                ..Forcing::default()
                            });
                            failures.push(e);
                        }
                    }
                }
                if let Some(day2) = day2.filter(|_| outcome.converged) {
                    match day2(&scratch) {
                        Ok(false) => {}
                        Ok(true) => {
                            outcome.converged = false;
                            outcome.resources = scratch.state_list().map(|l| l.len()).unwrap_or(0);
                            match scratch.converges() {
                                Ok(()) => outcome.converged = true,
                                Err(e) => failures.push(e),
                            }
                        }
                        Err(e) => failures.push(e),
                    }
                }
            }
            Err(e) => failures.push(e),
        }
        match scratch.destroy() {
            Ok(()) => outcome.destroyed = true,
            Err(e) => failures.push(e),
        }
        if !failures.is_empty() {
            let missing = scratch.emulator.unimplemented();
            if !missing.is_empty() {
                failures.push(format!(
                    "[{}] the emulator lacks: {}",
                    scratch.label,
                    missing.join("; ")
                ));
            }
        }
        outcome.failure = failures.join("\n\n");
        outcome.took = started.elapsed();
        outcome.phases = scratch.timings();
        if std::env::var_os("TFBLUEPRINT_APPLY_KEEP").is_some() {
            let label = scratch.label.clone();
            eprintln!("[{label}] kept in {}", scratch.keep().display());
        }
        outcome
    }
}

impl Scratch<'_> {
    /// Brings the scratch copy up to date with `app_dir` (a regenerated app), keeping the
    /// state, Terraform's working data and the harness's override.
    pub fn refresh_from(&self, app_dir: &Path) -> Result<(), String> {
        let copy = self
            .root
            .parent()
            .and_then(Path::parent)
            .expect("<app>/envs/<env>");
        copy_tree(app_dir, copy).map_err(|e| format!("[{}] copy: {e}", self.label))
    }

    /// `init 4 s, apply 71 s, plan 9 s, ...`: the commands run so far, with their wall time.
    pub fn timings(&self) -> String {
        let timings = self.timings.lock().unwrap_or_else(|e| e.into_inner());
        timings
            .iter()
            .map(|(command, took)| format!("{command} {} s", took.as_secs()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Leaves the scratch folder (the copy, its state and every command's log) in place when
    /// the cycle ends, and returns its path (`TFBLUEPRINT_APPLY_KEEP=1`, to look into a run).
    pub fn keep(self) -> PathBuf {
        self._dir.keep()
    }

    /// Runs `terraform args...` in the root; Err with the command and its output on failure.
    pub fn run(&self, args: &[&str]) -> Result<Output, String> {
        let out = self.output(args)?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(self.failure(&format!("terraform {}", args.join(" ")), &out))
        }
    }

    /// Runs `terraform args...` in the root, its output also written to `<scratch>/<n>-<command>.log`
    /// as it runs (to watch a slow apply: `tail -f /tmp/tfblueprint-apply-*/*-apply.log`).
    pub fn output(&self, args: &[&str]) -> Result<Output, String> {
        self.output_in(&self.root, args, true)
    }

    /// Runs `terraform args...` in `root` (this root or a variant of it), as [`Scratch::output`],
    /// attached to the root's provider process when `attach`: variants that plan at the same
    /// time as each other start providers of their own.
    fn output_in(&self, root: &Path, args: &[&str], attach: bool) -> Result<Output, String> {
        let mut cmd = self.tf.command(root, &self.cli_config, None, args);
        if let Some(provider) = self.provider.as_ref().filter(|_| attach) {
            cmd.env(REATTACH_VAR, provider.reattach());
        }
        let n = self.step.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let log = self._dir.path().join(format!("{n}-{}.log", args[0]));
        let err = self._dir.path().join(format!("{n}-{}.stderr", args[0]));
        let file = |p: &Path| {
            fs::File::create(p).map_err(|e| format!("[{}] create {}: {e}", self.label, p.display()))
        };
        let mut child = cmd
            .stdout(file(&log)?)
            .stderr(file(&err)?)
            .spawn()
            .map_err(|e| format!("[{}] cannot run {}: {e}", self.label, describe(&cmd)))?;
        // A provider waiter that never ends (a resource the emulator never settles) must not
        // hold the whole run: past the limit the command is killed and reported as failed.
        let started = Instant::now();
        let deadline = started + COMMAND_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                _ => {
                    self.record(args[0], started.elapsed());
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "[{}] `terraform {}` did not finish within {} s:\n{}",
                        self.label,
                        args.join(" "),
                        COMMAND_TIMEOUT.as_secs(),
                        tail(&fs::read_to_string(&log).unwrap_or_default(), 20)
                    ));
                }
            }
        };
        self.record(args[0], started.elapsed());
        Ok(Output {
            status,
            stdout: fs::read(&log).unwrap_or_default(),
            stderr: fs::read(&err).unwrap_or_default(),
        })
    }

    fn record(&self, command: &str, took: Duration) {
        self.timings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((command.to_owned(), took));
    }

    fn failure(&self, what: &str, out: &Output) -> String {
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The errors, not pages of "Still creating...".
        let errors: Vec<&str> = stdout
            .split("\nError: ")
            .skip(1)
            .map(|e| e.split("\n\n\n").next().unwrap_or(e))
            .collect();
        format!(
            "[{}] `{what}` failed (exit {:?})\n{}\n--- stderr ---\n{}",
            self.label,
            out.status.code(),
            if errors.is_empty() {
                tail(&stdout, 40)
            } else {
                errors
                    .iter()
                    .map(|e| format!("Error: {}", e.trim_end()))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            },
            tail(&String::from_utf8_lossy(&out.stderr), 40)
        )
    }

    /// Plans `app_dir` (the app regenerated from a changed blueprint) on this root's applied
    /// state, without applying: the app is copied beside this one, gets this root's override,
    /// lock file, working data (`.terraform`, a link) and a copy of its local state, and
    /// `plan -refresh=false` runs against the same server. Skipping the refresh is sound right
    /// after [`Scratch::converges`]: that plan refreshed every object and found no change, so the
    /// state is what the emulator holds. Returns Terraform's action on every address it changes,
    /// from the plan's machine-readable output (`create`, `update`, `replace`, `delete`, or
    /// `move` for an address a `moved` block carries, with or without changes).
    pub fn plan_variant(
        &self,
        app_dir: &Path,
        name: &str,
    ) -> Result<BTreeMap<String, String>, String> {
        let root = self.variant(app_dir, name)?;
        let args = [
            "plan",
            "-refresh=false",
            "-lock=false",
            "-input=false",
            "-no-color",
            "-json",
        ];
        let out = self.output_in(&root, &args, false)?;
        if !out.status.success() {
            return Err(self.failure(&format!("terraform {} ({name})", args.join(" ")), &out));
        }
        let mut actions = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if m["type"] != "planned_change" {
                continue;
            }
            let c = &m["change"];
            let action = c["action"].as_str().unwrap_or_default();
            let moved = c["previous_resource"]["addr"].is_string();
            let action = match action {
                // A data source read at apply time: not a managed resource.
                "read" => continue,
                "update" | "move" | "noop" if moved => "move",
                a => a,
            };
            if let Some(address) = c["resource"]["addr"].as_str() {
                actions.insert(address.to_string(), action.to_string());
            }
        }
        Ok(actions)
    }

    /// A copy of `app_dir` beside this root, with this root's override, lock file, working data
    /// (`.terraform`, a link) and a copy of its local state: the root of the copy.
    fn variant(&self, app_dir: &Path, name: &str) -> Result<PathBuf, String> {
        let env_dir = self
            .root
            .strip_prefix(self.root.parent().and_then(Path::parent).unwrap());
        let app = app_dir.file_name().unwrap_or_default();
        let copy = self._dir.path().join("variants").join(name).join(app);
        copy_tree(app_dir, &copy).map_err(|e| format!("[{}] copy: {e}", self.label))?;
        let root = copy.join(env_dir.unwrap());
        for f in [OVERRIDE_FILE, ".terraform.lock.hcl", "terraform.tfstate"] {
            fs::copy(self.root.join(f), root.join(f))
                .map_err(|e| format!("[{}] copy {f} to the variant {name}: {e}", self.label))?;
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(self.root.join(".terraform"), root.join(".terraform"))
            .map_err(|e| format!("[{}] link .terraform: {e}", self.label))?;
        Ok(root)
    }

    /// Checks the force-new table of the review against the provider on this applied root
    /// (see [`super::forcing`]): every tracked argument of every resource changed in a copy of
    /// the state, one `plan -refresh=false` of that copy, and the arguments the plan replaces
    /// for compared with the table. Sound right after [`Scratch::converges`], as
    /// [`Scratch::plan_variant`]. Roots with a remote state are left out (None).
    pub fn forcing(&self) -> Result<Option<Forcing>, String> {
        if self.backend.is_some() {
            return Ok(None);
        }
        let read = |p: &Path| {
            fs::read_to_string(p).map_err(|e| format!("[{}] read {}: {e}", self.label, p.display()))
        };
        let inventory = tfblueprint::review::inventory::parse(&read(
            &self.root.join(tfblueprint::review::inventory::FILE_NAME),
        )?)
        .map_err(|e| format!("[{}] the inventory: {e}", self.label))?;
        let state: serde_json::Value =
            serde_json::from_str(&read(&self.root.join("terraform.tfstate"))?)
                .map_err(|e| format!("[{}] the state: {e}", self.label))?;
        let (perturbed_state, perturbed) = super::forcing::perturb_state(&state, &inventory);
        let app_dir = self.root.parent().and_then(Path::parent).unwrap();
        let root = self.variant(app_dir, "forcing")?;
        fs::write(root.join("terraform.tfstate"), perturbed_state.to_string())
            .map_err(|e| format!("[{}] write the changed state: {e}", self.label))?;
        // The root is idle while its copy plans: the copy may use the root's provider process.
        let args = [
            "plan",
            "-refresh=false",
            "-lock=false",
            "-input=false",
            "-no-color",
            "-out=forcing.plan",
        ];
        let out = self.output_in(&root, &args, true)?;
        if !out.status.success() {
            return Err(self.failure(&format!("terraform {} (forcing)", args.join(" ")), &out));
        }
        let show = self.output_in(&root, &["show", "-json", "-no-color", "forcing.plan"], true)?;
        if !show.status.success() {
            return Err(self.failure("terraform show -json forcing.plan", &show));
        }
        let plan: serde_json::Value = serde_json::from_slice(&show.stdout)
            .map_err(|e| format!("[{}] show -json: {e}", self.label))?;
        Ok(Some(super::forcing::compare(
            &perturbed,
            &super::forcing::replace_paths(&plan),
        )))
    }

    pub fn apply(&self) -> Result<(), String> {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])?;
        self.state_is_remote()
    }

    /// With a backend: the state is the object the backend names in the emulator's bucket,
    /// the lock file is gone once the command ended, and there is no local state file.
    pub fn state_is_remote(&self) -> Result<(), String> {
        let Some(backend) = &self.backend else {
            return Ok(());
        };
        let keys = self
            .emulator
            .s3_keys(&self.account, &backend.region, &backend.bucket)
            .map_err(|e| format!("[{}] {e}", self.label))?;
        let lock = format!("{}.tflock", backend.key);
        if !keys.contains(&backend.key) || keys.contains(&lock) {
            return Err(format!(
                "[{}] after apply, s3://{} holds {keys:?}: want the state {} and no lock file {lock}",
                self.label, backend.bucket, backend.key
            ));
        }
        if self.root.join("terraform.tfstate").exists() {
            return Err(format!(
                "[{}] a local terraform.tfstate was written although the root has an S3 backend",
                self.label
            ));
        }
        Ok(())
    }

    /// `plan -detailed-exitcode` must exit 0; Err names every address that would change.
    pub fn converges(&self) -> Result<(), String> {
        let args = [
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            "-out=converge.plan",
        ];
        let out = self.output(&args)?;
        match out.status.code() {
            Some(0) => Ok(()),
            Some(2) => {
                let text = String::from_utf8_lossy(&out.stdout);
                Err(format!(
                    "[{}] the configuration does not converge: a plan after apply shows changes:\n{}",
                    self.label,
                    plan_changes(&text)
                ))
            }
            _ => Err(self.failure(&format!("terraform {}", args.join(" ")), &out)),
        }
    }

    /// Tears the environment down as its owner would: deletion protection off (an override of
    /// the module calls that set it, applied), then `destroy`; the state must be empty after it.
    pub fn destroy(&self) -> Result<(), String> {
        if let Some((text, modules)) = unprotect_override(&self.root) {
            fs::write(self.root.join(UNPROTECT_FILE), text)
                .map_err(|e| format!("[{}] write {UNPROTECT_FILE}: {e}", self.label))?;
            // Only the modules whose protection changes, on the state as applied (the
            // converge plan has just read every object back).
            let targets: Vec<String> = modules
                .iter()
                .map(|m| format!("-target=module.{m}"))
                .collect();
            let mut args = vec![
                "apply",
                "-auto-approve",
                "-input=false",
                "-no-color",
                "-refresh=false",
            ];
            args.extend(targets.iter().map(String::as_str));
            self.run(&args)?;
        }
        self.run(&[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-refresh=false",
        ])?;
        let left = self.state_list()?;
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "[{}] destroy left resources in the state: {}",
                self.label,
                left.join(", ")
            ))
        }
    }

    /// The addresses in the state.
    pub fn state_list(&self) -> Result<Vec<String>, String> {
        if self.backend.is_none() && !self.root.join("terraform.tfstate").exists() {
            return Ok(Vec::new());
        }
        let out = self.run(&["state", "list", "-no-color"])?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("data."))
            .filter(|l| !l.contains(".data."))
            .map(str::to_owned)
            .collect())
    }
}

/// The override that turns deletion protection off before a destroy.
pub const UNPROTECT_FILE: &str = "tfblueprint_unprotect_override.tf";

/// Every module call of the root's main.tf that sets `deletion_protection = true` (on its own
/// or inside a map such as `databases`), copied with `false` in its place; None when there is
/// none; with the names of those module calls. Generated files are `terraform fmt` formatted,
/// so a module block ends at a line `}`.
pub fn unprotect_override(root: &Path) -> Option<(String, Vec<String>)> {
    let text = fs::read_to_string(root.join("main.tf")).ok()?;
    let mut out =
        String::from("# Written by the apply harness: deletion protection off, to destroy.\n");
    let mut block: Option<String> = None;
    let mut found = false;
    let mut modules = Vec::new();
    for line in text.lines() {
        if line.starts_with("module \"") {
            block = Some(String::new());
        }
        if let Some(b) = block.as_mut() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix("deletion_protection")
                && rest
                    .trim_start()
                    .strip_prefix('=')
                    .is_some_and(|v| v.trim() == "true")
            {
                let indent = &line[..line.len() - t.len()];
                b.push_str(&format!(
                    "{indent}deletion_protection{}\n",
                    rest.replace("true", "false")
                ));
                found = true;
            } else {
                b.push_str(line);
                b.push('\n');
            }
            if line == "}" {
                let b = block.take().unwrap();
                if b.contains("deletion_protection") && b.contains("= false") {
                    if let Some(name) = b.split('"').nth(1) {
                        modules.push(name.to_string());
                    }
                    out.push('\n');
                    out.push_str(&b);
                }
            }
        }
    }
    found.then_some((out, modules))
}

/// The resource headers and changed attributes of a human-readable plan.
pub fn plan_changes(plan: &str) -> String {
    plan.lines()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("# ")
                || t.starts_with("~ ")
                || t.starts_with("+ ")
                || t.starts_with("- ")
                || t.starts_with("-/+ ")
                || t.starts_with("Plan:")
        })
        .take(120)
        .collect::<Vec<_>>()
        .join("\n")
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The S3 backend a root declares in its `backend.tf` (a `state` block in the blueprint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub bucket: String,
    pub key: String,
    pub region: String,
    /// The rest of the block's lines (`encrypt`, `use_lockfile`), as generated.
    pub rest: Vec<String>,
}

impl Backend {
    pub fn of(root: &Path) -> Option<Backend> {
        let text = fs::read_to_string(root.join("backend.tf")).ok()?;
        let body: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("backend \"s3\""))
            .skip(1)
            .take_while(|l| l.trim() != "}")
            .collect();
        let get = |key: &str| body.iter().find_map(|l| line_string(l, key));
        let rest = body
            .iter()
            .filter(|l| {
                let t = l.trim_start();
                !t.is_empty()
                    && !t.starts_with('#')
                    && !["bucket", "key", "region"]
                        .iter()
                        .any(|k| t.split([' ', '=']).next() == Some(k))
            })
            .map(|l| l.trim().to_owned())
            .collect();
        Some(Backend {
            bucket: get("bucket")?,
            key: get("key")?,
            region: get("region")?,
            rest,
        })
    }
}

/// The backend block of the override: the root's own settings (Terraform replaces a backend
/// block of an override file whole), plus what points it at the emulator.
fn backend_override(backend: &Backend, emulator: &Emulator, seed: &Seed) -> String {
    let endpoint = emulator.endpoint();
    let mut text = String::from("\nterraform {\n  backend \"s3\" {\n");
    text.push_str(&format!("    bucket = \"{}\"\n", backend.bucket));
    text.push_str(&format!("    key    = \"{}\"\n", backend.key));
    text.push_str(&format!("    region = \"{}\"\n", backend.region));
    for line in &backend.rest {
        text.push_str(&format!("    {line}\n"));
    }
    text.push_str(&format!(
        "
    access_key                  = \"{}\"
    secret_key                  = \"emulator\"
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true

    endpoints = {{
      s3  = \"{endpoint}\"
      sts = \"{endpoint}\"
    }}
  }}
}}
",
        Emulator::access_key(&seed.account)
    ));
    text
}

/// The provider settings that send every call of the root to the emulator.
fn emulator_override(root: &Path, emulator: &Emulator, seed: &Seed) -> String {
    let mut aliases = vec![None];
    aliases.extend(provider_aliases(root).into_iter().map(Some));
    let endpoint = emulator.endpoint();
    let mut text =
        String::from("# Written by the apply harness: every call goes to the local emulator.\n");
    for alias in aliases {
        text.push_str("\nprovider \"aws\" {\n");
        if let Some(alias) = alias {
            text.push_str(&format!("  alias                       = \"{alias}\"\n"));
        }
        text.push_str(&format!(
            "  access_key                  = \"{}\"
  secret_key                  = \"emulator\"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  max_retries                 = 2

  endpoints {{
",
            Emulator::access_key(&seed.account)
        ));
        for name in ENDPOINTS {
            text.push_str(&format!("    {name:<16} = \"{endpoint}\"\n"));
        }
        text.push_str("  }\n}\n");
    }
    if let Some(backend) = Backend::of(root) {
        text.push_str(&backend_override(&backend, emulator, seed));
    }
    text
}

/// What the root references and does not create, read from the generated files: the account
/// and region of its provider, ACM certificate ARNs and hosted zone IDs of its module calls, and
/// the SSM parameters and secrets its task definitions name.
pub fn seed_for(app_dir: &Path, env: &str) -> Seed {
    let root = app_dir.join("envs").join(env);
    let mut root_text = String::new();
    for path in read_dir_sorted(&root).unwrap_or_default() {
        if path.extension().is_some_and(|e| e == "tf") {
            root_text.push_str(&fs::read_to_string(&path).unwrap_or_default());
            root_text.push('\n');
        }
    }
    let mut module_text = String::new();
    for module in read_dir_sorted(&app_dir.join("modules")).unwrap_or_default() {
        module_text.push_str(&fs::read_to_string(module.join("main.tf")).unwrap_or_default());
        module_text.push('\n');
    }

    let mut seed = Seed {
        account: first_list_item(&root_text, "allowed_account_ids")
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned()),
        region: string_attr(
            &fs::read_to_string(root.join("providers.tf")).unwrap_or_default(),
            "region",
        )
        .unwrap_or_else(|| "us-east-1".to_owned()),
        ..Seed::default()
    };
    if let Some(backend) = Backend::of(&root) {
        seed.state_buckets.push((backend.bucket, backend.region));
    }
    for arn in quoted_with_prefix(&root_text, "arn:aws:acm:") {
        push_unique(&mut seed.certificates, arn);
    }
    let record_names: Vec<String> = block_values(&root_text, "public_record_names");
    for line in root_text.lines() {
        if let Some(id) = line_string(line, "zone_id") {
            let name = record_names
                .first()
                .and_then(|n| n.split_once('.').map(|(_, d)| d.to_owned()))
                .unwrap_or_else(|| "example.com".to_owned());
            if !seed.hosted_zones.iter().any(|(z, _)| z == &id) {
                seed.hosted_zones.push((id, name));
            }
        }
    }
    seed.vpc = existing_vpc(&fs::read_to_string(root.join("main.tf")).unwrap_or_default());
    let all = format!("{module_text}\n{root_text}");
    let lines: Vec<&str> = all.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(source) = line_string(line, "source") else {
            continue;
        };
        let Some(reference) = lines.get(i + 1).and_then(|l| line_string(l, "reference")) else {
            continue;
        };
        match source.as_str() {
            "ssm" => push_unique(&mut seed.ssm_parameters, reference),
            "secretsmanager" => push_unique(&mut seed.secrets, reference),
            _ => {}
        }
    }
    seed
}

/// The existing VPC a root's network module call names (`vpc_id`, `vpc_cidr_block` and the
/// `"<az>" = "subnet-..."` entries of `subnet_ids`), with a /24 of the VPC's CIDR for each
/// distinct subnet; None for a root whose network module creates the VPC.
fn existing_vpc(main_tf: &str) -> Option<super::emulator::ExistingVpc> {
    let call = main_tf.split("module \"network\" {").nth(1)?;
    let call = &call[..call.find("\n}\n").unwrap_or(call.len())];
    let id = string_attr(call, "vpc_id")?;
    let cidr = string_attr(call, "vpc_cidr_block")?;
    let (base, _) = cidr.split_once('/')?;
    let octets: Vec<u32> = base.split('.').filter_map(|o| o.parse().ok()).collect();
    let [a, b, ..] = octets[..] else {
        return None;
    };
    let mut subnets: Vec<(String, String, String)> = Vec::new();
    for line in call.lines() {
        let Some((az, value)) = line.trim().split_once(" = ") else {
            continue;
        };
        let (az, value) = (az.trim().trim_matches('"'), value.trim().trim_matches('"'));
        if value.starts_with("subnet-") && !subnets.iter().any(|(s, _, _)| s == value) {
            let third = subnets.len();
            subnets.push((
                value.to_owned(),
                az.to_owned(),
                format!("{a}.{b}.{third}.0/24"),
            ));
        }
    }
    Some(super::emulator::ExistingVpc { id, cidr, subnets })
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// `  key = "value"` on one line -> `value`.
fn line_string(line: &str, key: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix(key)?;
    let value = rest.trim_start().strip_prefix('=')?.trim();
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.to_owned())
}

fn string_attr(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| line_string(l, key))
}

/// `key = ["a", ...]` -> `a`.
fn first_list_item(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix(key)?;
        let value = rest.trim_start().strip_prefix('=')?.trim();
        let inner = value.strip_prefix("[\"")?;
        Some(inner.split('"').next()?.to_owned())
    })
}

/// Every quoted string in `text` that starts with `prefix`.
fn quoted_with_prefix(text: &str, prefix: &str) -> Vec<String> {
    let needle = format!("\"{prefix}");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + 1..];
        let end = after.find('"').unwrap_or(after.len());
        found.push(after[..end].to_owned());
        rest = &after[end..];
    }
    found
}

/// The quoted values of the map `key = { ... }`, one entry a line.
fn block_values(text: &str, key: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if !inside {
            if t.starts_with(key) && t.ends_with('{') {
                inside = true;
            }
            continue;
        }
        if t.starts_with('}') {
            inside = false;
            continue;
        }
        if let Some((_, v)) = t.split_once('=') {
            values.push(v.trim().trim_matches('"').to_owned());
        }
    }
    values
}
