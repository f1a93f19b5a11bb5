//! `tfblueprint diff`: the resource inventory each environment root carries, and the predicted
//! creates, updates, replacements and deletes. The Terraform tests plan the output and require
//! the predictions to be exactly what Terraform plans; without Terraform they say `skipped:`.

use crate::support::terraform::Terraform;
use crate::support::{repo, run_in, workspace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tfblueprint::review::inventory;

/// A blueprint that is not in the repository: three environments, a service behind a load
/// balancer, a database and a cache.
const TRIAL: &str = r#"
app "trial" {
  region = "us-west-2"

  network {
    cidr = "10.60.0.0/16"
    azs  = ["us-west-2a", "us-west-2b", "us-west-2c"]
  }

  load_balancer "public" {
    listener "http" {
      port     = 80
      protocol = "HTTP"
    }
  }

  service "web" {
    image = "nginx:1.27"
    port  = 8080
    cpu   = 256
    memory = 512
    uses  = ["database.main"]
    route {
      load_balancer = "public"
      listener      = "http"
      paths         = ["/*"]
    }
  }

  database "main" {
    engine  = "aurora-postgresql"
    version = "16.4"
    serverless {
      min_capacity = 0.5
      max_capacity = 4
    }
  }

  environment "dev" {}
  environment "staging" {}
  environment "prod" {
    network {
      nat = "per_az"
    }
  }
}
"#;

/// env -> addresses of the inventory files under `<app_dir>/envs`.
fn inventory_addresses(app_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(app_dir.join("envs")).unwrap() {
        let dir = e.unwrap().path();
        let text = std::fs::read_to_string(dir.join(inventory::FILE_NAME))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let env = dir.file_name().unwrap().to_string_lossy().into_owned();
        out.insert(env, inventory::parse(&text).unwrap().into_keys().collect());
    }
    out
}

/// env -> managed addresses of Terraform's plans.
fn plan_managed(tf: &Terraform, app_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    tf.check_app(app_dir)
        .envs
        .into_iter()
        .map(|(env, plan)| {
            let managed = plan
                .changes
                .iter()
                .filter(|c| c.mode == "managed")
                .map(|c| c.address.clone())
                .collect();
            (env, managed)
        })
        .collect()
}

#[track_caller]
fn assert_same(what: &str, inventory: &BTreeSet<String>, plan: &BTreeSet<String>) {
    let missing: Vec<_> = plan.difference(inventory).collect();
    let extra: Vec<_> = inventory.difference(plan).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: the inventory and Terraform's plan differ\nplanned, not in the inventory: {missing:#?}\nin the inventory, not planned: {extra:#?}"
    );
}

/// The key test: for every blueprint, the inventory lists exactly the managed resources that
/// Terraform plans, environment by environment.
#[test]
fn inventory_matches_terraform_plans() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let mut blueprints: Vec<String> = Vec::new();
    for dir in ["blueprints", "tests/blueprints"] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "hcl") {
                blueprints.push(format!(
                    "{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    blueprints.sort();
    let refs: Vec<&str> = blueprints.iter().map(String::as_str).collect();
    let ws = workspace(&refs);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let out = ws.path().join("out");
    let mut apps: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    apps.sort();
    assert!(apps.len() >= blueprints.len(), "{apps:?}");
    // Every app at once: `check_app` holds the roots to the process-wide limit, and a root
    // waits for a slot rather than for the app before it.
    let plans: Vec<_> = std::thread::scope(|s| {
        let tf = &tf;
        let handles: Vec<_> = apps
            .iter()
            .map(|app| s.spawn(move || plan_managed(tf, app)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (app, plan) in apps.iter().zip(plans) {
        let name = app.file_name().unwrap().to_string_lossy().into_owned();
        let inv = inventory_addresses(app);
        assert_eq!(
            inv.keys().collect::<Vec<_>>(),
            plan.keys().collect::<Vec<_>>()
        );
        for (env, addresses) in &plan {
            assert_same(&format!("{name}/{env}"), &inv[env], addresses);
        }
    }
}

fn json_diff(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["diff", "--out", "out", "--format", "json"];
    args.extend_from_slice(extra);
    let run = run_in(dir, &args);
    let v = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr));
    (run.code, v)
}

/// env -> (action -> addresses) of a JSON diff.
fn by_action(v: &Value, app: &str) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    for (key, e) in v["environments"].as_object().unwrap() {
        let Some(env) = key.strip_prefix(&format!("{app}/")) else {
            continue;
        };
        let mut actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in e["resources"].as_array().unwrap() {
            actions
                .entry(r["action"].as_str().unwrap().to_string())
                .or_default()
                .insert(r["address"].as_str().unwrap().to_string());
        }
        out.insert(env.to_string(), actions);
    }
    out
}

fn write_trial(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join("blueprints")).unwrap();
    std::fs::write(dir.join("blueprints/trial.hcl"), text).unwrap();
}

fn changed_trial() -> String {
    TRIAL
        .replace("\"us-west-2c\"]", "\"us-west-2c\", \"us-west-2d\"]")
        .replace("port  = 8080", "port  = 9090")
}

/// Predictions without Terraform: a fourth AZ and a new port, seen as creates, an update of the
/// rules and replacements of the target group and the task definition, and no delete.
#[test]
fn diff_predicts_an_added_az_and_a_port_change() {
    let ws = tempfile::tempdir().unwrap();
    write_trial(ws.path(), TRIAL);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let (code, v) = json_diff(ws.path(), &["--exit-code"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["changed"], false);
    run_in(ws.path(), &["diff", "--out", "out", "--exit-code"]).expect(0);

    write_trial(ws.path(), &changed_trial());
    let (code, v) = json_diff(ws.path(), &["--exit-code"]);
    assert_eq!(code, 1, "{v:#}");
    for env in ["dev", "staging", "prod"] {
        let e = &v["environments"][format!("trial/{env}")];
        assert_eq!(e["predicted"], true, "{e:#}");
        assert_eq!(e["summary"]["delete"], 0, "{env}: {e:#}");
        let resources = e["resources"].as_array().unwrap();
        let find = |a: &str| {
            resources
                .iter()
                .find(|r| r["address"] == a)
                .unwrap_or_else(|| panic!("{env}: no {a} in {e:#}"))
        };
        assert_eq!(
            find("module.network.aws_subnet.private[\"us-west-2d\"]")["action"],
            "create"
        );
        let tg = find("module.alb.aws_lb_target_group.this[\"web.public\"]");
        assert_eq!(tg["action"], "replace");
        // The name carries a digest of the port, so the new group can exist beside the old.
        assert_eq!(tg["forced_by"], serde_json::json!(["name", "port"]));
        assert_eq!(tg["changes"][1]["attribute"], "port");
        assert_eq!(tg["changes"][1]["before"], 8080);
        assert_eq!(tg["changes"][1]["after"], 9090);
        let rule = find(
            "module.security.aws_vpc_security_group_ingress_rule.from_security_group[\"service.web:ingress:load_balancer.public:tcp:service-port\"]",
        );
        assert_eq!(rule["action"], "update", "{rule:#}");
        assert_eq!(
            find("module.ecs.aws_ecs_task_definition.this[\"web\"]")["action"],
            "replace"
        );
    }
    let md = run_in(ws.path(), &["diff", "--out", "out", "--format", "markdown"]).expect(0);
    assert!(
        md.stdout
            .contains("`module.network.aws_subnet.private[\"us-west-2d\"]`"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("### trial / prod"), "{}", md.stdout);
    let replace = md.stdout.find("| **replace** |").unwrap();
    let create = md.stdout.find("| create |").unwrap();
    assert!(replace < create, "replacements come first:\n{}", md.stdout);
    let text = run_in(ws.path(), &["diff", "--out", "out"]).expect(0);
    assert!(
        text.stdout.contains("trial/dev: ")
            && text
                .stdout
                .contains("  + module.network.aws_subnet.public[\"us-west-2d\"]")
            && text.stdout.contains("(forced by name, port)")
            && text.stdout.contains("+++ b/trial/envs/dev/main.tf"),
        "{}",
        text.stdout
    );
}

/// A blueprint whose environments override a service's log retention and a server's image and
/// sizes (v1.1).
const OVERRIDES: &str = r#"
app "ops" {
  region        = "us-west-2"
  log_retention = 30

  network {
    cidr = "10.61.0.0/16"
    azs  = ["us-west-2a", "us-west-2b"]
  }

  service "web" {
    image         = "nginx:1.27"
    port          = 80
    log_retention = 14
  }

  service "worker" {
    image = "busybox:1.36"
  }

  server "ci" {
    image = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  }

  environment "dev" {
    server "ci" {
      instance_type = "t3.small"
    }
  }

  environment "prod" {
    service "web" {
      log_retention = 90
    }
    server "ci" {
      image = "ami-0123456789abcdef0"
    }
  }
}
"#;

/// env -> address -> the resource of a JSON diff, with the environments' non-empty summaries.
fn changed_resources(v: &Value, app: &str) -> BTreeMap<String, BTreeMap<String, Value>> {
    v["environments"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(key, e)| {
            let env = key.strip_prefix(&format!("{app}/"))?;
            assert_eq!(e["predicted"], true, "{e:#}");
            let resources = e["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["address"].as_str().unwrap().to_string(), r.clone()))
                .collect();
            Some((env.to_string(), resources))
        })
        .collect()
}

/// The before and after of one attribute change of a predicted resource change.
fn change_of(r: &Value, attribute: &str) -> (Value, Value) {
    let c = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["attribute"] == attribute)
        .unwrap_or_else(|| panic!("no change of {attribute}: {r:#}"));
    (c["before"].clone(), c["after"].clone())
}

/// Per-environment overrides are predicted as what Terraform does with them: a service's log
/// retention updates its log group in place, a server's image, instance type and volume size
/// update its launch template in place (a new version), which the Auto Scaling group follows
/// (it launches the latest version). Nothing is replaced, nothing else changes.
#[test]
fn diff_predicts_per_environment_retention_and_server_image_changes() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("blueprints")).unwrap();
    let write = |text: &str| std::fs::write(ws.path().join("blueprints/ops.hcl"), text).unwrap();
    write(OVERRIDES);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let (code, v) = json_diff(ws.path(), &["--exit-code"]);
    assert_eq!(code, 0, "{v:#}");

    let logs = |s: &str| format!("module.ecs.aws_cloudwatch_log_group.this[\"{s}\"]");
    let template = "module.servers.aws_launch_template.this[\"ci\"]";
    let group = "module.servers.aws_autoscaling_group.this[\"ci\"]";
    let ssm = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

    // prod keeps the web logs for 60 days instead of 90 and runs another AMI; dev's server
    // moves from the SSM parameter to an AMI and gets a bigger volume.
    write(
        &OVERRIDES
            .replace("log_retention = 90", "log_retention = 60")
            .replace("ami-0123456789abcdef0", "ami-0fedcba9876543210")
            .replace(
                "      instance_type = \"t3.small\"\n",
                "      instance_type = \"t3.small\"\n      image         = \"ami-0123456789abcdef0\"\n      volume_size   = 50\n",
            ),
    );
    let (code, v) = json_diff(ws.path(), &["--exit-code"]);
    assert_eq!(code, 1, "{v:#}");
    let envs = changed_resources(&v, "ops");

    let prod = &envs["prod"];
    let policy = |s: &str| format!("module.ecs.aws_iam_role_policy.execution[\"{s}\"]");
    // The execution policies' document names every log group: Terraform reads it again.
    assert_eq!(
        prod.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            logs("web"),
            policy("web"),
            policy("worker"),
            template.to_string(),
            group.to_string()
        ]),
        "{prod:#?}"
    );
    for r in prod.values() {
        assert_eq!(r["action"], "update", "{r:#}");
    }
    assert_eq!(
        change_of(&prod[&logs("web")], "retention_in_days"),
        (90.into(), 60.into())
    );
    assert_eq!(
        change_of(&prod[template], "image_id"),
        (
            "ami-0123456789abcdef0".into(),
            "ami-0fedcba9876543210".into()
        )
    );
    assert_eq!(
        prod[group]["follows"][0]["address"], template,
        "{:#}",
        prod[group]
    );

    let dev = &envs["dev"];
    assert_eq!(
        dev.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([template.to_string(), group.to_string()]),
        "{dev:#?}"
    );
    assert_eq!(dev[template]["action"], "update", "{:#}", dev[template]);
    assert_eq!(
        change_of(&dev[template], "image_id"),
        (ssm.into(), "ami-0123456789abcdef0".into())
    );
    assert_eq!(
        change_of(&dev[template], "block_device_mappings.ebs.volume_size"),
        (30.into(), 50.into())
    );
    assert_eq!(dev[group]["action"], "update");

    // The app's own retention reaches every log group that keeps it, in every environment.
    write(&OVERRIDES.replace("log_retention = 30", "log_retention = 60"));
    let (_, v) = json_diff(ws.path(), &[]);
    let envs = changed_resources(&v, "ops");
    for env in ["dev", "prod"] {
        assert_eq!(
            envs[env].keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([logs("worker"), policy("web"), policy("worker")]),
            "{env}: web keeps its own retention: {:#?}",
            envs[env]
        );
        assert_eq!(
            change_of(&envs[env][&logs("worker")], "retention_in_days"),
            (30.into(), 60.into())
        );
    }
}

/// The issue's "done when": the predicted creates and deletes of each environment are exactly
/// the addresses by which Terraform's plans before and after the change differ.
#[test]
fn predicted_creates_and_deletes_equal_the_plans_difference() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let ws = tempfile::tempdir().unwrap();
    write_trial(ws.path(), TRIAL);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let app = ws.path().join("out/trial");
    let before = plan_managed(&tf, &app);
    write_trial(ws.path(), &changed_trial());
    let (code, v) = json_diff(ws.path(), &["--exit-code"]);
    assert_eq!(code, 1);
    let predicted = by_action(&v, "trial");
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let after = plan_managed(&tf, &app);
    assert_eq!(before.len(), 3);
    let none = BTreeSet::new();
    for (env, old) in &before {
        let new = &after[env];
        let deleted: BTreeSet<String> = old.difference(new).cloned().collect();
        let created: BTreeSet<String> = new.difference(old).cloned().collect();
        assert!(deleted.is_empty(), "{env}: Terraform deletes {deleted:#?}");
        let p = &predicted[env];
        assert_same(
            &format!("{env} creates"),
            p.get("create").unwrap_or(&none),
            &created,
        );
        assert_same(
            &format!("{env} deletes"),
            p.get("delete").unwrap_or(&none),
            &deleted,
        );
    }
    run_in(ws.path(), &["diff", "--out", "out", "--exit-code"]).expect(0);
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--base REF` compares with the output committed at REF, whatever is on disk.
#[test]
fn diff_against_a_git_revision() {
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path();
    write_trial(dir, TRIAL);
    run_in(dir, &["generate", "--out", "out"]).expect(0);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "base"]);
    write_trial(dir, &changed_trial());
    // While the disk holds what HEAD holds, both bases say the same, file by file: the
    // committed files are read back byte for byte.
    let (_, disk) = json_diff(dir, &[]);
    let (_, head) = json_diff(dir, &["--base", "HEAD"]);
    assert_eq!(disk["environments"], head["environments"]);
    assert_eq!(disk["files"], head["files"]);
    assert!(!head["files"].as_array().unwrap().is_empty(), "{head:#}");
    // Regenerate on disk: against disk nothing changes, against HEAD everything does.
    run_in(dir, &["generate", "--out", "out"]).expect(0);
    let (code, v) = json_diff(dir, &["--exit-code"]);
    assert_eq!(code, 0, "{v:#}");
    let (code, v) = json_diff(dir, &["--exit-code", "--base", "HEAD"]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["base"], "git:HEAD");
    let p = by_action(&v, "trial");
    assert!(
        p["dev"]["create"].contains("module.network.aws_subnet.private[\"us-west-2d\"]"),
        "{v:#}"
    );
    assert!(!p["dev"].contains_key("delete"), "{v:#}");
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "trial/envs/dev/main.tf" && f["action"] == "update")
    );
    // From a subfolder, with the output given relative to it.
    let sub = dir.join("blueprints");
    let run = run_in(
        &sub,
        &[
            "diff",
            ".",
            "--out",
            "../out",
            "--base",
            "HEAD",
            "--exit-code",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = run_in(dir, &["diff", "--out", "out", "--base", "no-such-ref"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-ref"), "{}", run.stderr);
}

/// An output generated before inventories existed gives no prediction rather than a wrong one.
#[test]
fn output_without_inventory_is_reported_unknown() {
    let ws = workspace(&["tests/blueprints/minimal.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let app = std::fs::read_dir(ws.path().join("out"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for e in std::fs::read_dir(app.join("envs")).unwrap() {
        std::fs::remove_file(e.unwrap().path().join(inventory::FILE_NAME)).unwrap();
    }
    let (code, v) = json_diff(ws.path(), &["--exit-code"]);
    assert_eq!(code, 1);
    for (_, e) in v["environments"].as_object().unwrap() {
        assert_eq!(e["predicted"], false, "{e:#}");
        assert!(e["resources"].as_array().unwrap().is_empty());
    }
}

/// The table of arguments that force a new resource (`inventory::forcing`) covers every
/// resource type the modules emit, and every argument it lists is one the inventory tracks (an
/// attribute or a reference) of that type: no type falls through to "nothing forces", and no
/// entry is dead. Which status each entry has is what the apply harness's `predictions`
/// scenarios check against Terraform.
#[test]
fn the_force_new_table_covers_every_emitted_type_and_tracked_argument() {
    let mut blueprints: Vec<String> = Vec::new();
    for dir in ["blueprints", "tests/blueprints"] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "hcl") {
                blueprints.push(format!(
                    "{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    blueprints.sort();
    let refs: Vec<&str> = blueprints.iter().map(String::as_str).collect();
    let ws = workspace(&refs);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    // type -> every tracked argument (attributes, their first segments, references).
    let mut tracked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for app in std::fs::read_dir(ws.path().join("out")).unwrap() {
        let envs = app.unwrap().path().join("envs");
        for env in std::fs::read_dir(&envs).into_iter().flatten() {
            let path = env.unwrap().path().join(inventory::FILE_NAME);
            let text = std::fs::read_to_string(&path).unwrap();
            let resources = inventory::parse(&text).unwrap();
            for r in resources.values() {
                let names = tracked.entry(r.resource_type().to_string()).or_default();
                for a in r
                    .attributes
                    .keys()
                    .chain(r.refs.keys())
                    .chain(r.reads.keys())
                {
                    names.insert(a.clone());
                    names.insert(a.split('.').next().unwrap().to_string());
                }
                // References point at resources of the same environment (a `[*]` read at
                // one of its instances at least).
                for t in r.refs.values().chain(r.reads.values()).flatten() {
                    let found = match t.strip_suffix("[*]") {
                        Some(base) => resources
                            .keys()
                            .any(|a| a.strip_prefix(base).is_some_and(|k| k.starts_with('['))),
                        None => resources.contains_key(t),
                    };
                    assert!(
                        found,
                        "{}: {} references {t}, not in the inventory",
                        path.display(),
                        r.address
                    );
                }
            }
        }
    }
    assert!(tracked.len() > 40, "{:?}", tracked.keys());
    for (ty, names) in &tracked {
        let Some(forcing) = inventory::forcing(ty) else {
            panic!("{ty} is emitted but not in the force-new table");
        };
        for f in forcing.iter().filter(|f| **f != "*") {
            assert!(
                names.contains(*f),
                "the force-new table lists {ty}.{f}, which the inventory does not track ({names:?})"
            );
        }
    }
}
