//! `explain`, `graph` and `new`: the views of a blueprint and the presets.

use crate::support::{repo, run_in, tree};
use std::process::{Command, Stdio};

#[test]
fn explain_lists_every_flow_of_accurate_video() {
    let run = run_in(&repo(), &["explain", "blueprints/accurate-video.hcl"]).expect(0);
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["FROM", "TO", "PORTS", "WHY"]);
    let has = |from: &str, to: &str, ports: &str| {
        rows.iter()
            .any(|r| r.len() > 3 && r[0] == from && r[1] == to && r[2] == ports)
    };
    assert!(
        has("service.jobs", "service.adapter", "tcp/5699-5702"),
        "{}",
        run.stdout
    );
    assert!(
        has("service.adapter", "service.jobs", "tcp/5699-5702"),
        "{}",
        run.stdout
    );
    assert!(
        has("service.adapter", "database.main", "tcp/5432"),
        "{}",
        run.stdout
    );
    let to_db = rows
        .iter()
        .filter(|r| r.get(1) == Some(&"database.main"))
        .count();
    assert_eq!(
        to_db, 1,
        "only adapter reaches the database:\n{}",
        run.stdout
    );
    assert!(!has("service.jobs", "load_balancer.public", "tcp/80"));
}

#[test]
fn graph_draws_services_stores_and_flows() {
    let run = run_in(&repo(), &["graph", "blueprints/magento.hcl"]).expect(0);
    assert!(run.stdout.starts_with("flowchart LR\n"), "{}", run.stdout);
    for want in [
        "svc_magento[\"service magento (nginx + php-fpm + blackfire)\"]",
        "db_main[(\"Aurora MySQL main\")]",
        "svc_magento -->|\"3306\"| db_main",
        "svc_magento -->|\"2049\"| fs_media",
    ] {
        assert!(run.stdout.contains(want), "missing {want}:\n{}", run.stdout);
    }
    let readme = std::fs::read_to_string(repo().join("examples/magento/README.md")).unwrap();
    assert!(
        readme.contains(&run.stdout),
        "the app README carries the same diagram"
    );
}

/// Servers are nodes with their flows, and with several clusters each cluster's services are
/// drawn in a group of their own.
#[test]
fn graph_draws_servers_and_groups_services_by_cluster() {
    let run = run_in(&repo(), &["graph", "blueprints/magento.hcl"]).expect(0);
    let out = &run.stdout;
    for want in [
        "srv_jenkins[\"server jenkins\"]",
        "lb_public -->|\"8080\"| srv_jenkins",
        "  subgraph cluster_admin[\"cluster admin\"]\n    svc_admin[\"service admin (nginx + php-fpm)\"]\n  end\n",
        "  subgraph cluster_app[\"cluster app\"]\n    svc_magento[",
    ] {
        assert!(out.contains(want), "missing {want:?}:\n{out}");
    }
    let dot = run_in(
        &repo(),
        &["graph", "blueprints/magento.hcl", "--format", "dot"],
    )
    .expect(0)
    .stdout;
    assert!(
        dot.contains(
            "  subgraph cluster_admin {\n    label=\"cluster admin\";\n    svc_admin [label="
        ),
        "{dot}"
    );
    assert!(
        dot.contains("  lb_public -> srv_jenkins [label=\"8080\"];"),
        "{dot}"
    );
    // One cluster: no groups.
    let one = run_in(&repo(), &["graph", "blueprints/websight.hcl"])
        .expect(0)
        .stdout;
    assert!(!one.contains("subgraph"), "{one}");

    // A server's own uses and an allow towards a server are edges of its node.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shop.hcl"),
        r#"app "shop" {
  region = "eu-west-1"
  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }
  service "web" {
    image = "nginx:1.27"
    port  = 80
  }
  database "main" {
    engine  = "aurora-postgresql"
    version = "16.4"
  }
  server "ci" {
    image = "ami-0123456789abcdef0"
    port  = 8080
    uses  = ["database.main", "service.web"]
  }
  allow {
    from  = "service.web"
    to    = "server.ci"
    ports = "8080"
  }
}
"#,
    )
    .unwrap();
    let run = run_in(dir.path(), &["graph", "shop.hcl"]).expect(0);
    for want in [
        "srv_ci -->|\"5432\"| db_main",
        "srv_ci -->|\"80\"| svc_web",
        "svc_web -->|\"8080\"| srv_ci",
    ] {
        assert!(
            run.stdout.contains(want),
            "missing {want:?}:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("fs_ci"), "{}", run.stdout);
}

#[test]
fn dot_output_is_accepted_by_graphviz() {
    let dot_available = Command::new("dot")
        .arg("-V")
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if std::env::var_os("TFBLUEPRINT_REQUIRE_DOT").is_some() {
        assert!(
            dot_available,
            "TFBLUEPRINT_REQUIRE_DOT is set but Graphviz `dot` cannot run"
        );
    }
    for bp in [
        "websight",
        "ecs-platform",
        "accurate-video",
        "magento",
        "fargate-api",
    ] {
        let run = run_in(
            &repo(),
            &["graph", &format!("blueprints/{bp}.hcl"), "--format", "dot"],
        )
        .expect(0);
        assert!(
            run.stdout.starts_with(&format!("digraph \"{bp}\" {{")),
            "{}",
            run.stdout
        );
        assert!(run.stdout.trim_end().ends_with('}'));
        if !dot_available {
            continue;
        }
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(run.stdout.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{bp}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
    if !dot_available {
        eprintln!("skipped: Graphviz `dot` not found; DOT checked for shape only");
    }
}

#[test]
fn new_writes_a_valid_blueprint_from_a_preset_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let list = run_in(dir.path(), &["new", "--list"]).expect(0);
    for preset in [
        "websight",
        "ecs-platform",
        "accurate-video",
        "magento",
        "fargate-api",
    ] {
        assert!(list.stdout.contains(preset), "{}", list.stdout);
    }
    run_in(dir.path(), &["new", "magento", "acme-shop"]).expect(0);
    let path = dir.path().join("blueprints/acme-shop.hcl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("app \"acme-shop\""));
    assert!(text.contains("# TODO: the AWS account id of this environment"));
    run_in(dir.path(), &["validate", "blueprints/acme-shop.hcl"]).expect(0);
    run_in(dir.path(), &["generate", "--out", "out"]).expect(0);
    assert!(tree(&dir.path().join("out/acme-shop")).contains_key("envs/prod/main.tf"));

    std::fs::write(&path, "# mine\n").unwrap();
    let again = run_in(dir.path(), &["new", "magento", "acme-shop"]).expect(1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");

    let bad = run_in(dir.path(), &["new", "magneto"]).expect(2);
    assert!(
        bad.stderr.contains("unknown preset \"magneto\""),
        "{}",
        bad.stderr
    );
    let bad_name = run_in(dir.path(), &["new", "websight", "Bad_Name"]).expect(2);
    assert!(
        bad_name.stderr.contains("app name \"Bad_Name\""),
        "{}",
        bad_name.stderr
    );
}
