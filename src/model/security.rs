//! The security module: every security group of the app and one rule per flow and direction.

use super::flows::{self, Flow, Peer};
use super::{Call, Hv, ModuleBuilder, names};
use crate::blueprint::{App, Environment};
use serde_json::{Map, Value, json};

pub struct Security;

fn rule(sg: &str, direction: &str, peer: &Peer, f: &Flow, description: String) -> (String, Value) {
    let (peer_key, group, cidr_list) = match peer {
        Peer::Group(g) => (g.clone(), Value::String(g.clone()), Value::Null),
        Peer::Cidrs(c) => (c.clone(), Value::Null, Value::String(c.clone())),
        Peer::Anywhere => (
            "anywhere".to_string(),
            Value::Null,
            Value::String("anywhere".into()),
        ),
    };
    let key = format!("{sg}:{direction}:{peer_key}:tcp:{}", f.ports());
    let value = json!({
        "security_group": sg,
        "direction": direction,
        "peer": group,
        "cidr_list": cidr_list,
        "protocol": "tcp",
        "from_port": f.from_port,
        "to_port": f.to_port,
        "description": description,
    });
    (key, value)
}

/// The rules of the security module, keyed `<group>:<direction>:<peer>:tcp:<ports>`.
pub fn rules(app: &App) -> Map<String, Value> {
    let mut rules = Map::new();
    for f in flows::flows(app) {
        if let Peer::Group(to) = &f.to {
            let (k, v) = rule(
                to,
                "ingress",
                &f.from,
                &f,
                format!("{} from {}", f.what, f.from.label()),
            );
            rules.insert(k, v);
        }
        if let Peer::Group(from) = &f.from {
            let (k, v) = rule(
                from,
                "egress",
                &f.to,
                &f,
                format!("{} to {}", f.what, f.to.label()),
            );
            rules.insert(k, v);
        }
    }
    rules.sort_keys();
    rules
}

impl ModuleBuilder for Security {
    const NAME: &'static str = "security";

    fn wanted(app: &App) -> bool {
        !flows::groups(app).is_empty()
    }

    fn shape(app: &App) -> Value {
        let groups: Map<String, Value> = flows::groups(app)
            .into_iter()
            .map(|(key, name, description)| {
                (key, json!({ "name": name, "description": description }))
            })
            .collect();
        json!({
            "security_groups": groups,
            "rules": rules(app),
            "load_balancers": app.load_balancers.iter().map(|l| &l.name).collect::<Vec<_>>(),
            "bastion": app.bastion.is_some(),
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let e = &env.app;
        let mut call = Call::new(Self::NAME)
            .arg("name", Hv::lit(names::prefix(&app.name, &env.name)))
            .arg("vpc_id", Hv::expr("module.network.vpc_id"));
        if !e.load_balancers.is_empty() {
            let cidrs: Map<String, Value> = e
                .load_balancers
                .iter()
                .map(|l| (l.name.clone(), json!(l.ingress_cidrs)))
                .collect();
            call = call.group("load_balancer_ingress_cidrs", Hv::lit(cidrs));
        }
        if let Some(b) = &e.bastion {
            call = call.arg("bastion_ssh_cidrs", Hv::lit(&b.ssh_cidrs));
        }
        call
    }
}
