//! Several clusters, servers, self-flows, egress and deployment settings in the generated
//! output (their Terraform side is checked by the plan, inventory and apply suites).

use crate::support::{repo, run_in, tree};
use std::collections::BTreeMap;

/// Generates the blueprint `text` (app "shop") and returns the output tree.
fn generate(text: &str) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.hcl"), text).unwrap();
    run_in(dir.path(), &["generate", "shop.hcl", "--out", "out"]).expect(0);
    tree(&dir.path().join("out/shop"))
        .into_iter()
        .filter(|(k, _)| !k.ends_with(".tfblueprint.json"))
        .collect()
}

fn shop(cluster: &str, rest: &str) -> String {
    format!(
        r#"app "shop" {{
  region = "eu-west-1"

  network {{
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }}

{cluster}

  service "web" {{
    image         = "nginx:1.27"
    port          = 80
    desired_count = 2
{rest}
  }}
}}
"#
    )
}

#[test]
fn a_single_cluster_gives_the_same_output_whatever_its_label() {
    let body = "    capacity      = \"ec2\"\n    instance_type = \"t3.large\"\n  }";
    let unlabeled = generate(&shop(&format!("  cluster {{\n{body}"), ""));
    let main = generate(&shop(&format!("  cluster \"main\" {{\n{body}"), ""));
    let app = generate(&shop(&format!("  cluster \"app\" {{\n{body}"), ""));
    assert_eq!(unlabeled, main);
    assert_eq!(unlabeled, app);
    let ecs = &unlabeled["modules/ecs/main.tf"];
    assert!(ecs.contains("resource \"aws_ecs_cluster\" \"this\" {\n  name = var.name"));
}

#[test]
fn several_clusters_are_keyed_by_name_and_the_main_one_moves_to_its_key() {
    let clusters = "  cluster {\n    capacity = \"ec2\"\n  }\n\n  cluster \"spot\" {\n    capacity = \"fargate_spot\"\n  }\n\n  service \"batch\" {\n    cluster = \"spot\"\n    image   = \"busybox:1.36\"\n  }";
    let out = generate(&shop(clusters, "    cluster = \"main\""));
    let ecs = &out["modules/ecs/main.tf"];
    assert!(ecs.contains("for_each = local.clusters"), "{ecs}");
    assert!(ecs.contains("= aws_ecs_cluster.this[each.value.cluster].id"));
    assert!(ecs.contains(
        "moved {\n  from = aws_ecs_cluster.this\n  to   = aws_ecs_cluster.this[\"main\"]\n}"
    ));
    assert!(ecs.contains("moved {\n  from = aws_autoscaling_group.this\n  to   = aws_autoscaling_group.this[\"main\"]\n}"));
    let root = &out["envs/default/main.tf"];
    assert!(root.contains("clusters = {"), "{root}");
    assert!(root.contains("capacity = \"fargate_spot\""), "{root}");
    let security = &out["modules/security/main.tf"];
    assert!(
        security.contains("    cluster = {"),
        "the main cluster keeps its group"
    );
    assert!(
        !security.contains("cluster.spot"),
        "a Fargate cluster has no instances"
    );
}

#[test]
fn egress_and_deployment_settings_reach_the_modules() {
    let rest = r#"    stop_timeout   = 30
    health_command = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]

    deployment {
      min_healthy_percent = 50
      max_percent         = 150
    }

    egress {
      ports       = "587"
      cidrs       = ["203.0.113.0/24", "198.51.100.0/24"]
      description = "SMTP relay"
    }"#;
    let out = generate(&shop("", rest));
    let security = &out["modules/security/main.tf"];
    assert!(
        security.contains("\"egress.service.web.587\" = [\"203.0.113.0/24\", \"198.51.100.0/24\"]"),
        "{security}"
    );
    assert!(security.contains("description    = \"SMTP relay to listed CIDRs\""));
    let ecs = &out["modules/ecs/main.tf"];
    assert!(ecs.contains("min_healthy_percent = 50"));
    assert!(ecs.contains(
        "deployment_minimum_healthy_percent = local.deployments[each.key].min_healthy_percent"
    ));
    assert!(ecs.contains("stop_timeout             = 30"));
}

#[test]
fn accurate_video_allows_hazelcast_among_the_adapters_tasks() {
    let sg =
        std::fs::read_to_string(repo().join("examples/accurate-video/modules/security/main.tf"))
            .unwrap();
    for key in [
        "\"service.adapter:ingress:service.adapter:tcp:5699-5702\"",
        "\"service.adapter:egress:service.adapter:tcp:5699-5702\"",
    ] {
        assert!(sg.contains(key), "{key}");
    }
}

#[test]
fn magento_runs_the_admin_panel_on_its_own_cluster_and_jenkins_on_a_server() {
    let root = std::fs::read_to_string(repo().join("examples/magento/envs/prod/main.tf")).unwrap();
    assert!(root.contains("module \"servers\" {"));
    let ecs = std::fs::read_to_string(repo().join("examples/magento/modules/ecs/main.tf")).unwrap();
    assert!(
        ecs.contains("cluster = \"admin\""),
        "the admin service names its cluster"
    );
    let servers =
        std::fs::read_to_string(repo().join("examples/magento/modules/servers/main.tf")).unwrap();
    assert!(servers.contains("http_tokens                 = \"required\""));
    assert!(servers.contains("encrypted             = true"));
    assert!(servers.contains("AmazonSSMManagedInstanceCore"));
}
