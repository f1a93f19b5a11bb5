//! Test support: one AWS provider process shared by every Terraform command run in a root.
//!
//! Terraform starts its providers anew for every command, and more than once within one (to
//! read the schema, to validate, to plan, to apply), and the AWS provider spends seconds of CPU
//! building its schemas at each start: most of the CPU time of a small root's apply, plan and
//! destroy. The checks instead start the provider once per root, in the debug mode Terraform
//! offers provider developers, and point every command of that root at it with
//! `TF_REATTACH_PROVIDERS`. The commands, the configuration and the provider binary are the ones
//! `terraform init` installed; only who starts the process changes.
//!
//! Only for a root with a single `provider "aws"` configuration: every configuration of a
//! command attaches to the same process, so aliases would overwrite each other's settings.
//! `TFBLUEPRINT_REATTACH=0` turns it off (each command starts its own providers again).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::terraform::{go_runtime, provider_aliases, read_dir_sorted};

/// The environment variable Terraform reads the attached providers from.
pub const REATTACH_VAR: &str = "TF_REATTACH_PROVIDERS";

/// The log levels of the provider and of the SDKs in it.
const LOG_VARS: &[&str] = &[
    "TF_LOG",
    "TF_LOG_PROVIDER",
    "TF_LOG_SDK",
    "TF_LOG_SDK_PROTO",
    "TF_LOG_SDK_MUX",
    "TF_LOG_SDK_FRAMEWORK",
];

/// How long the provider may take to start and print where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A provider process in debug mode; killed when dropped.
pub struct SharedProvider {
    child: Child,
    reattach: String,
}

impl SharedProvider {
    /// Starts the AWS provider `terraform init` installed in `root`, its output written to
    /// `log`; None when the root cannot share one (see the module documentation) or sharing is
    /// turned off.
    pub fn for_root(root: &Path, log: &Path) -> Result<Option<SharedProvider>, String> {
        if std::env::var("TFBLUEPRINT_REATTACH").as_deref() == Ok("0")
            || !provider_aliases(root).is_empty()
        {
            return Ok(None);
        }
        let binary = installed_binary(root)?;
        let out = fs::File::create(log).map_err(|e| format!("create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("open {}: {e}", log.display()))?;
        let mut child = Command::new(&binary);
        child
            .arg("-debug")
            .current_dir(root)
            .env_remove(REATTACH_VAR);
        // In debug mode the provider logs every request at trace level unless told otherwise;
        // its errors reach Terraform as diagnostics either way.
        for var in LOG_VARS {
            child.env(var, "OFF");
        }
        go_runtime(&mut child);
        let mut child = child
            .env_remove("TF_LOG_PATH")
            // Configured a second time in one process, the provider fails on a custom CA
            // bundle ("unable to add custom RootCAs HTTPClient"); the emulator and the offline
            // plans use no TLS.
            .env_remove("AWS_CA_BUNDLE")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {} -debug: {e}", binary.display()))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let text = fs::read_to_string(log).unwrap_or_default();
            if let Some(reattach) = reattach_line(&text) {
                return Ok(Some(SharedProvider { child, reattach }));
            }
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} -debug {} without saying where it listens:\n{text}",
                    binary.display(),
                    match exited {
                        Some(status) => format!("exited ({status})"),
                        None => format!("ran {} s", START_TIMEOUT.as_secs()),
                    }
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The value of `TF_REATTACH_PROVIDERS` for the commands of the root.
    pub fn reattach(&self) -> &str {
        &self.reattach
    }
}

impl Drop for SharedProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `<root>/.terraform/providers/registry.terraform.io/hashicorp/aws/<version>/<platform>/terraform-provider-aws*`.
fn installed_binary(root: &Path) -> Result<PathBuf, String> {
    let aws = root.join(".terraform/providers/registry.terraform.io/hashicorp/aws");
    let mut found = Vec::new();
    for version in read_dir_sorted(&aws).unwrap_or_default() {
        for platform in read_dir_sorted(&version).unwrap_or_default() {
            for file in read_dir_sorted(&platform).unwrap_or_default() {
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if name.starts_with("terraform-provider-aws") {
                    found.push(file);
                }
            }
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no AWS provider installed under {} (run terraform init first)",
            aws.display()
        )),
        many => Err(format!(
            "more than one AWS provider installed under {}: {many:?}",
            aws.display()
        )),
    }
}

/// The JSON of `TF_REATTACH_PROVIDERS='...'` as the provider prints it in debug mode.
pub fn reattach_line(text: &str) -> Option<String> {
    let start = text.find("TF_REATTACH_PROVIDERS='")? + "TF_REATTACH_PROVIDERS='".len();
    let len = text[start..].find('\'')?;
    let json = &text[start..start + len];
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .filter(|v| v.get("registry.terraform.io/hashicorp/aws").is_some())
        .map(|_| json.to_owned())
}
