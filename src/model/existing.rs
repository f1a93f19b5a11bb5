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
