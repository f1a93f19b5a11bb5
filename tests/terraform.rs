//! Terraform on the generated output: every environment root is fmt-clean, validates with no
//! warning and plans offline, and the plans hold what the blueprints ask for. These tests need
//! Terraform and the AWS provider mirror; without them each says `skipped:` and passes.

use crate::support::terraform::{AppReport, Terraform};
use crate::support::{run_in, workspace};

fn terraform() -> Option<Terraform> {
    match Terraform::find() {
        Ok(t) => Some(t),
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// Generates `blueprint` in a temp workspace and checks every environment root.
fn plan(tf: &Terraform, blueprint: &str, app: &str) -> AppReport {
    let ws = workspace(&[blueprint]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    tf.check_app(&ws.path().join("out").join(app))
}

#[track_caller]
fn count(report: &AppReport, env: &str, ty: &str) -> usize {
    report
        .envs
        .get(env)
        .unwrap_or_else(|| panic!("no environment {env}"))
        .count(ty)
}

#[test]
fn network_blueprint_plans_subnets_nat_endpoints_and_flow_logs() {
    let Some(tf) = terraform() else { return };
    let r = plan(&tf, "tests/blueprints/network-three-az.hcl", "netcheck");
    for env in ["dev", "prod"] {
        assert_eq!(count(&r, env, "aws_vpc"), 1);
        assert_eq!(count(&r, env, "aws_subnet"), 9);
        assert_eq!(count(&r, env, "aws_vpc_endpoint"), 3);
        assert_eq!(count(&r, env, "aws_flow_log"), 1);
    }
    assert_eq!(count(&r, "dev", "aws_nat_gateway"), 1);
    assert_eq!(count(&r, "prod", "aws_nat_gateway"), 3);
}

#[test]
fn appending_an_availability_zone_only_creates() {
    let Some(tf) = terraform() else { return };
    let ws = workspace(&["tests/blueprints/network-three-az.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let app = ws.path().join("out/netcheck");
    let before = tf.plan_addresses(&app);
    let bp = ws.path().join("blueprints/network-three-az.hcl");
    let text = std::fs::read_to_string(&bp)
        .unwrap()
        .replace("\"us-west-2c\"]", "\"us-west-2c\", \"us-west-2d\"]");
    std::fs::write(&bp, text).unwrap();
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let after = tf.plan_addresses(&app);
    for (env, old) in &before {
        let new = &after[env];
        let removed: Vec<_> = old.difference(new).collect();
        assert!(
            removed.is_empty(),
            "{env}: appending an AZ removed {removed:?}"
        );
        let added: Vec<_> = new.difference(old).collect();
        assert!(
            added
                .iter()
                .any(|a| a.contains("aws_subnet.private[\"us-west-2d\"]")),
            "{env}: {added:?}"
        );
    }
}

/// The harness attaches every Terraform command of a root to one provider process: the address
/// it listens on is read from the banner the provider prints in debug mode.
#[test]
fn reads_the_reattach_json_of_the_debug_banner() {
    let banner = "Starting github.com/hashicorp/terraform-provider-aws@5.100.0 (go1.23.10)...\nProvider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{\"registry.terraform.io/hashicorp/aws\":{\"Protocol\":\"grpc\",\"ProtocolVersion\":5,\"Pid\":7,\"Test\":true,\"Addr\":{\"Network\":\"unix\",\"String\":\"/tmp/plugin1\"}}}'\n\n";
    assert_eq!(
        crate::support::reattach::reattach_line(banner).as_deref(),
        Some(
            "{\"registry.terraform.io/hashicorp/aws\":{\"Protocol\":\"grpc\",\"ProtocolVersion\":5,\"Pid\":7,\"Test\":true,\"Addr\":{\"Network\":\"unix\",\"String\":\"/tmp/plugin1\"}}}"
        )
    );
    assert_eq!(
        crate::support::reattach::reattach_line("Provider started."),
        None
    );
    assert_eq!(
        crate::support::reattach::reattach_line("TF_REATTACH_PROVIDERS='{\"other\":{}}'"),
        None
    );
}

/// Per-environment `log_retention` (app and service) and `server` settings take effect in each
/// environment's plan, and the roots validate.
#[test]
fn environments_override_log_retention_and_server_settings() {
    let Some(tf) = terraform() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shop.hcl"),
        r#"app "shop" {
  region        = "eu-west-1"
  log_retention = 30

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  service "web" {
    image         = "nginx:1.27"
    port          = 80
    log_retention = 14
  }

  service "worker" {
    image = "busybox:1.36"
  }

  server "jenkins" {
    image       = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    port        = 8080
    volume_size = 100
  }

  environment "dev" {
    log_retention = 7
    service "web" {
      log_retention = 3
    }
    server "jenkins" {
      instance_type = "t3.small"
      volume_size   = 40
      image         = "ami-0123456789abcdef0"
    }
  }

  environment "prod" {
    service "worker" {
      log_retention = 90
    }
  }
}
"#,
    )
    .unwrap();
    run_in(dir.path(), &["generate", "shop.hcl", "--out", "out"]).expect(0);
    let report = tf.check_app(&dir.path().join("out/shop"));
    let after = |env: &str, address: &str, attr: &str| {
        report
            .env(env)
            .get(address)
            .unwrap_or_else(|| panic!("{env}: no {address}"))
            .after[attr]
            .clone()
    };
    let logs = |s: &str| format!("module.ecs.aws_cloudwatch_log_group.this[\"{s}\"]");
    assert_eq!(after("dev", &logs("web"), "retention_in_days"), 3);
    assert_eq!(after("dev", &logs("worker"), "retention_in_days"), 7);
    assert_eq!(after("prod", &logs("web"), "retention_in_days"), 14);
    assert_eq!(after("prod", &logs("worker"), "retention_in_days"), 90);
    let lt = "module.servers.aws_launch_template.this[\"jenkins\"]";
    assert_eq!(after("dev", lt, "image_id"), "ami-0123456789abcdef0");
    assert_eq!(after("dev", lt, "instance_type"), "t3.small");
    assert_eq!(
        after("prod", lt, "image_id"),
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    );
    assert_eq!(after("prod", lt, "instance_type"), "t3.medium");
    assert_eq!(
        after("dev", lt, "block_device_mappings")[0]["ebs"][0]["volume_size"],
        40
    );
    assert_eq!(
        after("prod", lt, "block_device_mappings")[0]["ebs"][0]["volume_size"],
        100
    );
}

/// A service that uses servers gets their address through the load balancer of their route
/// (the route's host, or a private record when the route has paths only) and may reach that
/// listener; the root validates and plans.
#[test]
fn a_service_reaches_a_used_server_through_its_load_balancer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shop.hcl"),
        r#"app "shop" {
  region = "eu-west-1"
  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }
  load_balancer "internal" {
    internal = true
    listener "http" {
      port     = 8000
      protocol = "HTTP"
    }
  }
  service "web" {
    image = "nginx:1.27"
    port  = 80
    uses  = ["server.jenkins", "server.nexus"]
  }
  server "jenkins" {
    image = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    port  = 8080
    route {
      load_balancer = "internal"
      listener      = "http"
      hosts         = ["*.ci.example.com", "ci.example.com"]
    }
  }
  server "nexus" {
    image = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    port  = 8081
    route {
      load_balancer = "internal"
      listener      = "http"
      paths         = ["/nexus/*"]
    }
  }
  dns {
    private_zone = "shop.internal"
    private_record "nexus" {
      target = "server.nexus"
    }
  }
}
"#,
    )
    .unwrap();
    run_in(dir.path(), &["generate", "shop.hcl", "--out", "out"]).expect(0);
    let out = dir.path().join("out/shop");
    let root = std::fs::read_to_string(out.join("envs/default/main.tf")).unwrap();
    for line in [
        "SERVER_JENKINS_HOST = \"ci.example.com\"",
        "SERVER_JENKINS_PORT = \"8000\"",
        "SERVER_NEXUS_HOST   = \"nexus.shop.internal\"",
        "SERVER_NEXUS_PORT   = \"8000\"",
    ] {
        assert!(root.contains(line), "{line}:\n{root}");
    }
    let security = std::fs::read_to_string(out.join("modules/security/main.tf")).unwrap();
    for key in [
        "\"load_balancer.internal:ingress:service.web:tcp:8000\"",
        "\"service.web:egress:load_balancer.internal:tcp:8000\"",
    ] {
        assert!(security.contains(key), "{key}:\n{security}");
    }
    let Some(tf) = terraform() else { return };
    let report = tf.check_app(&out);
    assert!(
        report
            .env("default")
            .has("module.servers.aws_autoscaling_group.this[\"nexus\"]")
    );
}
