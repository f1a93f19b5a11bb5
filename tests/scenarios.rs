//! The "done when" scenarios of the compute, data-tier and seed-system issues: each blueprint is
//! generated, every environment root is checked with Terraform (fmt, validate with no warning,
//! offline plan), and the plan must show what the blueprint asked for.

use crate::support::terraform::{AppReport, Plan, Terraform};
use crate::support::{run_in, workspace};
use serde_json::Value;

fn plan(tf: &Terraform, blueprint: &str, app: &str) -> AppReport {
    let ws = workspace(&[blueprint]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    tf.check_app(&ws.path().join("out").join(app))
}

/// Planned values of every resource of a type.
fn values<'a>(p: &'a Plan, ty: &str) -> Vec<&'a Value> {
    p.changes
        .iter()
        .filter(|c| c.resource_type == ty && c.mode == "managed")
        .map(|c| &c.after)
        .collect()
}

/// The container definitions of every task definition, parsed.
fn containers(p: &Plan) -> Vec<Value> {
    values(p, "aws_ecs_task_definition")
        .into_iter()
        .filter_map(|v| v["container_definitions"].as_str())
        .flat_map(|s| {
            serde_json::from_str::<Vec<Value>>(s).expect("container definitions are JSON")
        })
        .collect()
}

fn listener_ports(p: &Plan) -> Vec<i64> {
    let mut ports: Vec<i64> = values(p, "aws_lb_listener")
        .iter()
        .filter_map(|v| v["port"].as_i64())
        .collect();
    ports.sort_unstable();
    ports
}

fn conditions(p: &Plan, field: &str) -> Vec<String> {
    let mut out = Vec::new();
    for rule in values(p, "aws_lb_listener_rule") {
        for c in rule["condition"].as_array().into_iter().flatten() {
            for block in c[field].as_array().into_iter().flatten() {
                for v in block["values"].as_array().into_iter().flatten() {
                    out.push(v.as_str().unwrap_or_default().to_string());
                }
            }
        }
    }
    out.sort();
    out
}

/// Security group rules of the security module, with the owner reference of their group.
fn rules<'a>(p: &'a Plan, ty: &str) -> Vec<(&'a str, &'a Value)> {
    p.changes
        .iter()
        .filter(|c| c.resource_type == ty)
        .map(|c| (c.address.as_str(), &c.after))
        .collect()
}

#[test]
fn fargate_spot_app_without_nat() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = plan(&tf, "tests/blueprints/spot-api.hcl", "spot-api");
    for env in ["dev", "prod"] {
        let p = r.env(env);
        assert_eq!(p.count("aws_nat_gateway"), 0, "{env}");
        assert_eq!(p.count("aws_vpc_endpoint"), 5, "{env}");
        assert_eq!(p.count("aws_ecs_service"), 3, "{env}");
        assert_eq!(p.count("aws_ecr_repository"), 2, "{env}");
        // Two services behind the load balancer, the worker behind none.
        assert_eq!(p.count("aws_lb_target_group"), 2, "{env}");
        for svc in values(p, "aws_ecs_service") {
            let strategy = &svc["capacity_provider_strategy"][0]["capacity_provider"];
            assert_eq!(strategy, "FARGATE_SPOT", "{env}: {svc}");
            assert_eq!(svc["network_configuration"][0]["assign_public_ip"], false);
        }
        // HTTPS with an HTTP redirect.
        assert_eq!(listener_ports(p), vec![80, 443], "{env}");
        let redirect = values(p, "aws_lb_listener")
            .into_iter()
            .find(|l| l["port"] == 80)
            .unwrap();
        assert_eq!(redirect["default_action"][0]["type"], "redirect");
        assert_eq!(
            conditions(p, "path_pattern"),
            vec!["/", "/api/*", "/assets/*"],
            "{env}"
        );
        // CPU and request-count scaling.
        let metrics: Vec<String> = values(p, "aws_appautoscaling_policy")
            .iter()
            .map(|v| v["target_tracking_scaling_policy_configuration"][0]["predefined_metric_specification"][0]["predefined_metric_type"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            metrics.contains(&"ECSServiceAverageCPUUtilization".to_string()),
            "{env}: {metrics:?}"
        );
        assert!(
            metrics.contains(&"ALBRequestCountPerTarget".to_string()),
            "{env}: {metrics:?}"
        );
    }
}

#[test]
fn ec2_bridge_app_with_host_routing_and_a_sidecar() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    // The shop's image from ECR is known only at apply; a public image makes its task
    // definition visible in the plan.
    let ws = workspace(&["tests/blueprints/bridge-hosts.hcl"]);
    let bp = ws.path().join("blueprints/bridge-hosts.hcl");
    let text = std::fs::read_to_string(&bp).unwrap();
    assert!(text.contains("repository = true"));
    std::fs::write(
        &bp,
        text.replacen("repository = true", "image = \"example/shop:1.0\"", 1),
    )
    .unwrap();
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let r = tf.check_app(&ws.path().join("out/bridge-hosts"));
    for env in ["dev", "prod"] {
        let p = r.env(env);
        // The cluster's instances and the Jenkins server: a template and a group each.
        assert_eq!(p.count("aws_launch_template"), 2, "{env}");
        assert_eq!(p.count("aws_autoscaling_group"), 2, "{env}");
        assert_eq!(p.count("aws_ecs_capacity_provider"), 1, "{env}");
        for lt in values(p, "aws_launch_template") {
            assert_eq!(
                lt["metadata_options"][0]["http_tokens"], "required",
                "IMDSv2"
            );
        }
        for tg in values(p, "aws_lb_target_group") {
            assert_eq!(tg["target_type"], "instance", "{env}");
        }
        for td in values(p, "aws_ecs_task_definition") {
            assert_eq!(td["network_mode"], "bridge");
        }
        assert_eq!(
            conditions(p, "host_header"),
            vec![
                "blog.example.org",
                "ci.example.org",
                "metrics.example.org",
                "shop.example.org",
                "www.example.org"
            ]
        );
        let defs = containers(p);
        let mappings: Vec<&Value> = defs
            .iter()
            .flat_map(|c| c["portMappings"].as_array().into_iter().flatten())
            .collect();
        assert_eq!(mappings.len(), 3, "{env}: one port per routed container");
        assert!(
            mappings.iter().all(|m| m["hostPort"] == 0),
            "dynamic host ports"
        );
        let app = defs
            .iter()
            .find(|c| c["name"] == "app")
            .expect("the shop's app container");
        assert_eq!(
            app["links"],
            serde_json::json!(["redis"]),
            "the sidecar is reachable by name"
        );
        let redis = defs
            .iter()
            .find(|c| c["name"] == "redis")
            .expect("the sidecar");
        // The service's health command is the app container's (it has the port); its stop
        // timeout is every container's.
        assert_eq!(
            app["healthCheck"]["command"],
            serde_json::json!([
                "CMD-SHELL",
                "wget -q -O /dev/null http://localhost:3000/healthz || exit 1"
            ]),
            "{env}: {app:#}"
        );
        assert!(
            redis.get("healthCheck").is_none_or(Value::is_null),
            "{redis:#}"
        );
        assert_eq!(app["stopTimeout"], 30, "{env}");
        assert_eq!(redis["stopTimeout"], 30, "{env}");
        // The metrics service reaches Jenkins through the listener of its route.
        let metrics = defs.iter().find(|c| c["name"] == "metrics").unwrap();
        let env_var = |name: &str| {
            metrics["environment"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name)
                .map(|e| e["value"].clone())
        };
        assert_eq!(env_var("SERVER_CI_HOST"), Some("ci.example.org".into()));
        assert_eq!(env_var("SERVER_CI_PORT"), Some("443".into()));
        // A worker without a load balancer: the grace period covers its health command.
        let indexer = p
            .get("module.ecs.aws_ecs_service.this[\"indexer\"]")
            .expect("the indexer's service");
        assert_eq!(indexer.after["health_check_grace_period_seconds"], 120);
        assert!(
            indexer.after["load_balancer"]
                .as_array()
                .is_none_or(Vec::is_empty)
        );
        // Per-environment log retention of the shop, and the server's instance type and image.
        let shop_logs = p
            .get("module.ecs.aws_cloudwatch_log_group.this[\"shop\"]")
            .unwrap();
        let ci = &p
            .get("module.servers.aws_launch_template.this[\"ci\"]")
            .unwrap()
            .after;
        let (retention, instance_type, image) = if env == "dev" {
            (
                7,
                "t3.small",
                "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            )
        } else {
            (365, "m6i.large", "ami-0123456789abcdef0")
        };
        assert_eq!(shop_logs.after["retention_in_days"], retention, "{env}");
        assert_eq!(ci["instance_type"], instance_type, "{env}");
        assert_eq!(ci["image_id"], image, "{env}");
        assert_eq!(
            ci["block_device_mappings"][0]["ebs"][0]["volume_size"], 40,
            "{env}"
        );
        // Load balancer to instances, and the shop's Service Connect proxy to the blog's
        // (instance to instance), on the ephemeral port range.
        let eph = rules(p, "aws_vpc_security_group_ingress_rule")
            .into_iter()
            .filter(|(_, v)| v["from_port"] == 32768 && v["to_port"] == 65535)
            .count();
        assert_eq!(eph, 2, "{env}");
    }
}

#[test]
fn serverless_mysql_with_per_environment_instances_and_valkey() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = plan(
        &tf,
        "tests/blueprints/serverless-mysql.hcl",
        "serverless-mysql",
    );
    for (env, instances) in [("dev", 1), ("staging", 2), ("prod", 3)] {
        let p = r.env(env);
        assert_eq!(p.count("aws_rds_cluster_instance"), instances, "{env}");
        let cluster = values(p, "aws_rds_cluster")[0];
        assert_eq!(cluster["engine"], "aurora-mysql");
        assert_eq!(cluster["storage_encrypted"], true);
        assert_eq!(cluster["manage_master_user_password"], true);
        assert!(
            cluster["serverlessv2_scaling_configuration"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
        for i in values(p, "aws_rds_cluster_instance") {
            assert_eq!(i["instance_class"], "db.serverless");
        }
        let group = values(p, "aws_elasticache_replication_group")[0];
        assert_eq!(group["engine"], "valkey");
        assert_eq!(group["transit_encryption_enabled"], true);
        // The provider models this flag as a string.
        assert!(
            group["at_rest_encryption_enabled"] == true
                || group["at_rest_encryption_enabled"] == "true"
        );
        // Exactly one database ingress rule per using service, and no CIDR ingress to it.
        let db_rules: Vec<_> = rules(p, "aws_vpc_security_group_ingress_rule")
            .into_iter()
            .filter(|(a, _)| a.contains("[\"database.main:ingress:"))
            .collect();
        assert_eq!(
            db_rules.len(),
            2,
            "{env}: {:?}",
            db_rules.iter().map(|r| r.0).collect::<Vec<_>>()
        );
        assert!(
            db_rules
                .iter()
                .all(|(_, v)| v["cidr_ipv4"].is_null() && v["from_port"] == 3306)
        );
    }
}

#[test]
fn postgres_memcached_efs_private_zone_and_bastion() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = plan(&tf, "tests/blueprints/data-tier.hcl", "data-tier");
    for env in r.envs.keys() {
        let p = r.env(env);
        assert_eq!(
            values(p, "aws_rds_cluster")[0]["engine"],
            "aurora-postgresql"
        );
        assert_eq!(
            values(p, "aws_elasticache_cluster")[0]["engine"],
            "memcached"
        );
        assert_eq!(values(p, "aws_efs_file_system")[0]["encrypted"], true);
        assert_eq!(p.count("aws_efs_mount_target"), 3, "{env}");
        assert_eq!(p.count("aws_efs_access_point"), 2, "{env}");
        let volumes: usize = values(p, "aws_ecs_task_definition")
            .iter()
            .map(|td| td["volume"].as_array().map_or(0, |v| v.len()))
            .sum();
        assert_eq!(volumes, 2, "{env}: two access points mounted into a task");
        assert_eq!(p.count("aws_route53_zone"), 1);
        let records = values(p, "aws_route53_record");
        let private = records.iter().filter(|r| r["type"] == "CNAME").count();
        let public = records.iter().filter(|r| r["type"] == "A").count();
        assert_eq!(private, 3, "{env}: database, cache and file system");
        assert_eq!(public, 3, "{env}: three public hosts");
        let lt = values(p, "aws_launch_template");
        assert!(
            lt.iter()
                .all(|l| l["metadata_options"][0]["http_tokens"] == "required"),
            "IMDSv2"
        );
        assert_eq!(
            p.count("aws_autoscaling_group"),
            1,
            "{env}: the bastion's self-healing group"
        );
    }
}

/// The committed example of a seed, checked with Terraform as it is in the repository.
fn example(tf: &Terraform, app: &str) -> AppReport {
    tf.check_app(&crate::support::repo().join("examples").join(app))
}

fn ingress_with_ports(p: &Plan, from: i64, to: i64) -> Vec<String> {
    rules(p, "aws_vpc_security_group_ingress_rule")
        .into_iter()
        .filter(|(_, v)| v["from_port"] == from && v["to_port"] == to)
        .map(|(a, _)| a.to_string())
        .collect()
}

#[test]
fn seed_websight() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = example(&tf, "websight");
    for env in ["dev", "prod"] {
        let p = r.env(env);
        assert_eq!(
            listener_ports(p),
            vec![80, 443, 8443],
            "{env}: visitors, authors and the redirect"
        );
        assert_eq!(p.count("aws_ecs_service"), 3, "{env}: nginx, cms and mongo");
        assert_eq!(p.count("aws_efs_file_system"), 1, "{env}");
        let ports: Vec<i64> = values(p, "aws_lb_target_group")
            .iter()
            .filter_map(|t| t["port"].as_i64())
            .collect();
        assert!(
            ports.contains(&80) && ports.contains(&8080),
            "{env}: nginx:80 and cms:8080, {ports:?}"
        );
    }
}

#[test]
fn seed_ecs_platform() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = example(&tf, "ecs-platform");
    for env in ["dev", "prod"] {
        let p = r.env(env);
        assert_eq!(
            p.count("aws_ecr_repository"),
            3,
            "{env}: a repository per service"
        );
        assert!(
            values(p, "aws_ecs_task_definition")
                .iter()
                .all(|t| t["network_mode"] == "bridge")
        );
        assert!(
            values(p, "aws_lb_target_group")
                .iter()
                .all(|t| t["target_type"] == "instance")
        );
        assert_eq!(
            conditions(p, "host_header").len(),
            3,
            "{env}: a host rule per service"
        );
        assert_eq!(p.count("aws_ecs_capacity_provider"), 1);
    }
}

#[test]
fn seed_accurate_video() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = example(&tf, "accurate-video");
    for env in ["dev", "prod"] {
        let p = r.env(env);
        assert_eq!(
            ingress_with_ports(p, 5699, 5702).len(),
            3,
            "{env}: Hazelcast both ways, and among the adapter's own tasks"
        );
        let pg = ingress_with_ports(p, 5432, 5432);
        assert_eq!(pg.len(), 1, "{env}: PostgreSQL from adapter only: {pg:?}");
        assert!(pg[0].contains("service.adapter"), "{pg:?}");
        let s3 = values(p, "aws_vpc_endpoint");
        assert!(s3.iter().any(|e| {
            e["vpc_endpoint_type"] == "Gateway"
                && e["service_name"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with(".s3")
        }));
        assert_eq!(
            p.count("aws_nat_gateway"),
            2,
            "{env}: a NAT gateway in each AZ"
        );
        assert_eq!(
            p.count("aws_route53_record"),
            1,
            "{env}: the record to the load balancer"
        );
    }
}

#[test]
fn seed_magento() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = example(&tf, "magento");
    assert_eq!(r.env("prod").count("aws_nat_gateway"), 3);
    for env in ["dev", "prod"] {
        let p = r.env(env);
        assert_eq!(
            p.count("aws_elasticache_replication_group"),
            2,
            "{env}: cache and session"
        );
        assert_eq!(values(p, "aws_rds_cluster")[0]["engine"], "aurora-mysql");
        assert_eq!(
            p.count("aws_ecs_capacity_provider"),
            2,
            "{env}: EC2 capacity of the app and admin clusters"
        );
        assert!(p.has("module.ecs.aws_ecs_cluster.this[\"admin\"]"), "{env}");
        assert_eq!(
            p.count("aws_subnet"),
            9,
            "{env}: public, private and data subnets in three AZs"
        );
        let cnames = values(p, "aws_route53_record")
            .iter()
            .filter(|r| r["type"] == "CNAME")
            .count();
        assert_eq!(
            cnames, 5,
            "{env}: db, media.efs, redis-cache, redis-session and jenkins"
        );
        assert_eq!(
            p.count("aws_autoscaling_group"),
            4,
            "{env}: container instances of two clusters, the bastion and Jenkins"
        );
        assert!(p.has("module.ecs.aws_ecs_task_definition.this[\"magento\"]"));
    }
}

#[test]
fn seed_fargate_api() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let r = example(&tf, "fargate-api");
    for env in ["dev", "prod"] {
        let p = r.env(env);
        assert!(p.count("aws_appautoscaling_policy") >= 1, "{env}");
        assert_eq!(p.count("aws_route53_record"), 1, "{env}");
        assert_eq!(conditions(p, "path_pattern"), vec!["/v1/*"]);
        // The execution role's policy (its ARNs are known at apply) reads the SSM secret that
        // the shared module's data names.
        assert!(
            p.has("module.ecs.aws_iam_role_policy.execution[\"api\"]"),
            "{env}"
        );
    }
    let ecs = std::fs::read_to_string(
        crate::support::repo().join("examples/fargate-api/modules/ecs/main.tf"),
    )
    .unwrap();
    assert!(
        ecs.contains("source    = \"ssm\"")
            && ecs.contains("reference = \"/fargate-api/db-password\"")
    );
}
