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
