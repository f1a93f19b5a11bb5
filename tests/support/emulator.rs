//! Test support: a local AWS for `terraform apply`, moto in server mode on 127.0.0.1.
//!
//! The server is `tests/support/emulator/server.py`: moto, pinned to [`MOTO_VERSION`], with the
//! gaps of `gaps.py` filled in (one documented entry per place where moto answers differently
//! from AWS) and the resources a root only references (certificates, hosted zones, SSM
//! parameters, secrets) created before it answers. Each [`Emulator`] is one server process on a
//! free port, stopped by its PID when dropped; nothing but 127.0.0.1 is ever contacted.
//!
//! Environment:
//! - `TFBLUEPRINT_EMULATOR_PYTHON`: a Python that has `moto[server]==MOTO_VERSION` (default: the
//!   venv `.ci/emulator` installs, `${TMPDIR:-/tmp}/tfblueprint-moto-<version>/bin/python`);
//! - `TFBLUEPRINT_REQUIRE_EMULATOR=1`: fail instead of skipping when it is missing (CI).

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The moto release the harness is written against; `.ci/emulator` installs exactly this one.
pub const MOTO_VERSION: &str = "5.2.5";

/// How long a server may take to import moto, seed, and answer.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A Python interpreter with the pinned moto.
#[derive(Debug, Clone)]
pub struct Python(PathBuf);

impl Python {
    /// Finds the Python with the pinned moto; a plain reason when there is none. Panics instead
    /// when `TFBLUEPRINT_REQUIRE_EMULATOR=1`.
    pub fn find() -> Result<Python, String> {
        let found = Self::locate();
        if let Err(reason) = &found
            && std::env::var_os("TFBLUEPRINT_REQUIRE_EMULATOR").is_some_and(|v| v == "1")
        {
            panic!("TFBLUEPRINT_REQUIRE_EMULATOR=1 but {reason}");
        }
        found
    }

    fn locate() -> Result<Python, String> {
        let python = match std::env::var_os("TFBLUEPRINT_EMULATOR_PYTHON").filter(|v| !v.is_empty())
        {
            Some(p) => PathBuf::from(p),
            None => std::env::temp_dir()
                .join(format!("tfblueprint-moto-{MOTO_VERSION}"))
                .join("bin/python"),
        };
        if !python.is_file() {
            return Err(format!(
                "no Python with moto {MOTO_VERSION} at {} (run `bash .ci/emulator` or set TFBLUEPRINT_EMULATOR_PYTHON)",
                python.display()
            ));
        }
        let out = Command::new(&python)
            .args(["-c", "import moto, flask; print(moto.__version__)"])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() {
            return Err(format!(
                "{} cannot import moto's server: {}",
                python.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        if version != MOTO_VERSION {
            return Err(format!(
                "{} has moto {version}, the harness needs {MOTO_VERSION}",
                python.display()
            ));
        }
        Ok(Python(python))
    }
}

/// What must exist in the account before a root applies: what the blueprint references and does
/// not create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seed {
    pub account: String,
    pub region: String,
    pub certificates: Vec<String>,
    /// (zone ID, zone name)
    pub hosted_zones: Vec<(String, String)>,
    pub ssm_parameters: Vec<String>,
    pub secrets: Vec<String>,
    /// (bucket, region): the S3 buckets that hold the root's state (its backend).
    pub state_buckets: Vec<(String, String)>,
    /// An existing network the root deploys into: the VPC and its subnets, under their IDs.
    pub vpc: Option<ExistingVpc>,
}

/// A VPC the emulator creates under a given ID, with subnets (ID, AZ, CIDR) likewise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExistingVpc {
    pub id: String,
    pub cidr: String,
    pub subnets: Vec<(String, String, String)>,
}

impl Seed {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "account": self.account,
            "region": self.region,
            "certificates": self.certificates,
            "hosted_zones": self.hosted_zones.iter()
                .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
                .collect::<Vec<_>>(),
            "ssm_parameters": self.ssm_parameters,
            "secrets": self.secrets,
            "state_buckets": self.state_buckets.iter()
                .map(|(bucket, region)| serde_json::json!({"bucket": bucket, "region": region}))
                .collect::<Vec<_>>(),
            "vpcs": self.vpc.iter().map(|v| serde_json::json!({
                "id": v.id,
                "cidr": v.cidr,
                "subnets": v.subnets.iter()
                    .map(|(id, az, cidr)| serde_json::json!({"id": id, "az": az, "cidr": cidr}))
                    .collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// One running server.
pub struct Emulator {
    child: Child,
    port: u16,
    log: PathBuf,
    python: PathBuf,
}

impl Emulator {
    /// Starts a server with `seed` in place, in `scratch` (its seed file and log live there).
    pub fn start(python: &Python, seed: &Seed, scratch: &Path) -> Result<Emulator, String> {
        let seed_file = scratch.join("emulator-seed.json");
        fs::write(&seed_file, seed.to_json().to_string())
            .map_err(|e| format!("write {}: {e}", seed_file.display()))?;
        let log = scratch.join("emulator.log");
        let port = free_port()?;
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/emulator/server.py");
        let mut child = Command::new(&python.0)
            .arg(&script)
            .arg(port.to_string())
            .arg(&seed_file)
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("MOTO_ACCOUNT_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", script.display()))?;
        // "ready <port>" on stdout, read on a thread so a hung start cannot block the test.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let emulator = Emulator {
            child,
            port,
            log,
            python: python.0.clone(),
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) if line.trim() == format!("ready {port}") => {}
            Ok(line) => {
                return Err(format!(
                    "the emulator did not start (printed {line:?}):\n{}",
                    emulator.log_tail()
                ));
            }
            Err(_) => {
                return Err(format!(
                    "the emulator did not answer within {}s:\n{}",
                    START_TIMEOUT.as_secs(),
                    emulator.log_tail()
                ));
            }
        }
        Ok(emulator)
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The access key that makes the server act as `account` (see `gaps.py`).
    pub fn access_key(account: &str) -> String {
        format!("AKIATF00{account}")
    }

    /// The keys of the objects in `bucket` of `account`, as the server holds them.
    pub fn s3_keys(
        &self,
        account: &str,
        region: &str,
        bucket: &str,
    ) -> Result<Vec<String>, String> {
        let script = concat!(
            "import sys, boto3\n",
            "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[3],",
            " aws_access_key_id=sys.argv[2], aws_secret_access_key='emulator')\n",
            "for o in s3.list_objects_v2(Bucket=sys.argv[4]).get('Contents', []):\n",
            "    print(o['Key'])\n",
        );
        let out = Command::new(&self.python)
            .args([
                "-c",
                script,
                &self.endpoint(),
                &Self::access_key(account),
                region,
                bucket,
            ])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        if !out.status.success() {
            return Err(format!(
                "listing s3://{bucket} on the emulator failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// The last lines of the server's log, for a failure report.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("\" 200 -") && !l.contains("\" 201 -"))
            .collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The moto actions Terraform called that moto does not implement, from the server's log.
    pub fn unimplemented(&self) -> Vec<String> {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let mut found: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("NotImplementedError: "))
            .map(str::to_owned)
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM by PID, then SIGKILL if it has not ended within five seconds.
        let pid = self.child.id() as libc::pid_t;
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}
