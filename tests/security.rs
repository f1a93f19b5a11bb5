//! Secure defaults: the customer-managed KMS key option plans offline and reaches every module
//! that encrypts at rest; no generated IAM policy allows `*` actions on `*` resources.

use crate::support::terraform::Terraform;
use crate::support::{run_in, tree, workspace};
use hcl::eval::{Context, Evaluate};

/// Whether a planned value was wired to something unknown at plan time (the key's ARN) rather
/// than left at a known null.
fn unknown(after: &serde_json::Value, attr: &str) -> bool {
    after.get(attr).is_none()
}

#[test]
fn the_kms_key_option_plans_offline_and_every_module_uses_the_key() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let ws = workspace(&["tests/blueprints/kms.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let report = tf.check_app(&ws.path().join("out/kms-app"));
    let plan = report.env("dev");
    assert_eq!(plan.count("aws_kms_key"), 1);
    assert_eq!(plan.count("aws_kms_key_policy"), 1);
    let key = plan.get("module.kms.aws_kms_key.this").expect("the key");
    assert_eq!(key.after["enable_key_rotation"], true);
    assert_eq!(key.after["deletion_window_in_days"], 30);
    let alias = plan
        .get("module.kms.aws_kms_alias.this")
        .expect("the alias");
    assert_eq!(alias.after["name"], "alias/kms-app-dev");

    let log_groups: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.resource_type == "aws_cloudwatch_log_group")
        .collect();
    assert!(log_groups.len() >= 3, "{}", log_groups.len());
    for g in log_groups {
        assert!(unknown(&g.after, "kms_key_id"), "{} has no key", g.address);
    }
    for (ty, attr) in [
        ("aws_rds_cluster", "kms_key_id"),
        ("aws_rds_cluster", "master_user_secret_kms_key_id"),
        ("aws_elasticache_replication_group", "kms_key_id"),
        ("aws_efs_file_system", "kms_key_id"),
    ] {
        let found: Vec<_> = plan
            .changes
            .iter()
            .filter(|c| c.resource_type == ty)
            .collect();
        assert!(!found.is_empty(), "no {ty}");
        for c in found {
            assert!(
                unknown(&c.after, attr),
                "{}.{attr} is not the key",
                c.address
            );
        }
    }
    let template = plan
        .changes
        .iter()
        .find(|c| c.address == "module.bastion.aws_launch_template.this")
        .expect("the bastion's launch template");
    let ebs = &template.after["block_device_mappings"][0]["ebs"][0];
    assert_eq!(ebs["encrypted"], "true");
    assert!(unknown(ebs, "kms_key_id"), "{ebs}");
}

#[test]
fn without_the_option_there_is_no_key_and_no_key_argument() {
    let ws = workspace(&["tests/blueprints/data-tier.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    for (path, content) in tree(&ws.path().join("out")) {
        assert!(!path.contains("modules/kms"), "{path}");
        assert!(!content.contains("module.kms"), "{path}");
    }
}

/// Every `data "aws_iam_policy_document"` statement of every generated module, for the
/// committed examples and the test blueprints: an `Allow` never pairs `*` actions with `*`
/// resources.
#[test]
fn no_iam_policy_allows_every_action_on_every_resource() {
    let ws = workspace(&[
        "blueprints/websight.hcl",
        "blueprints/ecs-platform.hcl",
        "blueprints/accurate-video.hcl",
        "blueprints/magento.hcl",
        "blueprints/fargate-api.hcl",
        "tests/blueprints/kms.hcl",
        "tests/blueprints/data-tier.hcl",
        "tests/blueprints/full-stack.hcl",
    ]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let mut statements = 0;
    for (path, content) in tree(&ws.path().join("out")) {
        if !path.ends_with(".tf") {
            continue;
        }
        let body: hcl::Body = hcl::from_str(&content).unwrap();
        for doc in body.blocks().filter(|b| {
            b.identifier() == "data"
                && b.labels().first().map(|l| l.as_str()) == Some("aws_iam_policy_document")
        }) {
            let all_statements = doc
                .body
                .blocks()
                .filter(|b| b.identifier() == "statement")
                .map(|b| &b.body)
                .chain(
                    doc.body
                        .blocks()
                        .filter(|b| b.identifier() == "dynamic")
                        .flat_map(|d| {
                            d.body
                                .blocks()
                                .filter(|b| b.identifier() == "content")
                                .map(|b| &b.body)
                        }),
                );
            for st in all_statements {
                statements += 1;
                let literal = |name: &str| -> Vec<String> {
                    st.attributes()
                        .find(|a| a.key() == name)
                        .and_then(|a| a.expr.evaluate(&Context::new()).ok())
                        .map(|v| match v {
                            hcl::Value::Array(items) => items
                                .into_iter()
                                .filter_map(|i| i.as_str().map(str::to_string))
                                .collect(),
                            hcl::Value::String(s) => vec![s],
                            _ => Vec::new(),
                        })
                        .unwrap_or_default()
                };
                let effect = literal("effect");
                if effect.first().map(String::as_str) == Some("Deny") {
                    continue;
                }
                let actions = literal("actions");
                let resources = literal("resources");
                let wild_action = actions.iter().any(|a| a == "*" || a == "*:*");
                let wild_resource = resources.iter().any(|r| r == "*");
                let is_key_policy = path.contains("modules/kms/");
                assert!(
                    !(wild_action && wild_resource),
                    "{path}: a statement allows every action on every resource"
                );
                // In a key policy "*" is the key itself; elsewhere only actions that have no
                // resource-level permissions may use it.
                if wild_resource && !is_key_policy {
                    for a in &actions {
                        assert!(
                            a == "ecr:GetAuthorizationToken" || a.starts_with("ssmmessages:"),
                            "{path}: {a} on \"*\""
                        );
                    }
                }
            }
        }
    }
    assert!(statements > 20, "only {statements} statements found");
}
