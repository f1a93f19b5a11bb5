//! Decoding of the v1.1 compute and operations settings: a service's deployment, log
//! retention and egress, a container's health command, stop timeout and start order.

use super::decode::parse_ports;
use super::reader::{Reader, describe};
use super::syntax::Value;
use super::types::*;
use crate::diag::{Diagnostics, Pos, did_you_mean, one_of};

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The retention the app's log groups get without `log_retention`.
pub const DEFAULT_LOG_RETENTION: u32 = 365;

/// The conditions of a container's `depends_on`.
pub const DEPENDENCY_CONDITIONS: &[&str] = &["START", "COMPLETE", "SUCCESS", "HEALTHY"];

/// `log_retention = <days>`: one of CloudWatch Logs' periods.
pub fn log_retention(r: &mut Reader, d: &mut Diagnostics) -> Option<(u32, Pos)> {
    let n = r.attr("log_retention", d)?;
    let days = super::reader::as_int(n, "log_retention", 1, 3653, d)? as u32;
    if !LOG_RETENTION_DAYS.contains(&days) {
        let nearest = LOG_RETENTION_DAYS
            .iter()
            .min_by_key(|v| v.abs_diff(days))
            .copied()
            .unwrap_or(DEFAULT_LOG_RETENTION);
        let all: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
        d.error(
            n.pos,
            format!(
                "`log_retention` {days} is not a retention CloudWatch Logs offers; did you mean {nearest}? The periods are {}",
                all.join(", ")
            ),
        );
        return None;
    }
    Some((days, n.pos))
}

/// The attributes of a service that [`service_ops`] reads.
pub fn service_ops(r: &mut Reader, s: &mut Service, d: &mut Diagnostics) {
    // An environment may keep its logs for another period (each account its own policy).
    if let Some(v) = log_retention(r, d) {
        s.ops.log_retention = Some(v);
    }
    if !r.is_override() {
        if let Some((v, p)) = r.string("cluster", d) {
            s.ops.cluster = Some((v.strip_prefix("cluster.").unwrap_or(&v).to_string(), p));
        }
        if let Some(b) = r.single("deployment", d) {
            let mut dr = Reader::new(b, "deployment", d);
            let mut dep = Deployment {
                pos: b.pos,
                min_healthy_percent: 100,
                max_percent: 200,
                ..Deployment::default()
            };
            dr.set_int(
                "min_healthy_percent",
                0,
                100,
                &mut dep.min_healthy_percent,
                d,
            );
            dr.set_int("max_percent", 100, 200, &mut dep.max_percent, d);
            if let Some(n) = dr.attr("grace_period", d) {
                dep.grace_period_pos = n.pos;
                dep.grace_period =
                    super::reader::as_int(n, "grace_period", 0, 2_147_483_647, d).map(|v| v as u32);
            }
            if dep.min_healthy_percent >= dep.max_percent {
                d.error(
                    b.pos,
                    format!(
                        "deployment `min_healthy_percent` ({}) must be below `max_percent` ({}): with no room between them ECS can neither stop an old task nor start a new one",
                        dep.min_healthy_percent, dep.max_percent
                    ),
                );
            }
            dr.finish(d);
            s.ops.deployment = Some(dep);
        }
        for b in r.blocks("egress", d) {
            s.ops
                .egress
                .push(egress(&mut Reader::new(b, "egress", d), d));
        }
    }
}

/// `health_check` of a service or server: the path the load balancer checks
/// (`health_check = "/health"`), or a `health_check { ... }` block that also sets the codes
/// and timings of the check (each within what an Application Load Balancer accepts).
pub fn health_check(r: &mut Reader, target: &mut HealthCheck, d: &mut Diagnostics) {
    let block = r.single("health_check", d);
    let path_only = r.string("health_check", d);
    if let (Some(b), Some(_)) = (block, &path_only) {
        d.error(
            b.pos,
            format!(
                "{} sets `health_check` twice, as a path and as a block; use one form (the block takes the path as `path`)",
                r.what()
            ),
        );
    }
    if let Some((path, p)) = path_only {
        if health_path(&path, p, d) {
            target.path = path;
        }
        return;
    }
    let Some(b) = block else { return };
    let mut hr = Reader::new(b, "health_check", d);
    if let Some((path, p)) = hr.string("path", d)
        && health_path(&path, p, d)
    {
        target.path = path;
    }
    if let Some((m, p)) = hr.string("matcher", d) {
        if valid_matcher(&m) {
            target.matcher = m;
        } else {
            d.error(
                p,
                format!(
                    "`matcher` must be HTTP codes from 200 to 499: one (\"200\"), several (\"200,202\") or a range (\"200-299\"), not \"{}\"",
                    crate::diag::escape(&m)
                ),
            );
        }
    }
    let interval = hr.set_int("interval", 5, 300, &mut target.interval, d);
    let timeout = hr.set_int("timeout", 2, 120, &mut target.timeout, d);
    hr.set_int("healthy_threshold", 2, 10, &mut target.healthy_threshold, d);
    hr.set_int(
        "unhealthy_threshold",
        2,
        10,
        &mut target.unhealthy_threshold,
        d,
    );
    if target.timeout >= target.interval {
        d.error(
            timeout.or(interval).unwrap_or(b.pos),
            format!(
                "health_check `timeout` ({} s) must be below its `interval` ({} s): the load balancer starts the next check before the last one could time out",
                target.timeout, target.interval
            ),
        );
    }
    hr.finish(d);
}

/// Whether `path` is an HTTP path (reported where it is not).
fn health_path(path: &str, p: Pos, d: &mut Diagnostics) -> bool {
    let ok = path.starts_with('/') && path.len() <= 1024 && !path.chars().any(char::is_whitespace);
    if !ok {
        d.error(
            p,
            format!(
                "`health_check` must be an HTTP path starting with \"/\" (at most 1024 characters, no spaces), not \"{}\"",
                crate::diag::escape(path)
            ),
        );
    }
    ok
}

/// `"200"`, `"200,202"` or `"200-299"`: codes from 200 to 499, a range from low to high.
fn valid_matcher(m: &str) -> bool {
    let code = |c: &str| {
        c.len() == 3
            && c.bytes().all(|b| b.is_ascii_digit())
            && (200..=499).contains(&c.parse::<u16>().unwrap_or(0))
    };
    match m.split_once('-') {
        Some((lo, hi)) => code(lo) && code(hi) && lo < hi,
        None => m.split(',').all(code),
    }
}

/// `egress { ports cidrs description }` of a service or server.
pub fn egress(r: &mut Reader, d: &mut Diagnostics) -> Egress {
    let mut e = Egress {
        pos: r.pos(),
        ..Egress::default()
    };
    if r.required("ports", d).is_some() {
        let node = r.attr("ports", d).expect("present");
        let text = match &node.value {
            Value::Number(n) => Some(super::syntax::format_number(*n)),
            Value::String(s) => Some(s.clone()),
            _ => None,
        };
        match text.as_deref().and_then(parse_ports) {
            Some((from, to)) => {
                e.from_port = from;
                e.to_port = to;
            }
            None => d.error(
                node.pos,
                format!(
                    "`ports` must be a port \"587\" or a range \"8000-8100\" (1-65535, low to high), not {}",
                    describe(&node.value)
                ),
            ),
        }
    }
    if let Some((cidrs, p)) = r.required("cidrs", d).and(r.string_list("cidrs", d)) {
        e.cidrs = cidrs.into_iter().map(|(c, _)| c).collect();
        e.cidrs_pos = p;
        if e.cidrs.is_empty() {
            d.error(p, "`cidrs` lists the IPv4 ranges the egress reaches, such as [\"203.0.113.0/24\"]; it cannot be empty");
        }
    }
    if let Some((v, p)) = r.string("description", d) {
        if v.chars().any(char::is_control) || v.len() > 200 {
            d.error(
                p,
                "an egress `description` is one line of at most 200 characters",
            );
        }
        e.description = Some(v);
    }
    r.finish(d);
    e
}

/// `health_command`, `stop_timeout` and `depends_on` of a container (or of a single-container
/// service).
pub fn container_ops(r: &mut Reader, c: &mut Container, d: &mut Diagnostics) {
    if r.is_override() {
        return;
    }
    health_and_stop(r, c, d);
    depends_on(r, c, d);
}

/// `health_command` and `stop_timeout`, read into `c`.
fn health_and_stop(r: &mut Reader, c: &mut Container, d: &mut Diagnostics) {
    if let Some((cmd, p)) = r.string_list("health_command", d) {
        let cmd: Vec<String> = cmd.into_iter().map(|x| x.0).collect();
        match cmd.first().map(String::as_str) {
            Some("CMD" | "CMD-SHELL") if cmd.len() > 1 => {}
            _ => d.error(
                p,
                "`health_command` starts with \"CMD\" (then the program and its arguments) or \"CMD-SHELL\" (then one shell command), such as [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]",
            ),
        }
        c.ops.health_command = Some((cmd, p));
    }
    if let Some(n) = r.attr("stop_timeout", d) {
        c.ops.stop_timeout_pos = n.pos;
        c.ops.stop_timeout = super::reader::as_int(n, "stop_timeout", 2, 120, d).map(|v| v as u32);
    }
}

/// `depends_on` of a container, read into `c`.
fn depends_on(r: &mut Reader, c: &mut Container, d: &mut Diagnostics) {
    if let Some(items) = r.string_map("depends_on", d) {
        for (k, kpos, v, vpos) in items {
            if !DEPENDENCY_CONDITIONS.contains(&v.as_str()) {
                let hint = did_you_mean(&v, DEPENDENCY_CONDITIONS.iter().copied())
                    .map(|s| format!("did you mean \"{s}\"? "))
                    .unwrap_or_default();
                d.error(
                    vpos,
                    format!(
                        "`depends_on` condition \"{v}\" is unknown; {hint}conditions are {}",
                        one_of(DEPENDENCY_CONDITIONS)
                    ),
                );
                continue;
            }
            c.ops.depends_on.push((k, v, kpos));
        }
    }
}

/// `health_command` and `stop_timeout` written on a service that has `container` blocks:
/// `stop_timeout` is the default of every container that sets none, `health_command` the
/// health check of the container that receives traffic (the one with a `port`, else the
/// first), which must not set its own. `depends_on` stays in the container blocks.
pub fn service_container_defaults(r: &mut Reader, s: &mut Service, d: &mut Diagnostics) {
    if r.is_override() {
        return;
    }
    if let Some(n) = r.attr("depends_on", d) {
        let first = s.containers.first().map_or("app", |c| c.name.as_str());
        d.error(
            n.pos,
            format!(
                "`depends_on` orders the start of one container, and {} has `container` blocks: put it in the block of the container that waits, `container \"{first}\" {{ depends_on = {{ ... }} }}`",
                r.what()
            ),
        );
    }
    let mut defaults = Container::default();
    health_and_stop(r, &mut defaults, d);
    if let Some(timeout) = defaults.ops.stop_timeout {
        for c in s
            .containers
            .iter_mut()
            .filter(|c| c.ops.stop_timeout.is_none())
        {
            c.ops.stop_timeout = Some(timeout);
            c.ops.stop_timeout_pos = defaults.ops.stop_timeout_pos;
        }
    }
    let Some((cmd, pos)) = defaults.ops.health_command else {
        return;
    };
    let what = r.what().to_string();
    let primary = match s.containers.iter().position(|c| c.port.is_some()) {
        Some(i) => Some(i),
        None if s.containers.is_empty() => None,
        None => Some(0),
    };
    let Some(c) = primary.map(|i| &mut s.containers[i]) else {
        return;
    };
    match &c.ops.health_command {
        Some((_, own)) => d.error(
            pos,
            format!(
                "{what} sets `health_command`, which is the health check of its container \"{}\" (the one that receives traffic), and that container sets its own at line {}; keep one: remove this one, or the container's",
                c.name, own.line
            ),
        ),
        None => {
            c.ops.health_command = Some((cmd, pos));
            c.ops.health_from_service = true;
        }
    }
}

/// The rules of the operations settings that span attributes: start order between containers,
/// a grace period without a load balancer, egress CIDRs and ports.
pub fn check_operations(app: &App, d: &mut Diagnostics) {
    for s in &app.services {
        for c in &s.containers {
            for (dep, condition, pos) in &c.ops.depends_on {
                let Some(target) = s.containers.iter().find(|o| &o.name == dep) else {
                    let names: Vec<&str> = s
                        .containers
                        .iter()
                        .filter(|o| o.name != c.name)
                        .map(|o| o.name.as_str())
                        .collect();
                    let hint = did_you_mean(dep, names.iter().copied())
                        .map(|x| format!("did you mean \"{x}\"? "))
                        .unwrap_or_default();
                    d.error(
                        *pos,
                        format!(
                            "`depends_on` names container \"{dep}\", which service \"{}\" does not have; {hint}its other containers: {}",
                            s.name,
                            if names.is_empty() { "none".to_string() } else { one_of(&names) }
                        ),
                    );
                    continue;
                };
                if target.name == c.name {
                    d.error(*pos, "a container cannot wait for itself in `depends_on`");
                } else if condition == "HEALTHY" && target.ops.health_command.is_none() {
                    let note = s
                        .containers
                        .iter()
                        .find(|o| o.ops.health_from_service)
                        .map(|o| {
                            format!(
                                " (the service's `health_command` is that of container \"{}\", the one that receives traffic: the one with a `port`, else the first)",
                                o.name
                            )
                        })
                        .unwrap_or_default();
                    d.error(
                        *pos,
                        format!(
                            "container \"{dep}\" has no `health_command`, so it never becomes HEALTHY{note}; give it one or wait for \"START\""
                        ),
                    );
                }
            }
        }
        // ECS ignores failing load balancer and container health checks during the grace
        // period: without either it has nothing to delay.
        if let Some(dep) = &s.ops.deployment
            && dep.grace_period.is_some()
            && crate::model::compute::target_lbs(app, s).is_empty()
            && s.containers.iter().all(|c| c.ops.health_command.is_none())
        {
            d.error(
                dep.grace_period_pos,
                format!(
                    "`grace_period` delays the load balancer's and the containers' health checks, and service \"{}\" is no load balancer's target and has no `health_command`; leave it out",
                    s.name
                ),
            );
        }
        check_egress(&s.ops.egress, d);
    }
}

/// Egress blocks of one service or server: canonical CIDRs, each port range once, nothing the
/// default HTTPS egress already allows.
pub fn check_egress(egress: &[Egress], d: &mut Diagnostics) {
    for (i, e) in egress.iter().enumerate() {
        if e.from_port == 0 {
            continue;
        }
        if let Some(first) = egress[..i]
            .iter()
            .find(|o| o.from_port == e.from_port && o.to_port == e.to_port)
        {
            d.error(
                e.pos,
                format!(
                    "egress on ports {} is already written at line {}; list all its CIDRs in one block",
                    e.ports(),
                    first.pos.line
                ),
            );
        }
        let mut nets: Vec<crate::model::cidr::Ipv4Net> = Vec::new();
        for c in &e.cidrs {
            match c.parse::<crate::model::cidr::Ipv4Net>() {
                Err(err) => d.error(
                    e.cidrs_pos,
                    format!("`cidrs`: \"{c}\" is not an IPv4 CIDR block: {err}"),
                ),
                Ok(net) if !net.is_canonical() => d.error(
                    e.cidrs_pos,
                    format!(
                        "`cidrs`: \"{c}\" has host bits set; did you mean \"{}\"?",
                        net.canonical()
                    ),
                ),
                Ok(net) => {
                    if let Some(o) = nets.iter().find(|o| o.overlaps(&net)) {
                        d.error(
                            e.cidrs_pos,
                            format!("`cidrs`: \"{c}\" overlaps \"{o}\"; list each range once"),
                        );
                    }
                    if c == "0.0.0.0/0" && e.from_port == 443 && e.to_port == 443 {
                        d.error(
                            e.cidrs_pos,
                            "HTTPS (443) to anywhere is always allowed; this egress adds nothing",
                        );
                    }
                    nets.push(net);
                }
            }
        }
    }
}

/// The longest cluster name: it goes into the IAM and Auto Scaling names of its instances.
pub const CLUSTER_NAME_MAX: usize = 20;

type ClusterReader = fn(&mut Reader, &mut Cluster, &mut Diagnostics);

/// The app's `cluster` blocks: the unlabeled one is `cluster "main"`; without any, one
/// Fargate cluster named `main`. `app.cluster` starts as the defaults of each.
pub fn clusters(r: &mut Reader, app: &mut App, read: ClusterReader, d: &mut Diagnostics) {
    let defaults = app.cluster.clone();
    let blocks = r.blocks("cluster", d);
    let mut seen: Vec<(String, Pos)> = Vec::new();
    for b in blocks {
        let (name, pos) = match b.labels.as_slice() {
            [] => ("main".to_string(), b.pos),
            [l] => (l.name.clone(), l.pos),
            [_, extra, ..] => {
                d.error(
                    extra.pos,
                    "a `cluster` block takes one label at most: cluster \"admin\" { ... }",
                );
                continue;
            }
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            let what = if b.labels.is_empty() {
                "the unlabeled `cluster` block is cluster \"main\"".to_string()
            } else {
                format!("cluster \"{}\"", crate::diag::escape(&name))
            };
            d.error(
                pos,
                format!(
                    "duplicate cluster: {what}, already defined at line {}",
                    first.line
                ),
            );
            continue;
        }
        seen.push((name.clone(), pos));
        let mut c = Cluster {
            name: name.clone(),
            ..defaults.clone()
        };
        let what = if b.labels.is_empty() {
            "cluster".to_string()
        } else {
            format!("cluster \"{name}\"")
        };
        let mut rr = Reader::new(b, what, d);
        read(&mut rr, &mut c, d);
        rr.finish(d);
        if !b.labels.is_empty() {
            c.pos = pos;
        }
        app.clusters.push(c);
    }
    if app.clusters.is_empty() {
        app.clusters.push(Cluster {
            name: "main".into(),
            ..defaults
        });
    }
    app.cluster = app.clusters[0].clone();
}

/// An environment's `cluster` overrides: unlabeled for `main`, labeled for the others.
pub fn env_clusters(
    r: &mut Reader,
    app: &mut App,
    env: &str,
    allowed: &'static [&'static str],
    read: ClusterReader,
    d: &mut Diagnostics,
) {
    for b in r.blocks("cluster", d) {
        let (name, pos) = match b.labels.as_slice() {
            [] => ("main".to_string(), b.pos),
            [l, ..] => (l.name.clone(), l.pos),
        };
        let known: Vec<String> = app.clusters.iter().map(|c| c.name.clone()).collect();
        let Some(target) = app.clusters.iter_mut().find(|c| c.name == name) else {
            let hint = did_you_mean(&name, known.iter().map(String::as_str))
                .map(|x| format!("did you mean \"{x}\"? "))
                .unwrap_or_default();
            let what = if b.labels.is_empty() {
                "the unlabeled `cluster` (cluster \"main\")".to_string()
            } else {
                format!("cluster \"{name}\"")
            };
            d.error(
                pos,
                format!(
                    "environment \"{env}\" overrides {what}, which the app does not define; {hint}known: {}",
                    one_of(&known)
                ),
            );
            continue;
        };
        let what = if b.labels.is_empty() {
            format!("environment \"{env}\" cluster")
        } else {
            format!("environment \"{env}\" cluster \"{name}\"")
        };
        let mut cr = Reader::overriding(b, what, allowed, d);
        read(&mut cr, target, d);
        cr.finish(d);
    }
    app.cluster = app.clusters[0].clone();
}

/// Several clusters: their names, the cluster each service names, and what each environment
/// may change of the clusters after the first (the first is checked as `app.cluster`).
pub fn check_clusters(app: &App, envs: &[Environment], d: &mut Diagnostics) {
    let names: Vec<&str> = app.clusters.iter().map(|c| c.name.as_str()).collect();
    for c in &app.clusters {
        let ok = c.name.len() <= CLUSTER_NAME_MAX
            && c.name.starts_with(|x: char| x.is_ascii_lowercase())
            && c.name
                .chars()
                .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '-');
        if !ok {
            d.error(
                c.pos,
                format!(
                    "cluster name \"{}\" must match ^[a-z][a-z0-9-]*$ and have at most {CLUSTER_NAME_MAX} characters (it is part of the names of its instances and capacity provider)",
                    crate::diag::escape(&c.name)
                ),
            );
        }
        if app.multi_cluster() && c.network_mode == "bridge" {
            d.error(
                c.network_mode_pos,
                "`network_mode = \"bridge\"` needs the app's only cluster: bridge-mode tasks share their instances' security group, which several clusters cannot",
            );
        }
    }
    // A cluster no service runs on, once every service names a cluster that exists.
    let all_named = app.services.iter().all(|s| {
        s.ops
            .cluster
            .as_ref()
            .is_some_and(|(n, _)| names.contains(&n.as_str()))
    });
    for c in app
        .clusters
        .iter()
        .filter(|_| app.multi_cluster() && all_named)
    {
        let runs = app
            .services
            .iter()
            .any(|s| s.ops.cluster.as_ref().is_some_and(|(n, _)| *n == c.name));
        if !runs {
            d.error(
                c.pos,
                format!(
                    "cluster \"{}\" runs no service; name it in a service's `cluster` or remove it",
                    c.name
                ),
            );
        }
    }
    for c in app.clusters.iter().skip(1) {
        if c.capacity != "ec2" && c.network_mode == "bridge" {
            d.error(c.network_mode_pos, "`network_mode = \"bridge\"` needs `capacity = \"ec2\"` (Fargate tasks always use awsvpc)");
        }
        if c.min_size > c.max_size {
            d.error(
                c.pos,
                format!(
                    "cluster \"{}\" `min_size` ({}) is greater than `max_size` ({})",
                    c.name, c.min_size, c.max_size
                ),
            );
        }
    }
    for s in &app.services {
        match &s.ops.cluster {
            Some((n, p)) if !names.contains(&n.as_str()) => {
                let hint = did_you_mean(n, names.iter().copied())
                    .map(|x| format!("did you mean \"{x}\"? "))
                    .unwrap_or_default();
                d.error(
                    *p,
                    format!(
                        "service \"{}\" runs on cluster \"{n}\", which the app does not define; {hint}clusters: {}",
                        s.name,
                        one_of(&names)
                    ),
                );
            }
            None if app.multi_cluster() => d.error(
                s.pos,
                format!(
                    "service \"{}\" does not say which cluster it runs on, and the app has several; set `cluster` to {}",
                    s.name,
                    one_of(&names)
                ),
            ),
            _ => {}
        }
    }
    for env in envs {
        let e = &env.app;
        for (c, base) in e.clusters.iter().zip(&app.clusters).skip(1) {
            if (c.capacity == "ec2") != (base.capacity == "ec2") {
                d.error(c.capacity_pos, format!("environment \"{}\" changes the `capacity` of cluster \"{}\" between EC2 and Fargate, which changes its task definitions; only fargate <-> fargate_spot may differ per environment", env.name, c.name));
            }
            if c.min_size > c.max_size && base.min_size <= base.max_size {
                d.error(
                    c.pos,
                    format!(
                        "cluster \"{}\" `min_size` ({}) is greater than `max_size` ({}) (environment \"{}\")",
                        c.name, c.min_size, c.max_size, env.name
                    ),
                );
            }
            let used = e
                .services
                .iter()
                .any(|s| e.service_cluster(s).name == c.name);
            if c.capacity == "ec2" && e.network.nat == "none" && used {
                d.error(
                    e.network.pos,
                    format!("EC2 container instances of cluster \"{}\" need NAT to reach the ECS service; use `nat = \"single\"` or Fargate (environment \"{}\")", c.name, env.name),
                );
            }
        }
    }
}

pub const SERVER_SUBNETS: &[&str] = &["private", "public"];

type RouteReader = fn(&super::syntax::BlockNode, &mut Diagnostics) -> Route;

/// The app's `server "<name>"` blocks.
pub fn servers(
    r: &mut Reader,
    app: &mut App,
    route: RouteReader,
    tainted: &mut Vec<String>,
    d: &mut Diagnostics,
) {
    for (name, pos, b) in r.labeled("server", d) {
        let before = d.len();
        let mut s = Server {
            name: name.clone(),
            pos,
            instance_type: "t3.medium".into(),
            subnets: "private".into(),
            volume_size: 30,
            ..Server::default()
        };
        let mut sr = Reader::new(b, format!("server \"{name}\""), d);
        sr.required("image", d);
        server_sizes(&mut sr, &mut s, d);
        sr.set_enum("subnets", SERVER_SUBNETS, &mut s.subnets, d);
        if let Some(n) = sr.attr("port", d) {
            s.port_pos = n.pos;
            s.port = super::reader::as_int(n, "port", 1, 65535, d).map(|p| p as u16);
        }
        health_check(&mut sr, &mut s.health_check, d);
        if let Some((v, p)) = sr.string("user_data", d) {
            if v.len() > 16 * 1024 {
                d.error(
                    p,
                    "`user_data` is at most 16 KiB (EC2's limit, before base64)",
                );
            }
            s.user_data = Some(v);
        }
        if let Some((items, _)) = sr.string_list("uses", d) {
            s.uses = items
                .into_iter()
                .filter_map(|(v, p)| super::decode::parse_ref(&v, p, d))
                .collect();
        }
        for rb in sr.blocks("route", d) {
            s.routes.push(route(rb, d));
        }
        for eb in sr.blocks("egress", d) {
            s.egress.push(egress(&mut Reader::new(eb, "egress", d), d));
        }
        sr.finish(d);
        if d.len() > before {
            tainted.push(format!("server \"{name}\""));
        }
        app.servers.push(s);
    }
}

/// The settings of a server an environment may change too: `instance_type`, `volume_size`
/// and `image` (an AMI ID is the account's and region's own).
fn server_sizes(r: &mut Reader, s: &mut Server, d: &mut Diagnostics) {
    r.set_string("instance_type", &mut s.instance_type, d);
    if let Some((v, p)) = r.string("image", d) {
        let ok = match v.strip_prefix("ssm:") {
            Some(param) => {
                param.starts_with('/')
                    && param.len() > 1
                    && param
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c))
            }
            None => v.strip_prefix("ami-").is_some_and(|id| {
                (id.len() == 8 || id.len() == 17) && id.chars().all(|c| c.is_ascii_hexdigit())
            }),
        };
        if !ok {
            d.error(
                p,
                format!(
                    "`image` is an AMI ID \"ami-0123456789abcdef0\" or a public SSM parameter such as \"ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64\", not \"{}\"",
                    crate::diag::escape(&v)
                ),
            );
        }
        s.image = v;
        s.image_pos = p;
    }
    r.set_int("volume_size", 8, 16384, &mut s.volume_size, d);
}

/// The settings of a server an environment may override.
pub const ENV_SERVER: &[&str] = &["instance_type", "volume_size", "image"];

/// An environment's `server "<name>" { ... }` overrides.
pub fn env_servers(r: &mut Reader, app: &mut App, env: &str, d: &mut Diagnostics) {
    for (name, pos, b) in r.labeled("server", d) {
        let known: Vec<String> = app.servers.iter().map(|s| s.name.clone()).collect();
        let Some(s) = app.servers.iter_mut().find(|s| s.name == name) else {
            let hint = did_you_mean(&name, known.iter().map(String::as_str))
                .map(|x| format!("did you mean \"{x}\"? "))
                .unwrap_or_default();
            d.error(
                pos,
                format!(
                    "environment \"{env}\" overrides server \"{name}\", which the app does not define (environments add no parts); {hint}known: {}",
                    if known.is_empty() { "none".to_string() } else { one_of(&known) }
                ),
            );
            continue;
        };
        let mut sr = Reader::overriding(
            b,
            format!("environment \"{env}\" server \"{name}\""),
            ENV_SERVER,
            d,
        );
        server_sizes(&mut sr, s, d);
        sr.finish(d);
    }
}

/// Servers: their names, references, ports and routes.
pub fn check_servers(app: &App, d: &mut Diagnostics) {
    for s in &app.servers {
        let ok = s.name.len() <= 32
            && s.name.starts_with(|x: char| x.is_ascii_lowercase())
            && s.name
                .chars()
                .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '-');
        if !ok {
            d.error(
                s.pos,
                format!(
                    "server name \"{}\" must match ^[a-z][a-z0-9-]*$ and have at most 32 characters",
                    crate::diag::escape(&s.name)
                ),
            );
        }
        if app.service(&s.name).is_some() {
            d.error(
                s.pos,
                format!(
                    "server \"{}\" has the name of a service; their target groups and roles would clash, so name it otherwise",
                    s.name
                ),
            );
        }
        for u in &s.uses {
            if u.kind == "server" && u.name == s.name {
                d.error(u.pos, "a server does not need to `use` itself");
                continue;
            }
            super::validate::check_ref(
                app,
                u,
                &["database", "cache", "file_system", "service", "server"],
                d,
            );
            if u.kind == "service" && app.service(&u.name).is_some_and(|t| t.port().is_none()) {
                d.error(
                    u.pos,
                    format!("service \"{}\" has no port to be reached on", u.name),
                );
            }
            if u.kind == "server" && app.server(&u.name).is_some_and(|t| t.port.is_none()) {
                d.error(
                    u.pos,
                    format!(
                        "server \"{}\" has no `port` to be reached on; give it one",
                        u.name
                    ),
                );
            }
        }
        if let Some(p) = s.port
            && p == 22
        {
            d.error(
                s.port_pos,
                "port 22 is SSH; servers are reached with Session Manager, and a route or `uses` on 22 would open SSH",
            );
        }
        for r in &s.routes {
            if s.port.is_none() {
                d.error(
                    r.pos,
                    format!(
                        "server \"{}\" has a route but no `port` to receive the traffic",
                        s.name
                    ),
                );
            }
            match app.load_balancer(&r.load_balancer) {
                None => {
                    let names: Vec<&str> =
                        app.load_balancers.iter().map(|l| l.name.as_str()).collect();
                    let hint = did_you_mean(&r.load_balancer, names.iter().copied())
                        .map(|x| format!("did you mean \"{x}\"? "))
                        .unwrap_or_default();
                    d.error(
                        r.load_balancer_pos,
                        format!(
                            "unknown load_balancer \"{}\"; {hint}known load balancers are {}",
                            r.load_balancer,
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                one_of(&names)
                            }
                        ),
                    );
                }
                Some(lb) if !lb.listeners.iter().any(|l| l.name == r.listener) => {
                    let names: Vec<&str> = lb.listeners.iter().map(|l| l.name.as_str()).collect();
                    let hint = did_you_mean(&r.listener, names.iter().copied())
                        .map(|x| format!("did you mean \"{x}\"? "))
                        .unwrap_or_default();
                    d.error(
                        r.listener_pos,
                        format!(
                            "load_balancer \"{}\" has no listener \"{}\"; {hint}its listeners are {}",
                            lb.name,
                            r.listener,
                            one_of(&names)
                        ),
                    );
                }
                _ => {}
            }
            super::validate::check_route_conditions(r, "", d);
        }
        check_egress(&s.egress, d);
    }
}

/// `access_logs { bucket prefix }` of a load balancer (an environment may name its own).
pub fn access_logs(r: &mut Reader, lb: &mut LoadBalancer, d: &mut Diagnostics) {
    let Some(b) = r.single("access_logs", d) else {
        return;
    };
    let mut ar = Reader::new(b, "access_logs", d);
    let mut logs = AccessLogs {
        pos: b.pos,
        ..AccessLogs::default()
    };
    if let Some((v, p)) = ar.required("bucket", d).and(ar.string("bucket", d)) {
        if !super::decode::valid_bucket(&v) {
            d.error(
                p,
                format!(
                    "`bucket` \"{}\" is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
                    crate::diag::escape(&v)
                ),
            );
        }
        logs.bucket = v;
    }
    if let Some((v, p)) = ar.string("prefix", d) {
        let ok = !v.starts_with('/')
            && !v.ends_with('/')
            && !v.contains("AWSLogs")
            && v.len() <= 200
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/!-_.*'()".contains(c));
        if !ok {
            d.error(
                p,
                format!(
                    "`prefix` \"{}\" is an S3 key prefix such as \"alb\": no leading or trailing \"/\", no \"AWSLogs\", letters, digits and / ! - _ . * ' ( ) only",
                    crate::diag::escape(&v)
                ),
            );
        }
        logs.prefix = Some(v);
    }
    ar.finish(d);
    lb.access_logs = Some(logs);
}

/// A DNS record to a server points to the load balancer of its route: the server needs one.
pub fn check_server_target(app: &App, r: &Ref, d: &mut Diagnostics) {
    if r.kind == "server"
        && let Some(s) = app.server(&r.name)
        && s.routes.is_empty()
    {
        d.error(
            r.pos,
            format!(
                "server \"{}\" has no route: a record to a server points to the load balancer of its route, since its instance (and address) changes when it is replaced",
                s.name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"
app "shop" {
  region = "eu-west-1"
  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }
  load_balancer "public" {
    certificate = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.web"
    }
  }
  service "web" {
    image = "nginx:1.27"
    port  = 80
    HEALTH
  }
  server "ci" {
    image        = "ami-0123456789abcdef0"
    port         = 8080
    health_check = "/login"
    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["ci.example.org"]
    }
  }
}
"#;

    fn web(health: &str) -> HealthCheck {
        let src = APP.replace("HEALTH", health);
        let bp = crate::blueprint::load_str(&src, "shop.hcl").expect("valid");
        bp.app.services[0].health_check.clone()
    }

    #[test]
    fn a_health_check_is_a_path_or_a_block_with_the_timings() {
        assert_eq!(web(""), HealthCheck::default());
        assert_eq!(
            web(r#"health_check = "/healthz""#),
            HealthCheck {
                path: "/healthz".into(),
                ..HealthCheck::default()
            }
        );
        let block = "health_check {\n path = \"/up\"\n matcher = \"200,301\"\n interval = 10\n timeout = 4\n healthy_threshold = 2\n unhealthy_threshold = 5\n }";
        assert_eq!(
            web(block),
            HealthCheck {
                path: "/up".into(),
                matcher: "200,301".into(),
                interval: 10,
                timeout: 4,
                healthy_threshold: 2,
                unhealthy_threshold: 5,
            }
        );
        // A block without a path checks "/".
        assert_eq!(web("health_check {\n interval = 60\n }").path, "/");
        let bp = crate::blueprint::load_str(&APP.replace("HEALTH", ""), "shop.hcl").unwrap();
        assert_eq!(bp.app.servers[0].health_check.path, "/login");
    }

    #[test]
    fn matchers_are_codes_a_load_balancer_checks() {
        for ok in ["200", "200,202", "200-299", "200-499", "301", "200,204,301"] {
            assert!(valid_matcher(ok), "{ok}");
        }
        for bad in [
            "",
            "2xx",
            "199",
            "500",
            "200-600",
            "299-200",
            "200-200",
            "200,",
            "0200",
            "200-",
            "-",
            "200 ,202",
            "200-299,301",
        ] {
            assert!(!valid_matcher(bad), "{bad}");
        }
    }
}
