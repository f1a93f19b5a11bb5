//! The security-group flow graph: every network flow the app needs, derived from routes,
//! `uses`, mounts, `allow` blocks and the bastion. Each flow becomes one ingress rule on the
//! receiving group and, between groups, one egress rule on the sending group.

use crate::blueprint::App;
use serde::Serialize;

/// One side of a flow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Peer {
    /// A per-environment CIDR list: `load_balancer_ingress_cidrs.<lb>` or `bastion_ssh_cidrs`.
    Cidrs(String),
    /// A security group, keyed by the owner's reference (`service.web`, `cluster`, ...).
    Group(String),
    /// Any address (egress for AWS APIs and image registries).
    Anywhere,
}

impl Peer {
    pub fn label(&self) -> String {
        match self {
            Peer::Group(g) => g.clone(),
            Peer::Cidrs(c) if c.starts_with("load_balancer_ingress_cidrs.") => {
                "ingress CIDRs".into()
            }
            Peer::Cidrs(c) if c == "bastion_ssh_cidrs" => "SSH CIDRs".into(),
            Peer::Cidrs(c) if c.starts_with("egress.") => "listed CIDRs".into(),
            Peer::Cidrs(c) => c.clone(),
            Peer::Anywhere => "internet".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Flow {
    pub from: Peer,
    pub to: Peer,
    pub from_port: u16,
    pub to_port: u16,
    /// What the flow is for, in a few words ("PostgreSQL", "HTTPS listener").
    pub what: String,
    /// The ports are a service's port: the rule is keyed by "service-port" rather than the
    /// number, so that changing the port updates the rule instead of replacing its address.
    pub service_port: bool,
}

impl Flow {
    pub fn ports(&self) -> String {
        if self.from_port == self.to_port {
            self.from_port.to_string()
        } else {
            format!("{}-{}", self.from_port, self.to_port)
        }
    }
}

/// The first and last port of the ephemeral range ECS gives bridge-mode containers.
pub const EPHEMERAL: (u16, u16) = (32768, 65535);

/// The port of a data store engine.
pub fn engine_port(engine: &str) -> u16 {
    match engine {
        "aurora-postgresql" => 5432,
        "aurora-mysql" => 3306,
        "memcached" => 11211,
        _ => 6379,
    }
}

pub fn engine_label(engine: &str) -> &'static str {
    match engine {
        "aurora-postgresql" => "PostgreSQL",
        "aurora-mysql" => "MySQL",
        "memcached" => "Memcached",
        "valkey" => "Valkey",
        _ => "Redis",
    }
}

/// True when tasks share their instance's network (EC2 in bridge mode).
pub fn bridge(app: &App) -> bool {
    app.cluster.capacity == "ec2" && app.cluster.network_mode == "bridge"
}

/// True when service-to-service calls (`uses = ["service.x"]`) go through ECS Service Connect:
/// in bridge mode, where a task's host port is dynamic and every task shares the instances'
/// security group, so neither a container port nor a per-service group can carry the call.
pub fn service_connect(app: &App) -> bool {
    bridge(app)
        && app
            .services
            .iter()
            .any(|s| s.uses.iter().any(|u| u.kind == "service"))
}

/// Whether service `name` is called by another service through Service Connect.
pub fn service_connect_server(app: &App, name: &str) -> bool {
    service_connect(app)
        && app
            .services
            .iter()
            .any(|s| s.uses.iter().any(|u| u.kind == "service" && u.name == name))
}

/// Whether service `s` calls another service through Service Connect.
pub fn service_connect_client(app: &App, s: &crate::blueprint::Service) -> bool {
    service_connect(app) && s.uses.iter().any(|u| u.kind == "service")
}

/// The security group a service's tasks use: its own, or the cluster instances' in bridge mode.
pub fn task_group(app: &App, service: &str) -> String {
    if bridge(app) {
        "cluster".into()
    } else {
        format!("service.{service}")
    }
}

/// The security groups the app needs, keyed by owner reference, in a stable order.
pub fn groups(app: &App) -> Vec<(String, String, String)> {
    let mut g = Vec::new();
    for lb in &app.load_balancers {
        g.push((
            format!("load_balancer.{}", lb.name),
            format!("lb-{}", lb.name),
            format!("Load balancer {}", lb.name),
        ));
    }
    for (key, cluster) in cluster_groups(app) {
        if app.multi_cluster() {
            g.push((
                key.clone(),
                key.replace('.', "-"),
                format!("ECS container instances of cluster {cluster}"),
            ));
        } else {
            g.push((key, "cluster".into(), "ECS container instances".into()));
        }
    }
    if !bridge(app) {
        for s in &app.services {
            g.push((
                format!("service.{}", s.name),
                format!("svc-{}", s.name),
                format!("Tasks of service {}", s.name),
            ));
        }
    }
    for d in &app.databases {
        g.push((
            format!("database.{}", d.name),
            format!("db-{}", d.name),
            format!("Aurora cluster {}", d.name),
        ));
    }
    for c in &app.caches {
        g.push((
            format!("cache.{}", c.name),
            format!("cache-{}", c.name),
            format!("ElastiCache {}", c.name),
        ));
    }
    for f in &app.file_systems {
        g.push((
            format!("file_system.{}", f.name),
            format!("efs-{}", f.name),
            format!("EFS mount targets of {}", f.name),
        ));
    }
    if app.bastion.is_some() {
        g.push(("bastion".into(), "bastion".into(), "Bastion host".into()));
    }
    for s in &app.servers {
        g.push((
            format!("server.{}", s.name),
            format!("srv-{}", s.name),
            format!("Server {}", s.name),
        ));
    }
    g
}

/// Every flow of the app, sorted and without duplicates.
pub fn flows(app: &App) -> Vec<Flow> {
    let mut out = Vec::new();
    // Flows within one group, which `add_flow` leaves out for every other reason.
    let mut self_flows = Vec::new();
    let mut add_flow = |from: Peer, to: Peer, (a, b): (u16, u16), what: &str, service_port| {
        if from != to {
            out.push(Flow {
                from,
                to,
                from_port: a,
                to_port: b,
                what: what.to_string(),
                service_port,
            });
        }
    };
    let group = |s: &str| Peer::Group(s.to_string());

    for lb in &app.load_balancers {
        let cidrs = Peer::Cidrs(format!("load_balancer_ingress_cidrs.{}", lb.name));
        let me = group(&format!("load_balancer.{}", lb.name));
        for l in &lb.listeners {
            add_flow(
                cidrs.clone(),
                me.clone(),
                (l.port, l.port),
                &format!("{} listener {}", l.protocol, l.name),
                false,
            );
        }
        if lb.redirect_http {
            add_flow(
                cidrs.clone(),
                me.clone(),
                (80, 80),
                "HTTP redirect to HTTPS",
                false,
            );
        }
        // Targets: services routed through this load balancer or its listeners' defaults.
        for s in &app.services {
            let routed = s.routes.iter().any(|r| r.load_balancer == lb.name)
                || lb
                    .listeners
                    .iter()
                    .any(|l| l.default.as_ref().is_some_and(|d| d.name == s.name));
            let Some(port) = s.port() else { continue };
            if !routed {
                continue;
            }
            if bridge(app) {
                add_flow(
                    me.clone(),
                    group("cluster"),
                    EPHEMERAL,
                    "traffic and health checks to dynamic host ports",
                    false,
                );
            } else {
                add_flow(
                    me.clone(),
                    group(&format!("service.{}", s.name)),
                    (port, port),
                    "traffic and health checks",
                    true,
                );
            }
        }
    }
    for s in &app.services {
        let me = group(&task_group(app, &s.name));
        let mut targets: Vec<String> = s.uses.iter().map(|u| u.key()).collect();
        targets.extend(
            s.mounts
                .iter()
                .map(|m| format!("file_system.{}", m.file_system)),
        );
        for t in targets {
            let (kind, name) = t.split_once('.').unwrap_or((&t, ""));
            let (port, what) = match kind {
                "database" => app
                    .database(name)
                    .map(|d| (engine_port(&d.engine), engine_label(&d.engine).to_string())),
                "cache" => app
                    .cache(name)
                    .map(|c| (engine_port(&c.engine), engine_label(&c.engine).to_string())),
                "file_system" => Some((2049, "NFS".to_string())),
                "service" => app
                    .service(name)
                    .and_then(|o| o.port())
                    .map(|p| (p, format!("service {name}"))),
                "server" => app
                    .server(name)
                    .and_then(|o| o.port)
                    .map(|p| (p, format!("server {name}"))),
                _ => None,
            }
            .unwrap_or((0, String::new()));
            if port == 0 {
                continue;
            }
            if kind == "service" && bridge(app) {
                // Service Connect: the caller's proxy reaches the called task's proxy on its
                // dynamic host port, from one container instance to another (one group).
                self_flows.push(Flow {
                    from: me.clone(),
                    to: me.clone(),
                    from_port: EPHEMERAL.0,
                    to_port: EPHEMERAL.1,
                    what: "Service Connect between services on dynamic host ports".into(),
                    service_port: false,
                });
                continue;
            }
            if kind == "server"
                && let Some(a) = super::operations::server_address(app, name)
            {
                // The address `uses` hands over is the load balancer's listener.
                add_flow(
                    me.clone(),
                    group(&format!("load_balancer.{}", a.load_balancer)),
                    (a.port, a.port),
                    "the listener of a routed server",
                    false,
                );
            }
            let to = if kind == "service" {
                group(&task_group(app, name))
            } else {
                group(&t)
            };
            add_flow(me.clone(), to, (port, port), &what, kind == "service");
        }
        add_flow(
            me.clone(),
            Peer::Anywhere,
            (443, 443),
            "HTTPS to AWS APIs and image registries",
            false,
        );
    }
    for (key, _) in cluster_groups(app) {
        add_flow(
            group(&key),
            Peer::Anywhere,
            (443, 443),
            "HTTPS for the ECS agent and image registries",
            false,
        );
    }
    for a in &app.allows {
        let peer = |r: &crate::blueprint::Ref| match r.kind.as_str() {
            "service" => group(&task_group(app, &r.name)),
            _ => group(&r.key()),
        };
        let what = format!(
            "allowed ports {}",
            if a.from_port == a.to_port {
                a.from_port.to_string()
            } else {
                format!("{}-{}", a.from_port, a.to_port)
            }
        );
        if peer(&a.from) == peer(&a.to) {
            // Among the tasks of one service (a Hazelcast cluster): a rule that references
            // the group it is on.
            self_flows.push(Flow {
                from: peer(&a.from),
                to: peer(&a.to),
                from_port: a.from_port,
                to_port: a.to_port,
                what: format!("{what} between the tasks of this service"),
                service_port: false,
            });
            continue;
        }
        add_flow(
            peer(&a.from),
            peer(&a.to),
            (a.from_port, a.to_port),
            &what,
            false,
        );
        if a.both_ways {
            add_flow(
                peer(&a.to),
                peer(&a.from),
                (a.from_port, a.to_port),
                &what,
                false,
            );
        }
    }
    if let Some(b) = &app.bastion {
        add_flow(
            Peer::Cidrs("bastion_ssh_cidrs".into()),
            group("bastion"),
            (22, 22),
            "SSH",
            false,
        );
        for u in &b.uses {
            let port = match u.kind.as_str() {
                "database" => app.database(&u.name).map(|d| engine_port(&d.engine)),
                "cache" => app.cache(&u.name).map(|c| engine_port(&c.engine)),
                "file_system" => Some(2049),
                _ => None,
            };
            if let Some(p) = port {
                add_flow(
                    group("bastion"),
                    group(&u.key()),
                    (p, p),
                    "administration from the bastion",
                    false,
                );
            }
        }
        add_flow(
            group("bastion"),
            Peer::Anywhere,
            (443, 443),
            "HTTPS for Session Manager and updates",
            false,
        );
    }
    for f in server_flows(app) {
        add_flow(f.from, f.to, (f.from_port, f.to_port), &f.what, false);
    }
    for (group, lists) in egress_owners(app) {
        for (key, (from_port, to_port, what)) in lists {
            add_flow(
                Peer::Group(group.clone()),
                Peer::Cidrs(key),
                (from_port, to_port),
                &what,
                false,
            );
        }
    }
    out.extend(self_flows);
    out.sort();
    out.dedup_by(|a, b| {
        a.from == b.from && a.to == b.to && a.from_port == b.from_port && a.to_port == b.to_port
    });
    out
}

/// The egress blocks of the app, by the security group they leave from: the key of each CIDR
/// list (`egress.<group>.<ports>`) with its ports and what it is for.
#[allow(clippy::type_complexity)]
fn egress_owners(app: &App) -> Vec<(String, Vec<(String, (u16, u16, String))>)> {
    let mut out: Vec<(String, Vec<(String, (u16, u16, String))>)> = Vec::new();
    for (group, e) in egress_blocks(app) {
        let key = format!("egress.{group}.{}", e.ports());
        let what = e
            .description
            .clone()
            .unwrap_or_else(|| format!("egress on ports {}", e.ports()));
        let entry = match out.iter_mut().find(|(g, _)| *g == group) {
            Some(x) => x,
            None => {
                out.push((group.clone(), Vec::new()));
                out.last_mut().expect("pushed")
            }
        };
        if !entry.1.iter().any(|(k, _)| *k == key) {
            entry.1.push((key, (e.from_port, e.to_port, what)));
        }
    }
    out
}

/// Every egress block with the security group it leaves from.
fn egress_blocks(app: &App) -> Vec<(String, &crate::blueprint::Egress)> {
    let mut out = Vec::new();
    for s in &app.services {
        for e in &s.ops.egress {
            out.push((task_group(app, &s.name), e));
        }
    }
    for s in &app.servers {
        for e in &s.egress {
            out.push((format!("server.{}", s.name), e));
        }
    }
    out
}

/// The flows of servers: from the load balancers they are routed from, to what they use, and
/// HTTPS out for Session Manager, the AWS APIs and updates.
fn server_flows(app: &App) -> Vec<Flow> {
    let mut out = Vec::new();
    let flow = |from: Peer, to: Peer, port: u16, what: String| Flow {
        from,
        to,
        from_port: port,
        to_port: port,
        what,
        service_port: false,
    };
    for s in &app.servers {
        let me = Peer::Group(format!("server.{}", s.name));
        if let Some(port) = s.port {
            let mut lbs: Vec<&str> = s.routes.iter().map(|r| r.load_balancer.as_str()).collect();
            lbs.sort_unstable();
            lbs.dedup();
            for lb in lbs {
                out.push(flow(
                    Peer::Group(format!("load_balancer.{lb}")),
                    me.clone(),
                    port,
                    "traffic and health checks".into(),
                ));
            }
        }
        for u in &s.uses {
            let target = match u.kind.as_str() {
                "database" => app
                    .database(&u.name)
                    .map(|d| (engine_port(&d.engine), engine_label(&d.engine).to_string())),
                "cache" => app
                    .cache(&u.name)
                    .map(|c| (engine_port(&c.engine), engine_label(&c.engine).to_string())),
                "file_system" => Some((2049, "NFS".to_string())),
                "service" => app
                    .service(&u.name)
                    .and_then(|o| o.port())
                    .map(|p| (p, format!("service {}", u.name))),
                "server" => app
                    .server(&u.name)
                    .and_then(|o| o.port)
                    .map(|p| (p, format!("server {}", u.name))),
                _ => None,
            };
            let Some((port, what)) = target else { continue };
            let to = if u.kind == "service" {
                Peer::Group(task_group(app, &u.name))
            } else {
                Peer::Group(u.key())
            };
            out.push(flow(me.clone(), to, port, what));
        }
        out.push(flow(
            me.clone(),
            Peer::Anywhere,
            443,
            "HTTPS for Session Manager, AWS APIs and updates".into(),
        ));
    }
    out
}

/// The CIDR lists of the egress blocks, keyed `egress.<group>.<ports>`: the blocks of services
/// that share a group (bridge mode) are merged, each CIDR once.
pub fn egress_cidrs(app: &App) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut lists: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (group, e) in egress_blocks(app) {
        let list = lists
            .entry(format!("egress.{group}.{}", e.ports()))
            .or_default();
        for c in &e.cidrs {
            if !list.contains(c) {
                list.push(c.clone());
            }
        }
    }
    lists
}

/// The security groups of EC2 container instances, with their cluster: `cluster` for the
/// app's only cluster or the one named `main`, `cluster.<name>` for the others.
pub fn cluster_groups(app: &App) -> Vec<(String, String)> {
    let all: Vec<&crate::blueprint::Cluster> = if app.clusters.is_empty() {
        vec![&app.cluster]
    } else {
        app.clusters.iter().collect()
    };
    all.into_iter()
        .filter(|c| c.capacity == "ec2")
        .filter(|c| {
            app.services
                .iter()
                .any(|s| !app.multi_cluster() || app.service_cluster(s).name == c.name)
        })
        .map(|c| (cluster_group(app, &c.name), c.name.clone()))
        .collect()
}

/// The key of a cluster's instance security group.
pub fn cluster_group(app: &App, cluster: &str) -> String {
    if !app.multi_cluster() || cluster == "main" {
        "cluster".into()
    } else {
        format!("cluster.{cluster}")
    }
}
