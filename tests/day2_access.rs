//! Day-2 operations: what must keep working after the first apply. Secrets encrypted with the
//! app's KMS key can be decrypted by the roles that read them; ECS Exec is on only where a
//! service asks; bridge-mode services reach each other; the hosts handed to services pass TLS
//! verification; a service keeps connecting to its database after the password rotates.

use crate::support::terraform::{Plan, Terraform};
use crate::support::{run_in, tree, workspace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Generates the blueprints of a workspace into `out/`, every file by path.
fn generate(dir: &Path) -> BTreeMap<String, String> {
    run_in(dir, &["generate", "--out", "out"]).expect(0);
    tree(&dir.join("out"))
}

/// The text of the top-level block whose first line is `header` (up to its closing `}`).
#[track_caller]
fn block<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text
        .find(&format!("{header} {{\n"))
        .unwrap_or_else(|| panic!("no block {header}"));
    let end = text[start..].find("\n}\n").expect("a closed block") + start;
    &text[start..end + 2]
}

/// The trimmed lines of a text.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().to_string()).collect()
}

/// Whether `text` has a line `name = value`, however `terraform fmt` aligned it.
fn has_assignment(text: &str, name: &str, value: &str) -> bool {
    text.lines().any(|l| {
        l.split_once('=')
            .is_some_and(|(k, v)| k.trim() == name && v.trim() == value)
    })
}

/// Planned values of a managed resource.
#[track_caller]
fn after<'a>(p: &'a Plan, address: &str) -> &'a Value {
    &p.get(address)
        .unwrap_or_else(|| panic!("{address} is not planned"))
        .after
}

/// The container definitions of a planned task definition, by container name.
fn containers(p: &Plan, service: &str) -> BTreeMap<String, Value> {
    let td = after(
        p,
        &format!("module.ecs.aws_ecs_task_definition.this[\"{service}\"]"),
    );
    let defs: Vec<Value> =
        serde_json::from_str(td["container_definitions"].as_str().expect("known")).unwrap();
    defs.into_iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c))
        .collect()
}

fn env_of(container: &Value) -> BTreeMap<String, String> {
    container["environment"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// --- 3: the app's KMS key and the secrets the execution role reads --------------------------

#[test]
fn with_a_kms_key_the_execution_role_may_decrypt_the_secrets_it_reads() {
    let ws = workspace(&["tests/blueprints/kms.hcl"]);
    let files = generate(ws.path());
    let ecs = &files["kms-app/modules/ecs/main.tf"];
    let execution = block(ecs, "data \"aws_iam_policy_document\" \"execution\"");
    let decrypt = &execution[execution
        .find("sid       = \"DecryptSecrets\"")
        .expect("a DecryptSecrets statement")..];
    let decrypt = lines(decrypt);
    assert!(decrypt.contains(&"actions   = [\"kms:Decrypt\"]".to_string()));
    assert!(decrypt.contains(&"resources = [var.secrets_kms_key_arn]".to_string()));
    assert!(decrypt.contains(&"variable = \"kms:ViaService\"".to_string()));
    assert!(ecs.contains("[\"secretsmanager.${local.region}.amazonaws.com\"]"));
    assert!(ecs.contains("[\"ssm.${local.region}.amazonaws.com\"]"));

    // The root hands the key to the ecs module...
    let root = &files["kms-app/envs/dev/main.tf"];
    let call = block(root, "module \"ecs\"");
    assert!(
        has_assignment(call, "secrets_kms_key_arn", "module.kms.key_arn"),
        "{call}"
    );
    // ...and the key policy leaves its use to IAM in the account (AWS's default statement),
    // which is what lets the role's own policy grant kms:Decrypt.
    let kms = &files["kms-app/modules/kms/main.tf"];
    let account = &kms[kms
        .find("sid       = \"AccountAdministersTheKeyThroughIAM\"")
        .expect("the account statement")..];
    assert!(
        account
            .contains("identifiers = [\"arn:${local.partition}:iam::${local.account_id}:root\"]")
    );

    // Without a key there is nothing to decrypt with: the variable stays null.
    let ws = workspace(&["tests/blueprints/serverless-mysql.hcl"]);
    let files = generate(ws.path());
    let root = &files["serverless-mysql/envs/dev/main.tf"];
    assert!(!root.contains("secrets_kms_key_arn"));
}

// --- 4: ECS Exec per service -------------------------------------------------------------

const TWO_SERVICES: &str = r#"
app "exec-app" {
  region = "eu-west-1"

  network {
    cidr = "10.11.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  service "web" {
    image = "nginx:1.27"
    port  = 80
    exec  = true
  }

  service "worker" {
    image = "busybox:1.36"
  }

  environment "dev" {}
}
"#;

#[test]
fn ecs_exec_is_on_only_for_the_service_that_asks_for_it() {
    let ws = workspace(&[]);
    std::fs::write(ws.path().join("blueprints/exec-app.hcl"), TWO_SERVICES).unwrap();
    let files = generate(ws.path());
    let root = &files["exec-app/envs/dev/main.tf"];
    assert!(!root.contains("enable_execute_command"), "{root}");
    let ecs = &files["exec-app/modules/ecs/main.tf"];
    assert!(ecs.contains("enable_execute_command            = each.value.exec"));
    assert!(!ecs.contains("var.enable_execute_command"));

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/exec-app"));
    let p = report.env("dev");
    let web = after(p, "module.ecs.aws_ecs_service.this[\"web\"]");
    let worker = after(p, "module.ecs.aws_ecs_service.this[\"worker\"]");
    assert_eq!(web["enable_execute_command"], true);
    assert_eq!(worker["enable_execute_command"], false);
    // The SSM messages permissions go to the web service's task role only.
    assert!(p.has("module.ecs.aws_iam_role_policy.task[\"web\"]"));
    assert!(!p.has("module.ecs.aws_iam_role_policy.task[\"worker\"]"));
}

// --- 5: calls between services in bridge mode ----------------------------------------------

/// `explain`'s rows between two security groups: (from, to, ports).
fn explained_group_flows(dir: &Path, blueprint: &str) -> Vec<(String, String, String)> {
    let run = run_in(dir, &["explain", blueprint]).expect(0);
    run.stdout
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            let (from, to, ports) = (cells[0], cells[1], cells[2]);
            let group = |c: &str| c.starts_with("load_balancer.") || !c.contains(' ');
            (group(from)
                && group(to)
                && !["internet", "ingress", "SSH"].contains(&from)
                && !["internet", "ingress", "SSH"].contains(&to))
            .then(|| {
                (
                    from.to_string(),
                    to.to_string(),
                    ports.trim_start_matches("tcp/").to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn bridge_mode_services_call_each_other_through_service_connect() {
    let ws = workspace(&["tests/blueprints/bridge-hosts.hcl"]);
    let bp = ws.path().join("blueprints/bridge-hosts.hcl");
    // The shop's image from ECR is known only at apply; a public image makes its task
    // definition visible in the plan.
    let text = std::fs::read_to_string(&bp).unwrap();
    assert!(text.contains("uses          = [\"service.blog\"]"));
    std::fs::write(
        &bp,
        text.replacen("repository = true", "image = \"example/shop:1.0\"", 1),
    )
    .unwrap();
    let files = generate(ws.path());
    let root = &files["bridge-hosts/envs/dev/main.tf"];
    assert!(
        has_assignment(root, "SERVICE_BLOG_HOST", "\"blog\""),
        "{root}"
    );
    assert!(
        has_assignment(root, "SERVICE_BLOG_PORT", "\"2368\""),
        "{root}"
    );

    // explain and graph show the flow the rules open.
    let flows = explained_group_flows(ws.path(), "blueprints/bridge-hosts.hcl");
    assert!(
        flows.contains(&("cluster".into(), "cluster".into(), "32768-65535".into())),
        "{flows:?}"
    );
    let graph = run_in(ws.path(), &["graph", "blueprints/bridge-hosts.hcl"]).expect(0);
    assert!(
        graph
            .stdout
            .contains("svc_shop -->|\"Service Connect 32768-65535\"| svc_blog"),
        "{}",
        graph.stdout
    );
    assert!(
        graph
            .stdout
            .contains("lb_public -->|\"32768-65535\"| svc_blog"),
        "{}",
        graph.stdout
    );

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/bridge-hosts"));
    for env in ["dev", "prod"] {
        let p = report.env(env);
        // The proxies of two tasks talk between container instances on their host ports.
        let key = "cluster:ingress:cluster:tcp:32768-65535";
        let ingress = after(
            p,
            &format!(
                "module.security.aws_vpc_security_group_ingress_rule.from_security_group[\"{key}\"]"
            ),
        );
        assert_eq!(ingress["from_port"], 32768);
        assert_eq!(ingress["to_port"], 65535);
        assert!(p.has(
            "module.security.aws_vpc_security_group_egress_rule.to_security_group[\"cluster:egress:cluster:tcp:32768-65535\"]"
        ));
        // Every rule between groups is a row of explain, and every such row has its rules.
        let planned: Vec<String> = p
            .addresses()
            .into_iter()
            .filter_map(|a| {
                a.strip_prefix(
                    "module.security.aws_vpc_security_group_ingress_rule.from_security_group[\"",
                )
                .map(|k| k.trim_end_matches("\"]").to_string())
            })
            .collect();
        let mut explained: Vec<String> = flows
            .iter()
            .map(|(from, to, ports)| format!("{to}:ingress:{from}:tcp:{ports}"))
            .collect();
        // The plan lists the rules by address, explain by flow.
        explained.sort();
        let mut planned = planned;
        planned.sort();
        assert_eq!(planned, explained, "{env}");
        for (from, to, ports) in &flows {
            assert!(
                p.has(&format!(
                    "module.security.aws_vpc_security_group_egress_rule.to_security_group[\"{from}:egress:{to}:tcp:{ports}\"]"
                )),
                "{env}: {from} -> {to}"
            );
        }

        assert!(p.has("module.ecs.aws_service_discovery_http_namespace.service_connect"));
        // The blog is a Service Connect service on its named container port...
        let blog = after(p, "module.ecs.aws_ecs_service.this[\"blog\"]");
        let sc = &blog["service_connect_configuration"][0];
        assert_eq!(sc["enabled"], true, "{env}: {blog}");
        assert_eq!(sc["service"][0]["port_name"], "blog");
        assert_eq!(sc["service"][0]["client_alias"][0]["dns_name"], "blog");
        assert_eq!(sc["service"][0]["client_alias"][0]["port"], 2368);
        let ghost = &containers(p, "blog")["blog"];
        assert_eq!(ghost["portMappings"][0]["name"], "blog");
        assert_eq!(ghost["portMappings"][0]["hostPort"], 0);
        // ...and the shop a client that reaches it at blog:2368 through its proxy.
        let shop = after(p, "module.ecs.aws_ecs_service.this[\"shop\"]");
        let sc = &shop["service_connect_configuration"][0];
        assert_eq!(sc["enabled"], true, "{env}: {shop}");
        assert!(sc["service"].as_array().is_none_or(|s| s.is_empty()));
        let app = env_of(&containers(p, "shop")["app"]);
        assert_eq!(app["SERVICE_BLOG_HOST"], "blog");
        assert_eq!(app["SERVICE_BLOG_PORT"], "2368");
        // A service nobody calls and that calls nobody is left as it was.
        let metrics = after(p, "module.ecs.aws_ecs_service.this[\"metrics\"]");
        assert!(
            metrics["service_connect_configuration"]
                .as_array()
                .is_none_or(|s| s.is_empty()),
            "{metrics}"
        );
    }
}

// --- 7: host names that pass TLS verification ---------------------------------------------

#[test]
fn uses_hands_the_aws_endpoints_which_tls_verifies_not_the_private_records() {
    let ws = workspace(&["blueprints/magento.hcl", "tests/blueprints/data-tier.hcl"]);
    let files = generate(ws.path());
    for (app, zone) in [
        ("magento", "magecloudkit.internal"),
        ("data-tier", "data-tier.internal"),
    ] {
        let root = &files[&format!("{app}/envs/dev/main.tf")];
        let call = block(root, "module \"ecs\"");
        let hosts: Vec<(String, String)> = call
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .filter(|(k, _)| k.ends_with("_HOST"))
            .collect();
        assert!(hosts.len() >= 3, "{app}: {hosts:?}");
        for (k, v) in &hosts {
            let aws_endpoint = [
                "module.aurora.endpoints[",
                "module.aurora.reader_endpoints[",
                "module.elasticache.endpoints[",
                "module.efs.dns_names[",
            ]
            .iter()
            .any(|m| v.starts_with(m));
            assert!(aws_endpoint, "{app}: {k} = {v}");
        }
        assert!(!call.contains("module.dns"), "{app}");
        assert!(!call.contains(zone), "{app}");
        // The private records are still there, for people and tools (see docs/blueprint.md).
        assert!(files[&format!("{app}/modules/dns/main.tf")].contains("type    = \"CNAME\""));
    }
}

// --- 8: the database password rotates ------------------------------------------------------

#[test]
fn a_service_that_uses_a_database_can_read_its_rotated_password_again() {
    let ws = workspace(&["tests/blueprints/serverless-mysql.hcl"]);
    let files = generate(ws.path());
    let root = &files["serverless-mysql/envs/dev/main.tf"];
    let call = block(root, "module \"ecs\"");
    assert!(
        has_assignment(
            call,
            "DATABASE_MAIN_SECRET_ARN",
            "module.aurora.master_user_secret_arns[\"main\"]"
        ),
        "{call}"
    );
    assert!(
        has_assignment(
            call,
            "secret_arn",
            "module.aurora.master_user_secret_arns[\"main\"]"
        ),
        "{call}"
    );
    // No IAM user: no IAM authentication, no connect grant, no IAM_USER variable.
    assert!(!call.contains("connect_arn"));
    assert!(!call.contains("DATABASE_MAIN_IAM_USER"));
    let ecs = &files["serverless-mysql/modules/ecs/main.tf"];
    let task = block(ecs, "data \"aws_iam_policy_document\" \"task\"");
    assert!(task.contains("sid       = \"ReadDatabaseSecrets\""));
    assert!(task.contains(
        "actions   = [\"secretsmanager:DescribeSecret\", \"secretsmanager:GetSecretValue\"]"
    ));
    assert!(
        task.contains("resources = [for d in each.value.databases : var.databases[d].secret_arn]")
    );
    assert!(task.contains("sid       = \"DecryptDatabaseSecrets\""));
    assert!(task.contains("sid       = \"ConnectToDatabases\""));

    // A blueprint that names an IAM user gets IAM authentication and the grant for that user.
    let ws2 = workspace(&["tests/blueprints/serverless-mysql.hcl"]);
    let bp = ws2.path().join("blueprints/serverless-mysql.hcl");
    let text = std::fs::read_to_string(&bp).unwrap();
    std::fs::write(
        &bp,
        text.replacen(
            "    database_name         = \"orders\"\n",
            "    database_name         = \"orders\"\n    iam_user              = \"orders_app\"\n",
            1,
        ),
    )
    .unwrap();
    let files2 = generate(ws2.path());
    let call2 = block(
        &files2["serverless-mysql/envs/dev/main.tf"],
        "module \"ecs\"",
    )
    .to_string();
    assert!(
        has_assignment(&call2, "DATABASE_MAIN_IAM_USER", "\"orders_app\""),
        "{call2}"
    );
    assert!(has_assignment(
        &call2,
        "connect_arn",
        "module.aurora.iam_connect_arns[\"main\"]"
    ));

    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let report = tf.check_app(&ws.path().join("out/serverless-mysql"));
    let with_iam = tf.check_app(&ws2.path().join("out/serverless-mysql"));
    for env in ["dev", "prod"] {
        let p = report.env(env);
        // Both services' task roles read the secret; reports had no task policy before.
        for s in ["api", "reports"] {
            assert!(
                p.has(&format!("module.ecs.aws_iam_role_policy.task[\"{s}\"]")),
                "{env}: {s}"
            );
        }
        let cluster = after(p, "module.aurora.aws_rds_cluster.this[\"main\"]");
        assert_eq!(
            cluster["iam_database_authentication_enabled"], false,
            "{env}"
        );
        let cluster = after(
            with_iam.env(env),
            "module.aurora.aws_rds_cluster.this[\"main\"]",
        );
        assert_eq!(
            cluster["iam_database_authentication_enabled"], true,
            "{env}"
        );
    }
}
