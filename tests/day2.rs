//! Day-2 changes: what happens to an environment that already runs when it is changed,
//! re-created or pushed to again. Each test reads the generated Terraform and, where Terraform
//! is on `PATH`, its offline plans; without Terraform those parts say `skipped:`.

use crate::support::terraform::{Plan, Terraform};
use crate::support::{run_in, workspace};
use serde_json::Value;
use std::path::Path;
use tfblueprint::review::inventory;

/// A small Fargate app: one service from ECR behind a load balancer, three environments of
/// which two share an account.
const SHOP: &str = r#"
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.40.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  load_balancer "public" {
    listener "http" {
      port     = 80
      protocol = "HTTP"
      default  = "service.web"
    }
  }

  service "web" {
    repository    = true
    port          = 8080
    desired_count = 2
  }

  environment "dev" {
    account_id = "111111111111"
  }
  environment "staging" {
    account_id = "111111111111"
  }
  environment "prod" {
    account_id = "222222222222"
  }
}
"#;

fn write(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join("blueprints")).unwrap();
    std::fs::write(dir.join("blueprints/shop.hcl"), text).unwrap();
}

fn generate(text: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    write(ws.path(), text);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    ws
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text of one `resource "<ty>" "<name>"` block of a generated file.
fn block<'a>(text: &'a str, ty: &str, name: &str) -> &'a str {
    let head = format!("resource \"{ty}\" \"{name}\" {{");
    let start = text
        .find(&head)
        .unwrap_or_else(|| panic!("no {head} in:\n{text}"));
    let end = text[start..]
        .find("\n}\n")
        .map_or(text.len(), |e| start + e + 3);
    &text[start..end]
}

fn inventory_of(
    dir: &Path,
    app: &str,
    env: &str,
) -> std::collections::BTreeMap<String, inventory::Resource> {
    inventory::parse(&read(
        dir,
        &format!("out/{app}/envs/{env}/{}", inventory::FILE_NAME),
    ))
    .unwrap()
}

fn json_diff(dir: &Path) -> Value {
    let run = run_in(dir, &["diff", "--out", "out", "--format", "json"]);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr))
}

fn predicted<'a>(v: &'a Value, env: &str, address: &str) -> &'a Value {
    v["environments"][env]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{env}: no {address} in {v:#}"))
}

fn managed<'a>(p: &'a Plan, ty: &str) -> Vec<&'a Value> {
    p.changes
        .iter()
        .filter(|c| c.mode == "managed" && c.resource_type == ty)
        .map(|c| &c.after)
        .collect()
}

// Trap: a target group that is replaced (port, protocol, target type) keeps its fixed name
// and is destroyed first, which fails while a listener uses it.
#[test]
fn a_target_group_port_change_creates_the_new_group_under_a_new_name_first() {
    let ws = generate(SHOP);
    let alb = read(ws.path(), "out/shop/modules/alb/main.tf");
    let tg = block(&alb, "aws_lb_target_group", "this");
    assert!(
        tg.contains("lifecycle {\n    create_before_destroy = true\n  }"),
        "{tg}"
    );
    let name_of = |dir: &Path, env: &str| {
        inventory_of(dir, "shop", env)["module.alb.aws_lb_target_group.this[\"web.public\"]"]
            .attributes["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = name_of(ws.path(), "prod");
    assert!(before.starts_with("shop-prod-web-public-"), "{before}");
    assert!(before.len() <= 32, "{before}");
    // Deterministic: a second run writes the same name.
    assert_eq!(before, name_of(generate(SHOP).path(), "prod"));

    write(
        ws.path(),
        &SHOP.replace("port          = 8080", "port          = 9090"),
    );
    let v = json_diff(ws.path());
    let tg = predicted(
        &v,
        "shop/prod",
        "module.alb.aws_lb_target_group.this[\"web.public\"]",
    );
    assert_eq!(tg["action"], "replace", "{tg:#}");
    assert_eq!(
        tg["forced_by"],
        serde_json::json!(["name", "port"]),
        "{tg:#}"
    );
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let after = name_of(ws.path(), "prod");
    assert_ne!(before, after, "the replacing group needs a name of its own");
    assert_eq!(before[..before.len() - 4], after[..after.len() - 4]);

    // A long name still fits in 32 characters, with the digest at its end.
    let long = generate(
        &SHOP
            .replace("\"web\"", "\"a-very-long-service-name-here\"")
            .replace("service.web", "service.a-very-long-service-name-here"),
    );
    let n = inventory_of(long.path(), "shop", "staging")
        ["module.alb.aws_lb_target_group.this[\"a-very-long-service-name-here.public\"]"]
        .attributes["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(n.len() <= 32 && !n.contains("--"), "{n}");

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/shop"));
    let planned = managed(report.env("prod"), "aws_lb_target_group");
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0]["name"], after.as_str());
    assert_eq!(planned[0]["port"], 9090);
}

// Trap: force_new_deployment = true redeploys every task on any in-place update.
#[test]
fn ecs_services_redeploy_only_when_their_task_definition_changes() {
    let ws = generate(SHOP);
    let ecs = read(ws.path(), "out/shop/modules/ecs/main.tf");
    let svc = block(&ecs, "aws_ecs_service", "this");
    assert!(
        !svc.contains("force_new_deployment =") && !svc.contains("triggers"),
        "{svc}"
    );

    // A desired count is an update of the service alone.
    write(
        ws.path(),
        &SHOP.replace("desired_count = 2", "desired_count = 3"),
    );
    let v = json_diff(ws.path());
    let s = predicted(&v, "shop/prod", "module.ecs.aws_ecs_service.this[\"web\"]");
    assert_eq!(s["action"], "update", "{s:#}");
    assert_eq!(s["changes"][0]["attribute"], "desired_count", "{s:#}");
    assert!(
        !v["environments"]["shop/prod"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["address"] == "module.ecs.aws_ecs_task_definition.this[\"web\"]"),
        "{v:#}"
    );

    // Without force_new_deployment the provider replaces a service whose capacity provider
    // changes: `diff` says so.
    let spot = SHOP.replace(
        "environment \"prod\" {",
        "environment \"prod\" {\n    cluster {\n      capacity = \"fargate_spot\"\n    }",
    );
    write(ws.path(), &spot);
    let v = json_diff(ws.path());
    let s = predicted(&v, "shop/prod", "module.ecs.aws_ecs_service.this[\"web\"]");
    assert_eq!(s["action"], "replace", "{s:#}");
    assert_eq!(
        s["forced_by"],
        serde_json::json!(["capacity_provider_strategy.capacity_provider"]),
        "{s:#}"
    );

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/shop"));
    for svc in managed(report.env("prod"), "aws_ecs_service") {
        assert!(
            svc["force_new_deployment"].is_null() || svc["force_new_deployment"] == false,
            "{svc}"
        );
    }
}

// Trap: fixed final snapshot names collide when a re-created environment is destroyed again.
#[test]
fn final_snapshots_are_named_per_lifetime_and_a_second_plan_is_clean() {
    let ws = workspace(&["tests/blueprints/serverless-mysql.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let aurora = read(ws.path(), "out/serverless-mysql/modules/aurora/main.tf");
    let cluster = block(&aurora, "aws_rds_cluster", "this");
    assert!(
        cluster.contains("-final-${terraform_data.final_snapshot[each.key].output}\""),
        "{cluster}"
    );
    let cache = read(
        ws.path(),
        "out/serverless-mysql/modules/elasticache/main.tf",
    );
    let group = block(&cache, "aws_elasticache_replication_group", "this");
    assert!(
        group.contains("-final-${terraform_data.final_snapshot[each.key].output}\""),
        "{group}"
    );
    for text in [&aurora, &cache] {
        let stamp = block(text, "terraform_data", "final_snapshot");
        assert!(stamp.contains("plantimestamp()"), "{stamp}");
        assert!(stamp.contains("ignore_changes = [input]"), "{stamp}");
        assert!(stamp.contains("triggers_replace"), "{stamp}");
    }
    // No timestamp in the generated files: they stay byte-identical.
    let again = workspace(&["tests/blueprints/serverless-mysql.hcl"]);
    run_in(again.path(), &["generate", "--out", "out"]).expect(0);
    assert_eq!(
        crate::support::tree(&ws.path().join("out")),
        crate::support::tree(&again.path().join("out"))
    );

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    // Apply the timestamps and the cache's AUTH token (they need no AWS account), then plan
    // twice, a second apart: the stored time and token stay, and the snapshot names are the
    // same in both plans.
    let sb = tf.sandbox(&ws.path().join("out/serverless-mysql"));
    sb.init("dev");
    sb.run(
        "dev",
        &[
            "apply",
            "-auto-approve",
            "-refresh=false",
            "-input=false",
            "-lock=false",
            "-no-color",
            "-target=module.aurora.terraform_data.final_snapshot",
            "-target=module.elasticache.terraform_data.final_snapshot",
            "-target=module.elasticache.terraform_data.auth_token",
        ],
    );
    let names = |p: &Plan| -> Vec<String> {
        let mut out: Vec<String> = managed(p, "aws_rds_cluster")
            .into_iter()
            .chain(managed(p, "aws_elasticache_replication_group"))
            .map(|v| {
                v["final_snapshot_identifier"]
                    .as_str()
                    .unwrap_or("(unknown)")
                    .to_string()
            })
            .collect();
        out.sort();
        out
    };
    let first = sb.plan("dev");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = sb.plan("dev");
    for p in [&first, &second] {
        for c in p
            .changes
            .iter()
            .filter(|c| c.resource_type == "terraform_data")
        {
            assert_eq!(c.actions, vec!["no-op"], "{}: {:?}", c.address, c.actions);
        }
    }
    let (a, b) = (names(&first), names(&second));
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(
        a, b,
        "the final snapshot names must not change between plans"
    );
    for n in &a {
        let stamp = n.rsplit('-').next().unwrap();
        assert!(
            n.contains("-final-") && stamp.len() == 14 && stamp.chars().all(|c| c.is_ascii_digit()),
            "{n}"
        );
    }
}

// Trap: the container instances keep the old launch template until something replaces them.
#[test]
fn ec2_capacity_rolls_its_instances_through_scale_in_protection() {
    let ws = workspace(&["blueprints/ecs-platform.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let ecs = read(ws.path(), "out/ecs-platform/modules/ecs/main.tf");
    let asg = block(&ecs, "aws_autoscaling_group", "this");
    assert!(asg.contains("protect_from_scale_in = true"), "{asg}");
    assert!(asg.contains("instance_refresh {"), "{asg}");
    assert!(
        asg.contains("scale_in_protected_instances = \"Refresh\""),
        "an instance refresh skips scale-in protected instances unless told otherwise:\n{asg}"
    );
    let cp = block(&ecs, "aws_ecs_capacity_provider", "this");
    assert!(
        cp.contains("managed_draining               = \"ENABLED\""),
        "{cp}"
    );

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/ecs-platform"));
    for env in ["dev", "prod"] {
        let asg = managed(report.env(env), "aws_autoscaling_group")[0];
        let refresh = &asg["instance_refresh"][0];
        assert_eq!(refresh["strategy"], "Rolling", "{env}: {asg}");
        let prefs = &refresh["preferences"][0];
        assert_eq!(prefs["scale_in_protected_instances"], "Refresh", "{env}");
        assert_eq!(prefs["min_healthy_percentage"], 100, "{env}");
        assert_eq!(prefs["max_healthy_percentage"], 200, "{env}");
    }
}

// Trap: IMMUTABLE repositories with the default tag `latest` refuse the second push, and every
// environment of one account creates its own repositories.
#[test]
fn ecr_repositories_are_shared_per_account_and_take_a_second_push() {
    let ws = generate(SHOP);
    let ecs = read(ws.path(), "out/shop/modules/ecs/main.tf");
    let repo = block(&ecs, "aws_ecr_repository", "this");
    assert!(repo.contains("checkov:skip=CKV_AWS_51: "), "{repo}");
    assert!(
        repo.contains(
            "image_tag_mutability = each.value.immutable_tags ? \"IMMUTABLE\" : \"MUTABLE\""
        ),
        "{repo}"
    );
    assert!(repo.contains("if var.create_repositories"), "{repo}");
    assert!(ecs.contains("tagStatus   = \"untagged\""), "{ecs}");

    let repo_address = "module.ecs.aws_ecr_repository.this[\"web\"]";
    for (env, creates) in [("dev", true), ("staging", false), ("prod", true)] {
        let inv = inventory_of(ws.path(), "shop", env);
        assert_eq!(inv.contains_key(repo_address), creates, "{env}");
        let main = read(ws.path(), &format!("out/shop/envs/{env}/main.tf"));
        assert!(
            main.contains(&format!("create_repositories = {creates}")),
            "{env}:\n{main}"
        );
        if creates {
            let r = &inv[repo_address].attributes;
            assert_eq!(r["name"], "shop/web", "{env}");
            assert_eq!(r["image_tag_mutability"], "MUTABLE", "{env}");
        }
    }

    // Immutable tags on request: every environment must then name its tag.
    let immutable = SHOP.replace(
        "repository    = true",
        "repository     = true\n    immutable_tags = true",
    );
    write(ws.path(), &immutable);
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(2);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("blueprints/shop.hcl:"))
        .collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert!(
        lines[0].starts_with("blueprints/shop.hcl:25:15: ") && lines[0].contains("image_tag"),
        "{}",
        run.stderr
    );
    let tagged = immutable.replace(
        "account_id = \"222222222222\"",
        "account_id = \"222222222222\"\n    service \"web\" {\n      image_tag = \"1.0.0\"\n    }",
    ).replace(
        "account_id = \"111111111111\"\n",
        "account_id = \"111111111111\"\n    service \"web\" {\n      image_tag = \"1.0.0\"\n    }\n",
    );
    write(ws.path(), &tagged);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let ecs = read(ws.path(), "out/shop/modules/ecs/main.tf");
    let repo = block(&ecs, "aws_ecr_repository", "this");
    assert!(
        repo.contains("image_tag_mutability = \"IMMUTABLE\""),
        "{repo}"
    );
    assert!(!repo.contains("CKV_AWS_51"), "{repo}");
    write(ws.path(), SHOP);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/shop"));
    assert!(managed(report.env("staging"), "aws_ecr_repository").is_empty());
    for env in ["dev", "prod"] {
        let repos = managed(report.env(env), "aws_ecr_repository");
        assert_eq!(repos.len(), 1, "{env}");
        assert_eq!(repos[0]["name"], "shop/web", "{env}");
        assert_eq!(repos[0]["image_tag_mutability"], "MUTABLE", "{env}");
        assert_eq!(
            managed(report.env(env), "aws_ecr_lifecycle_policy").len(),
            1
        );
    }
}
