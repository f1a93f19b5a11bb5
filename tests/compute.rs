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

/// The text of one container's entry in the ecs module's `local.services`.
fn container_entry<'a>(ecs: &'a str, name: &str) -> &'a str {
    let key = format!("name                     = \"{name}\"\n");
    let start = ecs
        .find(&key)
        .unwrap_or_else(|| panic!("no container {name}:\n{ecs}"));
    let rest = &ecs[start..];
    &rest[..rest.find("\n        },").unwrap()]
}

/// The contract's example (BLUEPRINT.md, v1.1): `health_command`, `stop_timeout` and a
/// deployment on a service whose sidecar waits for its `app` container, completed with images
/// and the `app` container.
#[test]
fn service_level_health_command_and_stop_timeout_reach_the_right_containers() {
    let text = r#"app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  service "mongo" {
    deployment {
      min_healthy_percent = 0
      max_percent         = 100
      grace_period        = 300
    }
    health_command = ["CMD-SHELL", "mongosh --eval 'db.adminCommand(\"ping\")'"]
    stop_timeout   = 60
    exec           = true
    log_retention  = 30
    container "sidecar" {
      image      = "busybox:1.36"
      depends_on = { app = "HEALTHY" }
    }
    container "app" {
      image = "mongo:7.0"
      port  = 27017
    }
    container "backup" {
      image        = "example/backup:1.0"
      essential    = false
      stop_timeout = 10
    }
  }
}
"#;
    let out = generate(text);
    let ecs = &out["modules/ecs/main.tf"];
    let app = container_entry(ecs, "app");
    assert!(
        app.contains("health_command           = [\"CMD-SHELL\", \"mongosh --eval 'db.adminCommand(\\\"ping\\\")'\"]"),
        "the container with the port gets the service's health command:\n{app}"
    );
    assert!(app.contains("stop_timeout             = 60"), "{app}");
    let sidecar = container_entry(ecs, "sidecar");
    assert!(
        sidecar.contains("health_command           = null"),
        "{sidecar}"
    );
    assert!(
        sidecar.contains("stop_timeout             = 60"),
        "{sidecar}"
    );
    assert!(sidecar.contains("app = \"HEALTHY\""), "{sidecar}");
    let backup = container_entry(ecs, "backup");
    assert!(
        backup.contains("stop_timeout             = 10"),
        "a container's own stop timeout wins:\n{backup}"
    );
    assert!(
        backup.contains("health_command           = null"),
        "{backup}"
    );
    // A grace period without a load balancer covers the container health checks.
    assert!(ecs.contains("grace_period        = 300"), "{ecs}");
}

/// Without a port the service's health command is that of the first container.
#[test]
fn a_service_health_command_without_a_port_goes_to_the_first_container() {
    let text = r#"app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  service "worker" {
    health_command = ["CMD", "/bin/healthy"]
    container "main" {
      image = "example/worker:1.0"
    }
    container "agent" {
      image      = "example/agent:1.0"
      depends_on = { main = "HEALTHY" }
    }
  }
}
"#;
    let out = generate(text);
    let ecs = &out["modules/ecs/main.tf"];
    assert!(
        container_entry(ecs, "main")
            .contains("health_command           = [\"CMD\", \"/bin/healthy\"]"),
        "{ecs}"
    );
    assert!(container_entry(ecs, "agent").contains("health_command           = null"));
    assert!(
        container_entry(ecs, "agent").contains("stop_timeout             = null"),
        "no stop timeout anywhere: ECS's default"
    );
}
