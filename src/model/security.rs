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
    let key = format!("{sg}:{direction}:{peer_key}:tcp:{}", rule_ports(f));
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

/// The last part of a rule's key: its ports, or `service-port` when they are a service's port
/// (so that changing the port updates the rule in place).
fn rule_ports(f: &Flow) -> String {
    if f.service_port {
        "service-port".into()
    } else {
        f.ports()
    }
}

/// Rule addresses that earlier versions keyed by port number, as `moved` blocks:
/// (resource, old key, new key).
pub fn moved(app: &App) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for f in flows::flows(app).iter().filter(|f| f.service_port) {
        let (Peer::Group(from), Peer::Group(to)) = (&f.from, &f.to) else {
            continue;
        };
        for (sg, direction, peer, resource) in [
            (
                to,
                "ingress",
                from,
                "aws_vpc_security_group_ingress_rule.from_security_group",
            ),
            (
                from,
                "egress",
                to,
                "aws_vpc_security_group_egress_rule.to_security_group",
            ),
        ] {
            let head = format!("{sg}:{direction}:{peer}:tcp:");
            out.push((
                resource.to_string(),
                format!("{head}{}", f.ports()),
                format!("{head}{}", rule_ports(f)),
            ));
        }
    }
    out.sort();
    out
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
            "egress_cidrs": flows::egress_cidrs(app),
            "moved": moved(app)
                .into_iter()
                .map(|(resource, from, to)| json!({"resource": resource, "from": from, "to": to}))
                .collect::<Vec<_>>(),
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
