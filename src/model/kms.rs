//! The kms module: the app's customer-managed KMS key (`kms_key = true`), one per environment,
//! and the arguments that hand its ARN to every module that encrypts with it.

use super::{Call, Hv, ModuleBuilder, names};
use crate::blueprint::{App, Environment};
use serde_json::json;

pub struct Kms;

/// The arguments of each module that take the app's key, in the modules' own names.
const KEY_ARGS: &[(&str, &[&str])] = &[
    ("network", &["flow_logs_kms_key_arn"]),
    ("ecs", &["log_kms_key_id", "secrets_kms_key_arn"]),
    ("aurora", &["kms_key_arn", "logs_kms_key_arn"]),
    ("elasticache", &["kms_key_arn", "logs_kms_key_arn"]),
    ("efs", &["kms_key_arn"]),
    ("bastion", &["kms_key_arn"]),
    ("servers", &["kms_key_arn"]),
];

/// The modules of `app` that encrypt with its key.
fn users(app: &App) -> Vec<&'static str> {
    let present = |m: &str| match m {
        "network" => app.network.flow_logs,
        "ecs" => !app.services.is_empty(),
        "aurora" => !app.databases.is_empty(),
        "elasticache" => !app.caches.is_empty(),
        "efs" => !app.file_systems.is_empty(),
        "bastion" => app.bastion.is_some(),
        "servers" => !app.servers.is_empty(),
        _ => false,
    };
    KEY_ARGS
        .iter()
        .map(|(m, _)| *m)
        .filter(|m| present(m))
        .collect()
}

/// Adds the key's ARN to a module call when the app has a key and the module takes one.
pub fn wire(app: &App, mut call: Call) -> Call {
    if !app.kms_key {
        return call;
    }
    if let Some((_, args)) = KEY_ARGS.iter().find(|(m, _)| *m == call.module) {
        for (i, arg) in args.iter().enumerate() {
            let value = Hv::expr("module.kms.key_arn");
            call = if i == 0 {
                call.group(arg, value)
            } else {
                call.arg(arg, value)
            };
        }
    }
    call
}

impl ModuleBuilder for Kms {
    const NAME: &'static str = "kms";

    fn wanted(app: &App) -> bool {
        app.kms_key
    }

    fn shape(app: &App) -> serde_json::Value {
        json!({ "users": users(app) })
    }

    fn call(app: &App, env: &Environment) -> Call {
        Call::new(Self::NAME)
            .arg("name", Hv::lit(names::prefix(&app.name, &env.name)))
            .arg("region", Hv::lit(&app.region))
    }
}
