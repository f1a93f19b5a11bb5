//! Test support: run the real Terraform CLI, offline, on generated output.
//!
//! Uses only std, `serde_json` and `tempfile`. Nothing is ever written into
//! the directory under test: every check runs on a temporary copy.
//!
//! ```ignore
//! use crate::support::terraform::Terraform; // `pub mod terraform;` in support/mod.rs
//!
//! #[test]
//! fn network_plans_offline() {
//!     let Some(tf) = Terraform::or_skip() else { return }; // prints "skipped: <reason>"
//!     let report = tf.check_app(&out.join("myapp"));     // <out>/<app>: modules/ + envs/
//!     assert_eq!(report.env("dev").count("aws_vpc"), 1);
//! }
//! ```
//!
//! Roots run at most two at a time across the whole test binary (a process-wide
//! semaphore), so parallel tests do not overload a 2-core CI machine.
//!
//! Environment:
//! - `TERRAFORM`: the terraform binary (default: `terraform` on `PATH`);
//! - `TFBLUEPRINT_PROVIDER_MIRROR`: a provider filesystem mirror holding
//!   `registry.terraform.io/hashicorp/aws` (default `/opt/tf-plugins`);
//! - `TFBLUEPRINT_REQUIRE_TERRAFORM=1`: `find`/`or_skip` panic instead of
//!   skipping (for CI machines that are known to have Terraform).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Condvar, Mutex};

use super::reattach::{REATTACH_VAR, SharedProvider};

/// At most this many environment roots are checked at once, across every
/// test thread of the process (the CI machine has 2 cores; each root runs
/// Terraform plus a provider process, and waits on the disk in `init` and
/// while copying: one more than the cores keeps both busy).
const MAX_PARALLEL_ROOTS: usize = 3;

/// Name of the override file written into each copied root. Terraform
/// treats any `*_override.tf` as an override file; a distinct name keeps a
/// user's own `override.tf` (if an example carries one) intact.
const OVERRIDE_FILE: &str = "tfblueprint_test_override.tf";

/// A Terraform binary and an AWS provider filesystem mirror.
#[derive(Debug, Clone)]
pub struct Terraform {
    binary: PathBuf,
    mirror: PathBuf,
    version: String,
}

/// One entry of a plan's `resource_changes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// Full address, e.g. `module.network.aws_subnet.private["eu-west-1a"]`.
    pub address: String,
    /// e.g. `aws_subnet`.
    pub resource_type: String,
    /// `managed` or `data`.
    pub mode: String,
    /// e.g. `["create"]`, `["delete", "create"]`, `["read"]`.
    pub actions: Vec<String>,
    /// e.g. `module.network`; `None` for resources of the root module.
    pub module_address: Option<String>,
    /// The planned values known before apply (`change.after`), `null` for a delete.
    pub after: serde_json::Value,
}

/// The planned changes of one environment root.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<ResourceChange>,
}

/// The result of `check_app`: one plan per `envs/<env>` root.
#[derive(Debug, Clone, Default)]
pub struct AppReport {
    pub envs: BTreeMap<String, Plan>,
}

impl Plan {
    /// Number of managed resources of this type in the plan (any action).
    pub fn count(&self, resource_type: &str) -> usize {
        self.changes
            .iter()
            .filter(|c| c.mode == "managed" && c.resource_type == resource_type)
            .count()
    }

    /// Every address in the plan (managed resources and deferred data reads).
    pub fn addresses(&self) -> BTreeSet<String> {
        self.changes.iter().map(|c| c.address.clone()).collect()
    }

    /// Addresses whose only action is `create`.
    pub fn creates(&self) -> BTreeSet<String> {
        self.with_actions(&["create"])
    }

    /// Addresses whose actions are exactly `actions`, e.g. `&["delete", "create"]`.
    pub fn with_actions(&self, actions: &[&str]) -> BTreeSet<String> {
        self.changes
            .iter()
            .filter(|c| {
                c.actions
                    .iter()
                    .map(String::as_str)
                    .eq(actions.iter().copied())
            })
            .map(|c| c.address.clone())
            .collect()
    }

    /// Whether the plan holds this exact address.
    pub fn has(&self, address: &str) -> bool {
        self.changes.iter().any(|c| c.address == address)
    }

    /// The change at this address, if any.
    pub fn get(&self, address: &str) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| c.address == address)
    }
}

impl AppReport {
    /// The plan of one environment; panics with the known names if absent.
    pub fn env(&self, name: &str) -> &Plan {
        self.envs.get(name).unwrap_or_else(|| {
            panic!(
                "no environment {name:?} in the report; environments: {:?}",
                self.envs.keys().collect::<Vec<_>>()
            )
        })
    }
}

impl Terraform {
    /// Finds Terraform (`$TERRAFORM`, else `terraform` on `PATH`) and the AWS
    /// provider mirror (`$TFBLUEPRINT_PROVIDER_MIRROR`, else `/opt/tf-plugins`).
    /// Returns a plain reason when either is missing; callers print
    /// `skipped: <reason>` and return.
    pub fn find() -> Result<Terraform, String> {
        let found = Self::locate();
        if let Err(reason) = &found
            && std::env::var_os("TFBLUEPRINT_REQUIRE_TERRAFORM").is_some_and(|v| v == "1")
        {
            panic!("TFBLUEPRINT_REQUIRE_TERRAFORM=1 but {reason}");
        }
        found
    }

    /// `find`, printing `skipped: <reason>` when Terraform cannot be used.
    pub fn or_skip() -> Option<Terraform> {
        match Self::find() {
            Ok(tf) => Some(tf),
            Err(reason) => {
                println!("skipped: {reason}");
                None
            }
        }
    }

    fn locate() -> Result<Terraform, String> {
        let binary = match std::env::var_os("TERRAFORM").filter(|v| !v.is_empty()) {
            Some(path) => {
                let path = PathBuf::from(path);
                if !is_executable(&path) {
                    return Err(format!(
                        "TERRAFORM={} is not an executable file",
                        path.display()
                    ));
                }
                path
            }
            None => find_on_path("terraform").ok_or("terraform not found on PATH")?,
        };
        let mirror = std::env::var_os("TFBLUEPRINT_PROVIDER_MIRROR")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("/opt/tf-plugins"), PathBuf::from);
        let aws = mirror.join("registry.terraform.io/hashicorp/aws");
        if !aws.is_dir() {
            return Err(format!("no AWS provider mirror at {}", aws.display()));
        }
        let mirror = fs::canonicalize(&mirror).map_err(|e| {
            format!(
                "cannot resolve the provider mirror {}: {e}",
                mirror.display()
            )
        })?;
        let out = Command::new(&binary)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`{} version` failed: {}",
                binary.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let version = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v["terraform_version"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(Terraform {
            binary,
            mirror,
            version,
        })
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    pub fn mirror(&self) -> &Path {
        &self.mirror
    }

    /// e.g. `1.11.4`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Checks a generated app directory (`<out>/<app>`, holding `modules/`
    /// and `envs/`) on a temporary copy: `fmt -check -recursive`, then for
    /// every `envs/<env>` root `init`, `validate` (no error, no warning) and
    /// an offline `plan`. Panics with the command, the root and its output
    /// on any failure.
    ///
    /// An app whose files are byte for byte those of one checked before in this process is
    /// checked once: the tests that plan the same example or blueprint share the result (and
    /// wait for it while it runs).
    pub fn check_app(&self, app_dir: &Path) -> AppReport {
        let key = tree_digest(app_dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", app_dir.display()));
        let cell = {
            let mut checked = CHECKED.lock().unwrap_or_else(|p| p.into_inner());
            std::sync::Arc::clone(checked.entry(key).or_default())
        };
        cell.get_or_init(|| self.check_app_once(app_dir)).clone()
    }

    fn check_app_once(&self, app_dir: &Path) -> AppReport {
        let envs_dir = app_dir.join("envs");
        let mut envs: Vec<String> = read_dir_sorted(&envs_dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", envs_dir.display()))
            .into_iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .collect();
        envs.sort();
        assert!(
            !envs.is_empty(),
            "no environment roots under {}",
            envs_dir.display()
        );

        let tmp = tempfile::Builder::new()
            .prefix("tfblueprint-tf-")
            .tempdir()
            .expect("create a temp dir");
        let app = tmp.path().join("app");
        copy_tree(app_dir, &app)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", app_dir.display(), app.display()));
        let cli_config = tmp.path().join("terraformrc");
        fs::write(&cli_config, self.cli_config()).expect("write the CLI config");
        let plugin_cache = tmp.path().join("plugin-cache");
        fs::create_dir(&plugin_cache).expect("create the plugin cache dir");
        let ctx = Ctx {
            tf: self,
            cli_config: &cli_config,
            plugin_cache: &plugin_cache,
        };

        let mut fmt = ctx.command(&app, &["fmt", "-check", "-recursive", "-diff", "-no-color"]);
        let out = fmt
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", describe(&fmt)));
        if !out.status.success() {
            panic!(
                "terraform fmt -check failed for {} (exit {:?}); files not formatted as `terraform fmt` would:\n{}\n{}",
                app_dir.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }

        let mut results: BTreeMap<String, Result<Plan, String>> = BTreeMap::new();
        let mut ready = Vec::new();
        for env in &envs {
            match ctx.init_root(&app.join("envs").join(env), &format!("envs/{env}")) {
                Ok(()) => ready.push(env.clone()),
                Err(e) => {
                    results.insert(env.clone(), Err(e));
                }
            }
        }
        // Roots start in name order, at most MAX_PARALLEL_ROOTS in the process; none starts
        // after the first failure: its report is what matters.
        if results.is_empty() {
            let checked = super::pool::run_until(
                ready,
                MAX_PARALLEL_ROOTS,
                |(_, result): &(String, Result<Plan, String>)| result.is_err(),
                |env| {
                    let root = app.join("envs").join(&env);
                    let _slot = Slot::acquire();
                    let result = ctx.check_root(&root, &format!("envs/{env}"));
                    (env, result)
                },
            );
            results.extend(checked);
        }

        let mut report = AppReport::default();
        let mut errors = String::new();
        for (env, result) in results {
            match result {
                Ok(plan) => {
                    report.envs.insert(env, plan);
                }
                Err(e) => {
                    let _ = writeln!(errors, "{e}\n");
                }
            }
        }
        if !errors.is_empty() {
            panic!(
                "Terraform check of {} failed:\n\n{errors}",
                app_dir.display()
            );
        }
        report
    }

    /// `check_app`, reduced to env -> addresses in its plan.
    pub fn plan_addresses(&self, app_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
        self.check_app(app_dir)
            .envs
            .into_iter()
            .map(|(env, plan)| (env, plan.addresses()))
            .collect()
    }

    /// `terraform args...` in `dir` with the CLI config `cli_config` (see `cli_config`), an
    /// optional plugin cache, automation settings, and none of the caller's Terraform or AWS
    /// settings that would change what is checked.
    pub fn command(
        &self,
        dir: &Path,
        cli_config: &Path,
        plugin_cache: Option<&Path>,
        args: &[&str],
    ) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        go_runtime(&mut cmd);
        match plugin_cache {
            Some(cache) => cmd.env("TF_PLUGIN_CACHE_DIR", cache),
            None => cmd.env_remove("TF_PLUGIN_CACHE_DIR"),
        };
        // Settings of the caller's shell that would change what is checked.
        for var in [
            "TF_DATA_DIR",
            "TF_WORKSPACE",
            "TF_CLI_ARGS",
            "TF_CLI_ARGS_init",
            "TF_CLI_ARGS_validate",
            "TF_CLI_ARGS_plan",
            "TF_CLI_ARGS_apply",
            "TF_CLI_ARGS_destroy",
            "TF_CLI_ARGS_fmt",
            "TF_CLI_ARGS_show",
            "TF_LOG",
            "TF_LOG_PATH",
            "TF_REATTACH_PROVIDERS",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
        ] {
            cmd.env_remove(var);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("TF_VAR_")) {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// The CLI configuration that installs the AWS provider from the mirror only.
    pub fn cli_config(&self) -> String {
        let path = self.mirror.display().to_string();
        format!(
            r#"provider_installation {{
  filesystem_mirror {{
    path    = "{}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"#,
            path.replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}

/// A temporary copy of an app whose environment roots a test drives command by command (to
/// apply the resources that need no AWS account, then plan again). The copy goes with it.
pub struct Sandbox {
    tf: Terraform,
    tmp: tempfile::TempDir,
}

impl Terraform {
    /// Copies `app_dir` (`<out>/<app>`) into a temporary folder.
    pub fn sandbox(&self, app_dir: &Path) -> Sandbox {
        let tmp = tempfile::Builder::new()
            .prefix("tfblueprint-tf-")
            .tempdir()
            .expect("create a temp dir");
        copy_tree(app_dir, &tmp.path().join("app"))
            .unwrap_or_else(|e| panic!("copy {}: {e}", app_dir.display()));
        fs::write(tmp.path().join("terraformrc"), self.cli_config()).expect("write the CLI config");
        fs::create_dir(tmp.path().join("plugin-cache")).expect("create the plugin cache dir");
        Sandbox {
            tf: self.clone(),
            tmp,
        }
    }
}

impl Sandbox {
    /// The copied root of an environment.
    pub fn root(&self, env: &str) -> PathBuf {
        self.tmp.path().join("app").join("envs").join(env)
    }

    fn ctx(&self) -> (PathBuf, PathBuf) {
        (
            self.tmp.path().join("terraformrc"),
            self.tmp.path().join("plugin-cache"),
        )
    }

    /// `init` of an environment root, with the offline provider settings; panics on failure.
    pub fn init(&self, env: &str) {
        let root = self.root(env);
        fs::write(root.join(OVERRIDE_FILE), offline_override(&root)).expect("write the override");
        let (cli_config, plugin_cache) = self.ctx();
        let ctx = Ctx {
            tf: &self.tf,
            cli_config: &cli_config,
            plugin_cache: &plugin_cache,
        };
        if let Err(e) = ctx.init_root(&root, env) {
            panic!("{e}");
        }
    }

    /// Runs `terraform args...` in an environment root; panics unless it succeeds.
    pub fn run(&self, env: &str, args: &[&str]) -> Output {
        let (cli_config, plugin_cache) = self.ctx();
        let ctx = Ctx {
            tf: &self.tf,
            cli_config: &cli_config,
            plugin_cache: &plugin_cache,
        };
        let _slot = Slot::acquire();
        ctx.run(&self.root(env), env, args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// An offline plan (no refresh) of an environment root, parsed.
    pub fn plan(&self, env: &str) -> Plan {
        self.run(
            env,
            &[
                "plan",
                "-refresh=false",
                "-input=false",
                "-lock=false",
                "-no-color",
                "-out=plan.bin",
            ],
        );
        let show = self.run(env, &["show", "-json", "-no-color", "plan.bin"]);
        let json: serde_json::Value =
            serde_json::from_slice(&show.stdout).expect("terraform show -json prints JSON");
        Plan {
            changes: json["resource_changes"]
                .as_array()
                .map(|changes| changes.iter().map(parse_change).collect())
                .unwrap_or_default(),
        }
    }
}

/// The override that gives a root with a backend local state for an offline plan.
pub const LOCAL_BACKEND_FILE: &str = "tfblueprint_local_backend_override.tf";
const LOCAL_BACKEND: &str = "terraform {\n  backend \"local\" {}\n}\n";

struct Ctx<'a> {
    tf: &'a Terraform,
    cli_config: &'a Path,
    plugin_cache: &'a Path,
}

impl Ctx<'_> {
    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        self.tf
            .command(dir, self.cli_config, Some(self.plugin_cache), args)
    }

    /// Runs `args` in `root`; Err with the command, root and output on failure.
    fn run(&self, root: &Path, label: &str, args: &[&str]) -> Result<Output, String> {
        let mut cmd = self.command(root, args);
        let out = cmd
            .output()
            .map_err(|e| format!("[{label}] cannot run {}: {e}", describe(&cmd)))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(failure(label, &cmd, &out, "failed"))
        }
    }

    /// `init`; run for every root before any root is validated or planned:
    /// an init rewrites entries of the shared plugin cache, which breaks a
    /// validate or plan running meanwhile.
    fn init_root(&self, root: &Path, label: &str) -> Result<(), String> {
        if root.join("backend.tf").exists() {
            // A root with an S3 backend plans offline against local state: an override
            // replaces the backend block, and init sets that one up (no network).
            fs::write(root.join(LOCAL_BACKEND_FILE), LOCAL_BACKEND)
                .map_err(|e| format!("[{label}] write {LOCAL_BACKEND_FILE}: {e}"))?;
            return self
                .run(root, label, &["init", "-input=false", "-no-color"])
                .map(drop);
        }
        self.run(
            root,
            label,
            &["init", "-backend=false", "-input=false", "-no-color"],
        )
        .map(drop)
    }

    /// `validate` and an offline `plan` of an initialised root, every command attached to one
    /// provider process (see [`SharedProvider`]).
    fn check_root(&self, root: &Path, label: &str) -> Result<Plan, String> {
        let log = root.join(".terraform").join("provider.log");
        let provider =
            SharedProvider::for_root(root, &log).map_err(|e| format!("[{label}] {e}"))?;
        let attach = |mut cmd: Command| {
            if let Some(provider) = &provider {
                cmd.env(REATTACH_VAR, provider.reattach());
            }
            cmd
        };
        let mut cmd = attach(self.command(root, &["validate", "-json", "-no-color"]));
        let out = cmd
            .output()
            .map_err(|e| format!("[{label}] cannot run {}: {e}", describe(&cmd)))?;
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| failure(label, &cmd, &out, &format!("printed no JSON ({e})")))?;
        let valid = json["valid"].as_bool() == Some(true);
        let diagnostics = json["diagnostics"].as_array().cloned().unwrap_or_default();
        if !valid || !diagnostics.is_empty() || !out.status.success() {
            return Err(format!(
                "[{label}] terraform validate: {} (errors: {}, warnings: {}); the generated Terraform must validate with no error and no warning:\n{}",
                if valid { "valid" } else { "INVALID" },
                json["error_count"],
                json["warning_count"],
                diagnostics
                    .iter()
                    .map(format_diagnostic)
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }

        fs::write(root.join(OVERRIDE_FILE), offline_override(root))
            .map_err(|e| format!("[{label}] write {OVERRIDE_FILE}: {e}"))?;
        let mut cmd = attach(self.command(
            root,
            &[
                "plan",
                "-refresh=false",
                "-input=false",
                "-lock=false",
                "-json",
                "-out=plan.bin",
            ],
        ));
        let out = cmd
            .output()
            .map_err(|e| format!("[{label}] cannot run {}: {e}", describe(&cmd)))?;
        // `-json` streams one JSON message a line; diagnostics are structured,
        // so a value that merely contains "Warning:" is no false alarm.
        let diagnostics: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|m| m["type"] == "diagnostic")
            .map(|m| m["diagnostic"].clone())
            .collect();
        if !out.status.success() || !diagnostics.is_empty() {
            return Err(format!(
                "[{label}] `{}` {} (exit {:?}) in {}; the generated Terraform must plan offline with no error and no warning:\n{}\n--- stderr ---\n{}",
                describe(&cmd),
                if out.status.success() {
                    "printed diagnostics"
                } else {
                    "failed"
                },
                out.status.code(),
                root.display(),
                if diagnostics.is_empty() {
                    format!(
                        "--- stdout ---\n{}",
                        String::from_utf8_lossy(&out.stdout).trim_end()
                    )
                } else {
                    diagnostics
                        .iter()
                        .map(format_diagnostic)
                        .collect::<Vec<_>>()
                        .join("\n")
                },
                String::from_utf8_lossy(&out.stderr).trim_end()
            ));
        }

        let mut cmd = attach(self.command(root, &["show", "-json", "-no-color", "plan.bin"]));
        let show = cmd
            .output()
            .map_err(|e| format!("[{label}] cannot run {}: {e}", describe(&cmd)))?;
        if !show.status.success() {
            return Err(failure(label, &cmd, &show, "failed"));
        }
        let json: serde_json::Value = serde_json::from_slice(&show.stdout)
            .map_err(|e| format!("[{label}] terraform show -json printed no JSON: {e}"))?;
        let changes = json["resource_changes"]
            .as_array()
            .map(|changes| changes.iter().map(parse_change).collect())
            .unwrap_or_default();
        Ok(Plan { changes })
    }
}

/// A process-wide slot: at most `MAX_PARALLEL_ROOTS` roots are checked at
/// once, even when several tests call `check_app` in parallel.
struct Slot;

/// The apps checked in this process, by `tree_digest` (the Terraform binary and mirror are the
/// same for the whole process).
type Checked = BTreeMap<String, std::sync::Arc<std::sync::OnceLock<AppReport>>>;
static CHECKED: Mutex<Checked> = Mutex::new(BTreeMap::new());

/// A digest of every file under `dir`: relative paths and contents, in name order.
fn tree_digest(dir: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    fn walk(base: &Path, dir: &Path, hash: &mut Sha256) -> io::Result<()> {
        for path in read_dir_sorted(dir)? {
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                walk(base, &path, hash)?;
            } else {
                let bytes = fs::read(&path)?;
                hash.update((rel.len() as u64).to_le_bytes());
                hash.update(rel.as_bytes());
                hash.update((bytes.len() as u64).to_le_bytes());
                hash.update(&bytes);
            }
        }
        Ok(())
    }
    let mut hash = Sha256::new();
    walk(dir, dir, &mut hash)?;
    Ok(tfblueprint::output::manifest::hex(&hash.finalize()))
}

static SLOTS: Mutex<usize> = Mutex::new(0);
static SLOT_FREED: Condvar = Condvar::new();

impl Slot {
    fn acquire() -> Slot {
        let mut busy = SLOTS.lock().unwrap_or_else(|p| p.into_inner());
        while *busy >= MAX_PARALLEL_ROOTS {
            busy = SLOT_FREED.wait(busy).unwrap_or_else(|p| p.into_inner());
        }
        *busy += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut busy = SLOTS.lock().unwrap_or_else(|p| p.into_inner());
        *busy -= 1;
        SLOT_FREED.notify_one();
    }
}

fn parse_change(c: &serde_json::Value) -> ResourceChange {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    ResourceChange {
        address: s(&c["address"]),
        resource_type: s(&c["type"]),
        mode: s(&c["mode"]),
        actions: c["change"]["actions"]
            .as_array()
            .map(|a| a.iter().map(s).collect())
            .unwrap_or_default(),
        module_address: c["module_address"].as_str().map(str::to_owned),
        after: c["change"]["after"].clone(),
    }
}

/// The provider settings that let `plan` run with no AWS account, merged by
/// Terraform into the root's `provider "aws"` blocks (one per alias).
fn offline_override(root: &Path) -> String {
    let mut aliases = vec![None];
    aliases.extend(provider_aliases(root).into_iter().map(Some));
    let mut text =
        String::from("# Written by the tests: offline provider settings, no AWS account.\n");
    for alias in aliases {
        text.push_str("\nprovider \"aws\" {\n");
        if let Some(alias) = alias {
            let _ = writeln!(text, "  alias                       = \"{alias}\"");
        }
        text.push_str(
            "  access_key                  = \"AKIAIOSFODNN7EXAMPLE\"
  secret_key                  = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  allowed_account_ids         = null
",
        );
        // No role can be assumed offline: a block of the same type in an override replaces
        // the root's, and a dynamic one with nothing to iterate leaves none.
        if assumes_role(root) {
            text.push_str(
                "\n  dynamic \"assume_role\" {\n    for_each = []\n    content {}\n  }\n",
            );
        }
        text.push_str("}\n");
    }
    text
}

/// Whether the root's provider assumes a role (`role_arn` in the blueprint).
fn assumes_role(root: &Path) -> bool {
    fs::read_to_string(root.join("providers.tf")).is_ok_and(|t| t.contains("assume_role {"))
}

/// Aliases of the `provider "aws"` blocks in a root's `.tf` files (a line
/// scan: generated files are `terraform fmt` formatted).
pub fn provider_aliases(root: &Path) -> BTreeSet<String> {
    let mut aliases = BTreeSet::new();
    for path in read_dir_sorted(root).unwrap_or_default() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".tf") || name == "override.tf" || name.ends_with("_override.tf") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let mut in_aws = false;
        for line in text.lines() {
            if line.starts_with("provider \"aws\"") {
                in_aws = true;
            } else if line.starts_with('}') {
                in_aws = false;
            } else if in_aws {
                // Only a top-level argument of the block (two-space indent).
                if let Some(rest) = line.strip_prefix("  alias")
                    && let Some(value) = rest.trim_start().strip_prefix('=')
                {
                    let v = value.trim().trim_matches('"');
                    if !v.is_empty() {
                        aliases.insert(v.to_owned());
                    }
                }
            }
        }
    }
    aliases
}

fn format_diagnostic(d: &serde_json::Value) -> String {
    let mut s = format!(
        "  {}: {}",
        d["severity"].as_str().unwrap_or("?"),
        d["summary"].as_str().unwrap_or_default()
    );
    if let Some(file) = d["range"]["filename"].as_str() {
        let _ = write!(
            s,
            "\n    at {file}:{}:{}",
            d["range"]["start"]["line"], d["range"]["start"]["column"]
        );
    }
    if let Some(address) = d["address"].as_str() {
        let _ = write!(s, " ({address})");
    }
    if let Some(code) = d["snippet"]["code"].as_str() {
        let _ = write!(s, "\n    | {}", code.trim_end());
    }
    if let Some(detail) = d["detail"].as_str().filter(|t| !t.is_empty()) {
        let _ = write!(s, "\n    {}", detail.replace('\n', "\n    "));
    }
    s
}

fn failure(label: &str, cmd: &Command, out: &Output, what: &str) -> String {
    format!(
        "[{label}] `{}` {what} (exit {:?}) in {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        describe(cmd),
        out.status.code(),
        cmd.get_current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    )
}

pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

/// Copies a directory tree, leaving out Terraform's working data (`.terraform`,
/// state files, saved plans) so a stale local run cannot leak into the check.
pub fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == ".terraform"
            || name_str.ends_with(".tfstate")
            || name_str.ends_with(".tfstate.backup")
            || name_str == "plan.bin"
        {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        // `metadata` follows symlinks: a linked file or folder is copied as content.
        let meta = fs::metadata(&src)?;
        if meta.is_dir() {
            copy_tree(&src, &dst)?;
        } else if meta.is_file() {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Go's garbage collector settings for Terraform and the AWS provider, unless the caller set
/// them: collect when the heap has grown to five times what survived the last collection
/// (Go's default is two times), and never let it pass 1 GiB. Both programs hold the AWS
/// provider's schemas (hundreds of MB) and spend much of their CPU time collecting with the
/// default. Measured alone on 2 cores, one root's apply, plan, targeted apply and destroy took
/// 26 % less CPU time (full-stack/prod: 101 s to 75 s; fargate-api/dev: 76 s to 52 s), and the
/// largest process grew from 418 to 645 MB.
pub fn go_runtime(cmd: &mut Command) {
    for (var, value) in [("GOGC", "400"), ("GOMEMLIMIT", "1GiB")] {
        if std::env::var_os(var).is_none() {
            cmd.env(var, value);
        }
    }
}
