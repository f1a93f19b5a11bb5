//! The servers module: plain EC2 instances (`server "<name>"`), each in a self-healing Auto
//! Scaling group of one, with Session Manager access and, when routed, a load balancer's
//! target group.

use super::compute::server_lbs;
use super::{Call, Hv, ModuleBuilder, Output, names};
use crate::blueprint::{App, Environment, Server};
use serde_json::{Map, Value, json};

pub struct Servers;

/// The file systems a server uses.
fn file_systems(s: &Server) -> Vec<String> {
    s.uses
        .iter()
        .filter(|u| u.kind == "file_system")
        .map(|u| u.name.clone())
        .collect()
}

impl ModuleBuilder for Servers {
    const NAME: &'static str = "servers";

    fn wanted(app: &App) -> bool {
        !app.servers.is_empty()
    }

    fn shape(app: &App) -> Value {
        let servers: Map<String, Value> = app
            .servers
            .iter()
            .map(|s| {
                let tgs: Vec<String> = server_lbs(s)
                    .iter()
                    .map(|lb| format!("{}.{lb}", s.name))
                    .collect();
                let mut v = json!({
                        "image": s.image,
                        "public": s.subnets == "public",
                        "port": s.port,
                        "user_data": s.user_data,
                        "target_groups": tgs,
                        "file_systems": file_systems(s),
                });
                if app.per_env.server_image {
                    // Each environment passes its own image in var.servers.
                    v.as_object_mut().expect("an object").shift_remove("image");
                }
                (s.name.clone(), v)
            })
            .collect();
        json!({
            "servers": servers,
            "image_per_env": app.per_env.server_image,
            "mounts": app.servers.iter().any(|s| !file_systems(s).is_empty()),
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let e = &env.app;
        let sizes: Map<String, Value> = e
            .servers
            .iter()
            .map(|s| {
                let v = if app.per_env.server_image {
                    json!({"image": s.image, "instance_type": s.instance_type, "volume_size": s.volume_size})
                } else {
                    json!({"instance_type": s.instance_type, "volume_size": s.volume_size})
                };
                (s.name.clone(), v)
            })
            .collect();
        let mut call = Call::new(Self::NAME)
            .arg("name", Hv::lit(names::prefix(&app.name, &env.name)))
            .arg("servers", Hv::lit(sizes))
            .group(
                "private_subnet_ids",
                Hv::expr("module.network.private_subnet_ids"),
            );
        if e.servers.iter().any(|s| s.subnets == "public") {
            call = call.arg(
                "public_subnet_ids",
                Hv::expr("module.network.public_subnet_ids"),
            );
        }
        call = call.arg(
            "security_group_ids",
            Hv::expr("module.security.security_group_ids"),
        );
        if e.servers.iter().any(|s| !s.routes.is_empty()) {
            call = call.arg(
                "target_group_arns",
                Hv::expr("module.alb.target_group_arns"),
            );
        }
        let mut fss: Vec<String> = e.servers.iter().flat_map(file_systems).collect();
        fss.sort();
        fss.dedup();
        if !fss.is_empty() {
            let arns = Hv::Map(
                fss.iter()
                    .map(|f| {
                        (
                            f.clone(),
                            Hv::expr(format!("module.efs.arns[{}]", crate::render::hcl::quote(f))),
                        )
                    })
                    .collect(),
            );
            call = call.arg("file_system_arns", arns);
        }
        call
    }

    fn outputs(_app: &App) -> Vec<Output> {
        vec![Output {
            name: "server_autoscaling_group_names".into(),
            description: "Auto Scaling groups of the servers, by server".into(),
            value: "module.servers.autoscaling_group_names".into(),
        }]
    }
}
