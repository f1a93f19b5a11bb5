//! Provider compatibility: every resource type, data source, argument and block the generated
//! code uses exists in the AWS provider versions the roots admit (`>= 5.100, < 7.0`).
//!
//! - 5.100: from `terraform providers schema -json` on the provider mirror, which also names
//!   deprecated arguments (none may be used); needs Terraform, else `skipped:`.
//! - 6.x: from the normalized schema `.ci/provider-compat` writes from the argument tables of
//!   the npm package `@cdktf/provider-aws` 21.x (generated from hashicorp/aws 6.25), given as
//!   `TFBLUEPRINT_AWS6_SCHEMA`; else `skipped:`.
//!
//! `TFBLUEPRINT_PROVIDER_USAGE_OUT=<file>` writes what the code uses (the same JSON shape), from
//! which the CI script knows which per-resource tables to extract.

use crate::support::provider::{Schema, from_terraform_schema, usage};
use crate::support::terraform::Terraform;
use crate::support::{repo, run_in};

/// The examples' blueprints and every test blueprint, generated into one folder: what the
/// generated code uses.
fn used() -> (tempfile::TempDir, Schema) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec![
        "generate".to_string(),
        "--out".into(),
        out.display().to_string(),
        repo().join("blueprints").display().to_string(),
    ];
    for e in std::fs::read_dir(repo().join("tests/blueprints")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "hcl") {
            args.push(p.display().to_string());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(&repo(), &args).expect(0);
    let used = usage(&out);
    (dir, used)
}

#[track_caller]
fn assert_has(schema: &Schema, used: &Schema) {
    let (missing, deprecated) = schema.lacks(used);
    assert!(
        missing.is_empty() && deprecated.is_empty(),
        "{}: the generated code uses what it lacks:\n  {}\nand what it marks deprecated:\n  {}",
        schema.provider,
        missing.join("\n  "),
        deprecated.join("\n  ")
    );
}

#[test]
fn the_usage_reads_resources_arguments_and_blocks() {
    let (_dir, used) = used();
    let ecs = &used.resource["aws_ecs_service"];
    assert!(ecs.0.contains_key("desired_count"));
    assert!(
        ecs.0["deployment_circuit_breaker"]
            .0
            .contains_key("rollback")
    );
    assert!(!ecs.0.contains_key("for_each") && !ecs.0.contains_key("lifecycle"));
    // `dynamic "x" { content { ... } }` is block x.
    assert!(
        used.resource
            .values()
            .any(|t| t.0.keys().all(|k| k != "dynamic")),
        "dynamic blocks are read as their block"
    );
    assert!(used.data.contains_key("aws_iam_policy_document"));
    if let Some(path) = std::env::var_os("TFBLUEPRINT_PROVIDER_USAGE_OUT") {
        let text = serde_json::to_string_pretty(&used.to_json()).unwrap();
        std::fs::write(&path, text).unwrap();
        eprintln!("wrote the usage to {}", path.to_string_lossy());
    }
}

#[test]
fn the_generated_code_uses_only_what_aws_5_100_has() {
    let tf = match Terraform::find() {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped: hashicorp/aws 5.100 schema check: {why}");
            return;
        }
    };
    let (_dir, used) = used();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("versions.tf"),
        "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \">= 5.100, < 6.0\"\n    }\n  }\n}\n",
    )
    .unwrap();
    let cli_config = root.path().join("terraformrc");
    std::fs::write(&cli_config, tf.cli_config()).unwrap();
    let run = |args: &[&str]| {
        let out = tf
            .command(root.path(), &cli_config, None, args)
            .output()
            .expect("terraform runs");
        assert!(
            out.status.success(),
            "terraform {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["init", "-backend=false", "-input=false", "-no-color"]);
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["providers", "schema", "-json"])).unwrap();
    let schema = from_terraform_schema(&json);
    assert!(
        schema.resource.len() > 1000,
        "{} resource types",
        schema.resource.len()
    );
    assert_has(&schema, &used);
}

#[test]
fn the_generated_code_uses_only_what_aws_6_has() {
    let Some(path) = std::env::var_os("TFBLUEPRINT_AWS6_SCHEMA") else {
        eprintln!(
            "skipped: hashicorp/aws 6.x check: TFBLUEPRINT_AWS6_SCHEMA is not set (.ci/provider-compat sets it)"
        );
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let schema = Schema::from_json(&serde_json::from_str(&text).unwrap());
    assert!(schema.provider.contains("6."), "{}", schema.provider);
    let (_dir, used) = used();
    assert_has(&schema, &used);
}

#[test]
fn a_missing_argument_or_block_is_named_by_its_path() {
    let have = Schema::from_json(&serde_json::json!({
        "provider": "test",
        "resource": {"aws_x": {"a": {}, "b": {"c": {}}}},
        "deprecated": ["aws_x.a"],
    }));
    let used = Schema::from_json(&serde_json::json!({
        "resource": {"aws_x": {"a": {}, "b": {"c": {}, "d": {}}, "e": {}}, "aws_y": {}},
        "data": {"aws_z": {}},
    }));
    let (missing, deprecated) = have.lacks(&used);
    assert_eq!(
        missing,
        [
            "aws_x.b.d",
            "aws_x.e",
            "aws_y (no such type)",
            "data.aws_z (no such type)"
        ]
    );
    assert_eq!(deprecated, ["aws_x.a"]);
}
