//! What the app takes from its environment instead of creating it: existing task roles and
//! the secrets of each environment's account, handed to the ecs module by each root.

use super::{Call, Hv};
use crate::blueprint::{App, Environment};
use serde_json::{Map, Value, json};

/// The ecs module's `service_roles` (the existing roles services run with) and `secrets` (the
/// services whose secrets this environment changes), where there are any.
pub fn ecs_args(app: &App, env: &Environment, mut call: Call) -> Call {
    let roles: Map<String, Value> = env
        .app
        .services
        .iter()
        .filter(|s| s.execution_role.is_some() || s.task_role.is_some())
        .map(|s| {
            let mut r = Map::new();
            if let Some((arn, _)) = &s.execution_role {
                r.insert("execution_role_arn".into(), json!(arn));
            }
            if let Some((arn, _)) = &s.task_role {
                r.insert("task_role_arn".into(), json!(arn));
            }
            (s.name.clone(), Value::Object(r))
        })
        .collect();
    if !roles.is_empty() {
        call = call.group("service_roles", Hv::lit(roles));
    }
    let secrets: Map<String, Value> = env
        .app
        .services
        .iter()
        .filter_map(|s| {
            let base = app.service(&s.name)?;
            let changed: Map<String, Value> = s
                .containers
                .iter()
                .filter(|c| {
                    base.containers
                        .iter()
                        .find(|b| b.name == c.name)
                        .is_none_or(|b| b.secrets != c.secrets)
                })
                .map(|c| {
                    let entries: Map<String, Value> = c
                        .secrets
                        .iter()
                        .map(|(k, v)| (k.clone(), json!({"source": v.store, "reference": v.name})))
                        .collect();
                    (c.name.clone(), Value::Object(entries))
                })
                .collect();
            (!changed.is_empty()).then(|| (s.name.clone(), Value::Object(changed)))
        })
        .collect();
    if !secrets.is_empty() {
        call = call.group("secrets", Hv::lit(secrets));
    }
    call
}

#[cfg(test)]
mod tests {
    use crate::review::inventory::inventory;

    fn model() -> super::super::AppModel {
        let text = include_str!("../../tests/blueprints/existing-network.hcl");
        let bp = crate::blueprint::load_str(text, "existing-network.hcl").unwrap();
        super::super::build(&bp)
    }

    #[test]
    fn an_existing_network_and_existing_roles_are_used_not_created() {
        let model = model();
        for (env, resources) in inventory(&model) {
            let types: Vec<&str> = resources.values().map(|r| r.resource_type()).collect();
            for absent in [
                "aws_vpc",
                "aws_subnet",
                "aws_nat_gateway",
                "aws_eip",
                "aws_vpc_endpoint",
                "aws_flow_log",
                "aws_internet_gateway",
            ] {
                assert!(!types.contains(&absent), "{env}: {absent}");
            }
            let has = |a: &str| resources.contains_key(a);
            assert!(has("module.network.aws_db_subnet_group.this"), "{env}");
            assert!(!has("module.ecs.aws_iam_role.execution[\"web\"]"), "{env}");
            assert!(!has("module.ecs.aws_iam_role.task[\"web\"]"), "{env}");
            assert!(!has("module.ecs.aws_iam_role.task[\"admin\"]"), "{env}");
            assert!(
                !has("module.ecs.aws_iam_role_policy.task[\"admin\"]"),
                "{env}"
            );
            assert!(has("module.ecs.aws_iam_role.execution[\"admin\"]"), "{env}");
            assert!(has(
                "module.elasticache.aws_secretsmanager_secret.auth_token[\"session\"]"
            ));
        }
    }

    #[test]
    fn each_environment_passes_its_own_ids_roles_and_secrets() {
        let model = model();
        let arg = |env: &str, module: &str, name: &str| {
            let root = model.envs.iter().find(|e| e.name == env).unwrap();
            let call = root.calls.iter().find(|c| c.module == module).unwrap();
            call.args
                .iter()
                .find(|a| a.name == name)
                .map(|a| format!("{:?}", a.value))
        };
        let vpc = |env| arg(env, "network", "vpc_id").unwrap();
        assert!(vpc("test").contains("vpc-0123456789abcdef0"));
        assert!(vpc("live").contains("vpc-0fedcba9876543210"));
        // Without data subnets, the data stores use the private ones.
        let subnets = arg("live", "network", "subnet_ids").unwrap();
        assert!(
            subnets
                .contains("\"data\": Object {\"eu-west-1a\": String(\"subnet-00000000000000e01\")"),
            "{subnets}"
        );
        assert!(
            arg("live", "ecs", "service_roles")
                .unwrap()
                .contains("222222222222:role/brownfield-task")
        );
        assert!(
            arg("test", "ecs", "service_roles")
                .unwrap()
                .contains("111111111111:role/brownfield-task")
        );
        // Only the environment that changes secrets passes them, with the unchanged ones too.
        assert_eq!(arg("test", "ecs", "secrets"), None);
        let secrets = arg("live", "ecs", "secrets").unwrap();
        assert!(
            secrets.contains("brownfield/queue-token-AbCdEf"),
            "{secrets}"
        );
        assert!(
            secrets.contains("/brownfield/live/admin-password"),
            "{secrets}"
        );
        assert!(!secrets.contains("/brownfield/api-key"), "{secrets}");
    }
}
