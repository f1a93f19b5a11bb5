//! Operations settings of services (v1.1): deployment percentages, log retention, and the
//! container health commands, stop timeouts and start order, as the ecs module reads them.

use super::{Call, Hv, compute};
use crate::blueprint::operations::DEFAULT_LOG_RETENTION;
use crate::blueprint::{App, Container};
use serde_json::{Map, Value, json};

/// The modules whose log groups follow the app's `log_retention`.
const RETENTION_MODULES: &[&str] = &["ecs", "aurora", "elasticache"];

/// Adds the app's log retention to a module call when it is not the default.
pub fn wire_log_retention(app: &App, call: Call) -> Call {
    match app.log_retention {
        Some((days, _))
            if days != DEFAULT_LOG_RETENTION && RETENTION_MODULES.contains(&call.module) =>
        {
            call.group("log_retention_days", Hv::lit(days))
        }
        _ => call,
    }
}

/// Per-service deployment settings, for every service once any service has a `deployment`
/// block (an empty map otherwise, which leaves the ecs module as it was).
pub fn deployments(app: &App) -> Map<String, Value> {
    if app.services.iter().all(|s| s.ops.deployment.is_none()) {
        return Map::new();
    }
    app.services
        .iter()
        .map(|s| {
            let dep = s.ops.deployment.clone().unwrap_or_default();
            let (min, max) = if s.ops.deployment.is_some() {
                (dep.min_healthy_percent, dep.max_percent)
            } else {
                (100, 200)
            };
            let routed = !compute::target_lbs(app, s).is_empty();
            // Without a load balancer the grace period covers the container health checks,
            // and only when written.
            let grace = if routed {
                Some(dep.grace_period.unwrap_or(60))
            } else {
                dep.grace_period
            };
            (
                s.name.clone(),
                json!({
                    "min_healthy_percent": min,
                    "max_percent": max,
                    "grace_period": grace,
                }),
            )
        })
        .collect()
}

/// The log retention of the services that set their own.
pub fn log_retention(app: &App) -> Map<String, Value> {
    app.services
        .iter()
        .filter_map(|s| s.ops.log_retention.map(|(d, _)| (s.name.clone(), json!(d))))
        .collect()
}

/// Whether any container has a health command, a stop timeout or a start order.
pub fn container_ops(app: &App) -> bool {
    app.services.iter().flat_map(|s| &s.containers).any(|c| {
        c.ops.health_command.is_some()
            || c.ops.stop_timeout.is_some()
            || !c.ops.depends_on.is_empty()
    })
}

/// Adds a container's health command, stop timeout and start order to its description in the
/// ecs module's shape.
pub fn add_container_ops(c: &Container, v: &mut Value) {
    let depends: Map<String, Value> = c
        .ops
        .depends_on
        .iter()
        .map(|(k, cond, _)| (k.clone(), json!(cond)))
        .collect();
    v["health_command"] = json!(c.ops.health_command.as_ref().map(|(cmd, _)| cmd));
    v["stop_timeout"] = json!(c.ops.stop_timeout);
    v["depends_on"] = Value::Object(depends);
}

/// The clusters of a multi-cluster app, as the ecs module's `local.clusters`.
pub fn cluster_shape(app: &App) -> Map<String, Value> {
    if !app.multi_cluster() {
        return Map::new();
    }
    app.clusters
        .iter()
        .map(|c| {
            let ec2 = c.capacity == "ec2";
            (
                c.name.clone(),
                json!({
                    "ec2": ec2,
                    "container_insights": c.container_insights,
                    "security_group": if ec2 { Some(super::flows::cluster_group(app, &c.name)) } else { None },
                }),
            )
        })
        .collect()
}

/// Each environment's cluster settings (`clusters` of the ecs module).
pub fn cluster_settings(e: &App) -> Hv {
    let v: Map<String, Value> = e
        .clusters
        .iter()
        .map(|c| {
            let v = if c.capacity == "ec2" {
                json!({
                    "capacity": c.capacity,
                    "instance_type": c.instance_type,
                    "min_size": c.min_size,
                    "max_size": c.max_size,
                })
            } else {
                json!({ "capacity": c.capacity })
            };
            (c.name.clone(), v)
        })
        .collect();
    Hv::lit(v)
}

/// Addresses of the single-cluster form that move to the key "main" when an app that had one
/// cluster gains others (a `moved` from an address with nothing in the state is a no-op).
pub fn cluster_moves(app: &App) -> Vec<String> {
    let Some(main) = app
        .clusters
        .iter()
        .find(|c| c.name == "main")
        .filter(|_| app.multi_cluster())
    else {
        return Vec::new();
    };
    let mut out = vec![
        "aws_ecs_cluster.this".to_string(),
        "aws_ecs_cluster_capacity_providers.this".to_string(),
    ];
    if main.capacity == "ec2" {
        for r in [
            "aws_launch_template.this",
            "aws_autoscaling_group.this",
            "aws_ecs_capacity_provider.this",
        ] {
            out.push(r.to_string());
        }
    }
    out
}

/// How a service that `uses` a server reaches it: through the load balancer of the server's
/// first route, since the instance (and its address) changes when it is replaced. The host is
/// the route's first literal host (the listener rule matches on it), else a private record
/// that names the server, else the load balancer's DNS name; the port is the listener's.
pub struct ServerAddress {
    /// A literal host name, or `None` for the load balancer's DNS name.
    pub host: Option<String>,
    pub load_balancer: String,
    pub port: u16,
}

pub fn server_address(app: &App, name: &str) -> Option<ServerAddress> {
    let s = app.server(name)?;
    let route = s.routes.first()?;
    let lb = app.load_balancer(&route.load_balancer)?;
    let port = lb.listeners.iter().find(|l| l.name == route.listener)?.port;
    let literal = route
        .hosts
        .iter()
        .find(|h| !h.contains(['*', '?']))
        .cloned();
    let private = app.dns.as_ref().and_then(|d| {
        let zone = d.private_zone.as_ref()?;
        d.private_records
            .iter()
            .find(|r| r.target.kind == "server" && r.target.name == name)
            .map(|r| format!("{}.{zone}", r.key))
    });
    Some(ServerAddress {
        host: if route.hosts.is_empty() {
            private
        } else {
            literal
        },
        load_balancer: route.load_balancer.clone(),
        port,
    })
}

/// What a DNS record points to: a server's record points to the load balancer of its first
/// route (its instance is replaced when it fails, so it has no stable address of its own).
pub fn dns_target(app: &App, r: &crate::blueprint::Ref) -> crate::blueprint::Ref {
    if r.kind == "server"
        && let Some(route) = app.server(&r.name).and_then(|s| s.routes.first())
    {
        return crate::blueprint::Ref {
            kind: "load_balancer".into(),
            name: route.load_balancer.clone(),
            pos: r.pos,
        };
    }
    r.clone()
}
