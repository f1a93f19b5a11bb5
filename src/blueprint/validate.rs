//! The rules of the language that span more than one attribute: names, references, CIDRs and
//! AZs, listeners and certificates, Fargate sizes, endpoints a private network needs. They run
//! on the app and again on every environment's resolved copy.

use super::decode::split_image;
use super::types::*;
use crate::diag::{Diagnostics, Pos, all_of, did_you_mean, one_of};
use crate::model::cidr::Ipv4Net;

pub const APP_NAME_MAX: usize = 24;
pub const NAME_MAX: usize = 32;

/// Checks that hold for the shape of the app, reported once.
pub fn check_app(app: &App, envs: &[Environment], d: &mut Diagnostics) {
    check_name("app", &app.name, app.pos, APP_NAME_MAX, d);
    let all_names = [
        app.load_balancers
            .iter()
            .map(|x| ("load_balancer", x.name.as_str(), x.pos))
            .collect::<Vec<_>>(),
        app.services
            .iter()
            .map(|x| ("service", x.name.as_str(), x.pos))
            .collect(),
        app.databases
            .iter()
            .map(|x| ("database", x.name.as_str(), x.pos))
            .collect(),
        app.caches
            .iter()
            .map(|x| ("cache", x.name.as_str(), x.pos))
            .collect(),
        app.file_systems
            .iter()
            .map(|x| ("file_system", x.name.as_str(), x.pos))
            .collect(),
        envs.iter()
            .map(|x| ("environment", x.name.as_str(), x.pos))
            .collect(),
    ];
    for (kind, name, pos) in all_names.iter().flatten() {
        check_name(kind, name, *pos, NAME_MAX, d);
    }
    for lb in &app.load_balancers {
        for l in &lb.listeners {
            check_name("listener", &l.name, l.pos, NAME_MAX, d);
        }
    }
    for s in &app.services {
        for c in &s.containers {
            if !s.single_container {
                check_name("container", &c.name, c.pos, NAME_MAX, d);
            }
        }
    }
    for fs in &app.file_systems {
        for ap in &fs.access_points {
            check_name("access_point", &ap.name, ap.pos, NAME_MAX, d);
        }
    }
    if !app.region.is_empty() && !valid_region(&app.region) {
        d.error(
            app.region_pos,
            format!(
                "\"{}\" is not an AWS region; write one such as \"eu-central-1\" or \"us-west-2\"",
                app.region
            ),
        );
    }
    for (k, v) in &app.tags {
        if let Some(problem) = tag_problem(k, v) {
            let at = app.tag_pos.get(k).copied().unwrap_or(app.pos);
            d.error(at, problem);
        }
    }
    check_services(app, d);
    check_allows(app, d);
    super::operations::check_operations(app, d);
    super::operations::check_clusters(app, envs, d);
    super::operations::check_servers(app, d);
    check_route_clashes(app, d);
    check_data(app, d);
    check_derived(app, envs, d);
    for env in envs {
        check_environment(app, env, d);
    }
    check_immutable_tags(app, envs, d);
    check_existing_networks(app, envs, d);
    check_service_roles(app, envs, d);
}

/// An `existing` network: a CIDR, IDs and AZs that fit together, the same kind of network in
/// every environment (they share one network module).
fn check_existing_networks(app: &App, envs: &[Environment], d: &mut Diagnostics) {
    for env in envs {
        let n = &env.app.network;
        let Some(e) = &n.existing else {
            if app.network.existing.is_some() {
                // Not reachable from a blueprint (an environment inherits the app's network).
                d.error(
                    env.pos,
                    format!("environment \"{}\" has no `existing` network", env.name),
                );
            }
            continue;
        };
        if app.network.existing.is_none() {
            let creates = envs
                .iter()
                .find(|o| o.app.network.existing.is_none())
                .map_or("the app".to_string(), |o| {
                    format!("environment \"{}\"", o.name)
                });
            d.error(
                e.pos,
                format!(
                    "environment \"{}\" brings an `existing` network, but {creates} creates one; every environment shares the network module, so give each environment an `existing` block (the app's `network` block then needs no cidr or azs) or none",
                    env.name
                ),
            );
            continue;
        }
        match e.vpc_cidr.parse::<Ipv4Net>() {
            _ if e.vpc_cidr.is_empty() => {}
            Err(err) => d.error(
                e.vpc_cidr_pos,
                format!(
                    "`vpc_cidr` \"{}\" is not an IPv4 CIDR block: {err}",
                    crate::diag::escape(&e.vpc_cidr)
                ),
            ),
            Ok(net) if !net.is_canonical() => d.error(
                e.vpc_cidr_pos,
                format!(
                    "`vpc_cidr` \"{}\" has host bits set; did you mean \"{}\"?",
                    e.vpc_cidr,
                    net.canonical()
                ),
            ),
            Ok(net) if !(16..=28).contains(&net.prefix) => d.error(
                e.vpc_cidr_pos,
                format!(
                    "`vpc_cidr` \"{}\" is a /{}; a VPC's CIDR is a /16 to /28",
                    e.vpc_cidr, net.prefix
                ),
            ),
            Ok(_) => {}
        }
        if e.private_subnets.is_empty() && e.private_pos != Pos::default() {
            d.error(
                e.private_pos,
                "`private_subnets` needs a subnet in 1 to 6 availability zones",
            );
        }
        let azs: Vec<&String> = e.private_subnets.keys().collect();
        for (key, map, pos) in [
            ("public_subnets", &e.public_subnets, e.public_pos),
            ("data_subnets", &e.data_subnets, e.data_pos),
        ] {
            if key == "data_subnets" && map.is_empty() {
                continue;
            }
            let these: Vec<&String> = map.keys().collect();
            if these != azs && !azs.is_empty() {
                let missing: Vec<&str> = azs
                    .iter()
                    .filter(|a| !map.contains_key(a.as_str()))
                    .map(|a| a.as_str())
                    .collect();
                let extra: Vec<&str> = these
                    .iter()
                    .filter(|a| !e.private_subnets.contains_key(a.as_str()))
                    .map(|a| a.as_str())
                    .collect();
                let mut what = Vec::new();
                if !missing.is_empty() {
                    what.push(format!("it lacks {}", all_of(&missing)));
                }
                if !extra.is_empty() {
                    what.push(format!("it adds {}", all_of(&extra)));
                }
                d.error(
                    pos,
                    format!(
                        "`{key}` must cover the availability zones of `private_subnets` ({}): {}",
                        all_of(&azs.iter().map(|a| a.as_str()).collect::<Vec<_>>()),
                        what.join(" and ")
                    ),
                );
            }
        }
        // One subnet per AZ and tier: an ID given twice is a mistake.
        let mut seen: Vec<(&str, &str, &str)> = Vec::new();
        for (tier, map) in [
            ("public_subnets", &e.public_subnets),
            ("private_subnets", &e.private_subnets),
            ("data_subnets", &e.data_subnets),
        ] {
            for (az, id) in map {
                if let Some((t, a, _)) = seen.iter().find(|(_, _, x)| *x == id.as_str()) {
                    let at = e.subnet_pos.get(id).copied().unwrap_or(e.pos);
                    d.error(at, format!("subnet \"{id}\" is given twice ({t} \"{a}\" and {tier} \"{az}\"); each tier and AZ has a subnet of its own"));
                }
                seen.push((tier, az.as_str(), id.as_str()));
            }
        }
    }
}

/// Existing task roles: in the account the environment pins.
fn check_service_roles(_app: &App, envs: &[Environment], d: &mut Diagnostics) {
    for env in envs {
        let Some(account) = &env.account_id else {
            continue;
        };
        for s in &env.app.services {
            for (key, role) in [
                ("execution_role", &s.execution_role),
                ("task_role", &s.task_role),
            ] {
                if let Some((arn, p)) = role
                    && let Some(role_in) = super::decode::role_account(arn)
                    && role_in != account
                {
                    d.error(
                        *p,
                        format!(
                            "service \"{}\": `{key}` is a role of account {role_in}, but environment \"{}\" pins `account_id` {account}; name a role of account {account} in the environment's `service \"{}\"` block",
                            s.name, env.name, s.name
                        ),
                    );
                }
            }
        }
    }
}

/// A repository with immutable tags takes each tag once: the default `latest` would fail on
/// the second push, so every environment names the tag it deploys.
fn check_immutable_tags(app: &App, envs: &[Environment], d: &mut Diagnostics) {
    for s in &app.services {
        // `image_tag` sets every repository of the service at once: one check per service.
        if let Some(c) = s.containers.iter().find(|c| c.immutable_tags) {
            for env in envs {
                let set = env
                    .app
                    .service(&s.name)
                    .and_then(|es| es.containers.iter().find(|x| x.name == c.name))
                    .is_some_and(|x| x.image_tag_from_env);
                if set {
                    continue;
                }
                if env.pos == app.pos {
                    d.error(
                        c.immutable_tags_pos,
                        format!(
                            "service \"{}\" pushes to a repository with immutable tags, which takes the default tag `latest` only once; add `environment` blocks that set `image_tag` in `service \"{}\"`",
                            s.name, s.name
                        ),
                    );
                } else {
                    d.error(
                        env.pos,
                        format!(
                            "environment \"{}\" needs `image_tag` in `service \"{}\"`: its repository has immutable tags (`immutable_tags = true`), which take the default tag `latest` only once",
                            env.name, s.name
                        ),
                    );
                }
            }
        }
    }
}

fn name_ok(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// A valid name near `name`: lowercase, other characters as single dashes, starting with a
/// letter, at most `max` characters.
fn suggest_name(name: &str, max: usize) -> String {
    let mut s = String::new();
    for c in name.to_ascii_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if c == '-' && (s.is_empty() || s.ends_with('-')) {
            continue;
        }
        if s.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        s.push(c);
    }
    s.truncate(max);
    let s = s.trim_end_matches('-').to_string();
    if name_ok(&s) { s } else { "web".into() }
}

fn check_name(kind: &str, name: &str, pos: Pos, max: usize, d: &mut Diagnostics) {
    if !name_ok(name) {
        d.error(
            pos,
            format!(
                "{kind} name \"{}\" must start with a lowercase letter and hold only lowercase letters, digits and single dashes (e.g. \"{}\")",
                crate::diag::escape(name),
                suggest_name(name, max)
            ),
        );
    } else if name.len() > max {
        d.error(
            pos,
            format!(
                "{kind} name \"{name}\" is {} characters long; at most {max} are allowed",
                name.len()
            ),
        );
    }
}

pub(crate) fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// Valid Fargate (cpu, memory) combinations.
pub fn fargate_size_ok(cpu: u32, memory: u32) -> bool {
    match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => (1024..=4096).contains(&memory) && memory.is_multiple_of(1024),
        1024 => (2048..=8192).contains(&memory) && memory.is_multiple_of(1024),
        2048 => (4096..=16384).contains(&memory) && memory.is_multiple_of(1024),
        4096 => (8192..=30720).contains(&memory) && memory.is_multiple_of(1024),
        8192 => (16384..=61440).contains(&memory) && memory.is_multiple_of(4096),
        16384 => (32768..=122880).contains(&memory) && memory.is_multiple_of(8192),
        _ => false,
    }
}

fn fargate_memory_hint(cpu: u32) -> &'static str {
    match cpu {
        256 => "512, 1024 or 2048",
        512 => "1024 to 4096 in steps of 1024",
        1024 => "2048 to 8192 in steps of 1024",
        2048 => "4096 to 16384 in steps of 1024",
        4096 => "8192 to 30720 in steps of 1024",
        8192 => "16384 to 61440 in steps of 4096",
        16384 => "32768 to 122880 in steps of 8192",
        _ => "",
    }
}

fn known<'a, T>(items: &'a [T], name: impl Fn(&'a T) -> &'a str) -> Vec<&'a str> {
    items.iter().map(name).collect()
}

/// Checks that a reference names a part of one of the `kinds` that exists.
pub fn check_ref(app: &App, r: &Ref, kinds: &[&str], d: &mut Diagnostics) -> bool {
    if !kinds.contains(&r.kind.as_str()) {
        let want: Vec<String> = kinds.iter().map(|k| format!("{k}.<name>")).collect();
        d.error(
            r.pos,
            format!(
                "\"{}\" cannot be used here; expected {}",
                r.key(),
                one_of(&want)
            ),
        );
        return false;
    }
    let names: Vec<&str> = match r.kind.as_str() {
        "service" => known(&app.services, |x| &x.name),
        "database" => known(&app.databases, |x| &x.name),
        "cache" => known(&app.caches, |x| &x.name),
        "file_system" => known(&app.file_systems, |x| &x.name),
        "load_balancer" => known(&app.load_balancers, |x| &x.name),
        "server" => known(&app.servers, |x| &x.name),
        "bastion" => {
            return app.bastion.is_some() || {
                d.error(
                    r.pos,
                    "\"bastion\" is referenced, but the app has no `bastion` block",
                );
                false
            };
        }
        _ => Vec::new(),
    };
    if names.contains(&r.name.as_str()) {
        return true;
    }
    let refs: Vec<String> = names.iter().map(|n| format!("{}.{n}", r.kind)).collect();
    let hint = crate::diag::did_you_mean(&r.name, names.iter().copied())
        .map(|s| format!("did you mean \"{}.{s}\"? ", r.kind))
        .unwrap_or_default();
    d.error(
        r.pos,
        format!(
            "unknown reference \"{}\": {hint}known {}s are {}",
            r.key(),
            r.kind,
            if refs.is_empty() {
                "none".into()
            } else {
                one_of(&refs)
            }
        ),
    );
    false
}

fn check_services(app: &App, d: &mut Diagnostics) {
    let ec2 = app.cluster.capacity == "ec2";
    if !ec2 && app.cluster.network_mode == "bridge" {
        d.error(app.cluster.network_mode_pos, "`network_mode = \"bridge\"` needs `capacity = \"ec2\"` (Fargate tasks always use awsvpc)");
    }
    if app.cluster.min_size > app.cluster.max_size {
        d.error(
            app.cluster.pos,
            format!(
                "cluster `min_size` ({}) is greater than `max_size` ({})",
                app.cluster.min_size, app.cluster.max_size
            ),
        );
    }
    for s in &app.services {
        let ports: Vec<&Container> = s.containers.iter().filter(|c| c.port.is_some()).collect();
        if !s.containers.iter().any(|c| c.essential) {
            d.error(s.pos, format!("service \"{}\" has no essential container; at least one must be `essential = true`", s.name));
        }
        for (i, c) in s.containers.iter().enumerate() {
            if let (Some(p), Some(first)) =
                (c.port, s.containers[..i].iter().find(|o| o.port == c.port))
            {
                d.error(
                    c.pos,
                    format!(
                        "containers \"{}\" and \"{}\" of service \"{}\" both listen on port {p}",
                        first.name, c.name, s.name
                    ),
                );
            }
        }
        for r in &s.routes {
            if ports.is_empty() {
                d.error(r.pos, format!("service \"{}\" has a route but no container with a `port` to receive the traffic", s.name));
            }
            let Some(lb) = app.load_balancer(&r.load_balancer) else {
                let names = known(&app.load_balancers, |x| &x.name);
                d.error(
                    r.load_balancer_pos,
                    format!(
                        "unknown load_balancer \"{}\"; {}known load balancers are {}",
                        r.load_balancer,
                        suggest(&r.load_balancer, &names),
                        one_of(&names)
                    ),
                );
                continue;
            };
            if !lb.listeners.iter().any(|l| l.name == r.listener) {
                let names = known(&lb.listeners, |x| &x.name);
                let hint = crate::diag::did_you_mean(&r.listener, names.iter().copied())
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
            check_route_conditions(
                r,
                "; to send all of a listener's traffic to a service, set the listener's `default`",
                d,
            );
        }
        for u in &s.uses {
            check_ref(
                app,
                u,
                &["database", "cache", "file_system", "service", "server"],
                d,
            );
            if u.kind == "server" && app.server(&u.name).is_some_and(|t| t.port.is_none()) {
                d.error(
                    u.pos,
                    format!(
                        "server \"{}\" has no `port` to be reached on; give it one",
                        u.name
                    ),
                );
            } else if u.kind == "server"
                && let Some(t) = app.server(&u.name)
                && t.routes.is_empty()
            {
                let var = crate::model::names::env_var(&t.name);
                d.error(
                    u.pos,
                    format!(
                        "server \"{}\" has no stable address for service \"{}\" to reach: its instance and IP change whenever its Auto Scaling group replaces it. Give it a `route` on a load balancer, and `uses` hands SERVER_{var}_HOST and SERVER_{var}_PORT to the containers; for the security-group rule alone, write `allow {{ from = \"service.{}\"  to = \"server.{}\"  ports = \"{}\" }}`",
                        t.name,
                        s.name,
                        s.name,
                        t.name,
                        t.port.unwrap_or_default()
                    ),
                );
            }
            if u.kind == "service" && u.name == s.name {
                d.error(u.pos, "a service does not need to `use` itself");
            }
        }
        for m in &s.mounts {
            match app.file_system(&m.file_system) {
                None => {
                    let names: Vec<String> =
                        app.file_systems.iter().map(|f| f.name.clone()).collect();
                    d.error(
                        m.file_system_pos,
                        format!(
                            "unknown file_system \"{}\"; {}known file systems are {}",
                            m.file_system,
                            suggest(&m.file_system, &names),
                            one_of(&names)
                        ),
                    );
                }
                Some(fs) => {
                    if let Some(ap) = &m.access_point
                        && !fs.access_points.iter().any(|a| &a.name == ap)
                    {
                        let names: Vec<&str> =
                            fs.access_points.iter().map(|a| a.name.as_str()).collect();
                        let hint = did_you_mean(ap, names.iter().copied())
                            .map(|x| format!("did you mean \"{x}\"? "))
                            .unwrap_or_default();
                        d.error(m.access_point_pos, format!("file_system \"{}\" has no access_point \"{ap}\"; {hint}its access points are {}", fs.name, one_of(&names)));
                    }
                }
            }
        }
        for (i, m) in s.mounts.iter().enumerate() {
            if s.mounts[..i].iter().any(|o| o.path == m.path) {
                d.error(
                    m.pos,
                    format!(
                        "two mounts of service \"{}\" use the path \"{}\"",
                        s.name, m.path
                    ),
                );
            }
        }
        if let Some(a) = &s.autoscaling
            && a.requests.is_some()
            && s.routes.is_empty()
            && !is_default_target(app, &s.name)
        {
            d.error(a.pos, format!("autoscaling on `requests` needs the service to be behind a load balancer, but service \"{}\" has no route", s.name));
        }
        for c in &s.containers {
            if let Some(image) = &c.image
                && split_image(image).0.is_empty()
            {
                d.error(c.pos, format!("image \"{image}\" names no repository"));
            }
        }
    }
    for lb in &app.load_balancers {
        for l in &lb.listeners {
            if let Some(r) = &l.default
                && check_ref(app, r, &["service"], d)
                && let Some(s) = app.service(&r.name)
                && s.port().is_none()
            {
                d.error(r.pos, format!("service \"{}\" has no container with a `port`, so it cannot be a listener's default", s.name));
            }
        }
    }
}

/// The conditions of one route (a service's or a server's): hosts or paths, at most 5 in all,
/// and values an ALB rule condition takes. `hint` ends the message of a route without either.
pub(crate) fn check_route_conditions(r: &Route, hint: &str, d: &mut Diagnostics) {
    if r.hosts.is_empty() && r.paths.is_empty() {
        d.error(
            r.pos,
            format!("a route needs `hosts` or `paths` (or both){hint}"),
        );
    }
    if r.hosts.len() + r.paths.len() > 5 {
        d.error(
            r.pos,
            "a route has at most 5 hosts and paths in all (an ALB rule condition limit)",
        );
    }
    for (i, h) in r.hosts.iter().enumerate() {
        if h.is_empty() || h.chars().count() > 128 || h.contains(char::is_whitespace) {
            d.error(
                r.hosts_pos.get(i).copied().unwrap_or(r.pos),
                format!(
                    "\"{}\" is not a host name for a host-header condition (at most 128 characters, no spaces)",
                    crate::diag::escape(h)
                ),
            );
        }
    }
    for (i, p) in r.paths.iter().enumerate() {
        if !p.starts_with('/') || p.chars().count() > 128 {
            d.error(
                r.paths_pos.get(i).copied().unwrap_or(r.pos),
                format!(
                    "path pattern \"{}\" must start with \"/\" and have at most 128 characters (e.g. \"/api/*\")",
                    crate::diag::escape(p)
                ),
            );
        }
    }
}

/// The conditions of a route as the load balancer compares them: a host header matches
/// without regard to case and the values of a condition in any order; paths are compared as
/// written (they are case-sensitive).
fn route_conditions(
    r: &Route,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<&str>,
) {
    (
        r.hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        r.paths.iter().map(String::as_str).collect(),
    )
}

/// Routes of services and servers that share a listener: no two with the same conditions (the
/// one with the higher priority number would never see a request), and no two with the same
/// written `priority` (the load balancer refuses a second rule with a priority in use).
fn check_route_clashes(app: &App, d: &mut Diagnostics) {
    let routes: Vec<(String, &Route)> = app
        .services
        .iter()
        .flat_map(|s| {
            s.routes
                .iter()
                .map(move |r| (format!("service \"{}\"", s.name), r))
        })
        .chain(app.servers.iter().flat_map(|s| {
            s.routes
                .iter()
                .map(move |r| (format!("server \"{}\"", s.name), r))
        }))
        .collect();
    for (i, (owner, r)) in routes.iter().enumerate() {
        let same_listener = routes[..i]
            .iter()
            .filter(|(_, x)| x.load_balancer == r.load_balancer && x.listener == r.listener);
        let conditions = route_conditions(r);
        for (other, x) in same_listener {
            if (!r.hosts.is_empty() || !r.paths.is_empty()) && route_conditions(x) == conditions {
                let whose = if other == owner {
                    format!("another route of {owner}")
                } else {
                    format!("a route of {other}")
                };
                d.error(
                    r.pos,
                    format!(
                        "this route of {owner} has the same conditions as {whose} (line {}) on listener \"{}\" of load_balancer \"{}\": the load balancer would send every matching request to one of them only; give one of them other `hosts` or `paths`, or remove it",
                        x.pos.line, r.listener, r.load_balancer
                    ),
                );
                break;
            }
            if let (Some(p), Some(q)) = (r.priority, x.priority)
                && p == q
            {
                d.error(
                    r.pos,
                    format!(
                        "two routes on listener \"{}\" have priority {p} ({owner} here, {other} at line {}); priorities are unique per listener, so give one of them another `priority` or leave it out (it is then chosen free)",
                        r.listener, x.pos.line
                    ),
                );
                break;
            }
        }
    }
}

fn is_default_target(app: &App, service: &str) -> bool {
    app.load_balancers
        .iter()
        .flat_map(|l| &l.listeners)
        .any(|l| l.default.as_ref().is_some_and(|r| r.name == service))
}

fn check_allows(app: &App, d: &mut Diagnostics) {
    for a in &app.allows {
        let ok_from =
            a.from.kind.is_empty() || check_ref(app, &a.from, &["service", "server", "bastion"], d);
        let ok_to = a.to.kind.is_empty()
            || check_ref(
                app,
                &a.to,
                &["service", "server", "database", "cache", "file_system"],
                d,
            );
        if ok_from && ok_to && a.from.key() == a.to.key() {
            if a.to.kind != "service" {
                d.error(
                    a.to.pos,
                    "an `allow` flow to itself is for the tasks of one service (such as a Hazelcast cluster); other parts go from one to another",
                );
            } else if a.both_ways {
                d.error(
                    a.pos,
                    "`both_ways` means nothing on a flow from a service to itself; leave it out",
                );
            }
        }
        if a.both_ways
            && !matches!(a.to.kind.as_str(), "service" | "server")
            && !a.to.kind.is_empty()
        {
            d.error(a.pos, "`both_ways` applies to flows between services");
        }
    }
}

fn check_data(app: &App, d: &mut Diagnostics) {
    for db in &app.databases {
        let family_ok = match db.engine.as_str() {
            "aurora-postgresql" => db
                .version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| (11..=17).contains(&m)),
            "aurora-mysql" => db.version.starts_with("8.0") || db.version.starts_with("5.7"),
            _ => true,
        };
        if !db.version.is_empty() && !family_ok {
            let want = if db.engine == "aurora-mysql" {
                "\"8.0\" or \"8.0.mysql_aurora.3.08.0\""
            } else {
                "\"16.4\" (major 11 to 17)"
            };
            d.error(
                db.pos,
                format!(
                    "database \"{}\": \"{}\" is not a {} version; write e.g. {want}",
                    db.name, db.version, db.engine
                ),
            );
        }
    }
    for c in &app.caches {
        if c.engine != "memcached" && c.nodes > 6 {
            d.error(c.pos, format!("cache \"{}\": a {} replication group has 1 to 6 nodes (primary and up to 5 replicas)", c.name, c.engine));
        }
    }
    if let Some(dns) = &app.dns {
        for r in &dns.records {
            check_ref(app, &r.target, &["load_balancer", "server"], d);
            super::operations::check_server_target(app, &r.target, d);
            check_dns_name(&r.name, r.pos, d);
        }
        if !dns.records.is_empty() && dns.zone_id.is_none() {
            d.error(
                dns.pos,
                "`dns` has records but no `zone_id` of the public hosted zone to put them in",
            );
        }
        for r in &dns.private_records {
            check_ref(
                app,
                &r.target,
                &[
                    "database",
                    "cache",
                    "file_system",
                    "load_balancer",
                    "server",
                ],
                d,
            );
            super::operations::check_server_target(app, &r.target, d);
            check_dns_name(&r.name, r.pos, d);
        }
        if !dns.private_records.is_empty() && dns.private_zone.is_none() {
            d.error(dns.pos, "`dns` has private records but no `private_zone` (e.g. private_zone = \"app.internal\")");
        }
        if let Some(z) = &dns.private_zone {
            check_dns_name(z, dns.pos, d);
        }
    }
    if let Some(b) = &app.bastion {
        for u in &b.uses {
            check_ref(app, u, &["database", "cache", "file_system"], d);
        }
    }
}

fn check_dns_name(name: &str, pos: Pos, d: &mut Diagnostics) {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.trim_end_matches('.').split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && (l == "*" || l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        });
    if !ok {
        d.error(pos, format!("\"{name}\" is not a DNS name (labels of letters, digits and `-`, separated by dots)"));
    }
}

/// Checks of the values an environment resolves to (network, certificates, sizes).
fn check_environment(base: &App, env: &Environment, d: &mut Diagnostics) {
    let app = &env.app;
    let n = &app.network;
    let mut cidr = None;
    if !n.cidr.is_empty() {
        match n.cidr.parse::<Ipv4Net>() {
            Err(e) => d.error(
                n.cidr_pos,
                format!("`cidr` \"{}\" is not an IPv4 CIDR block: {e}", n.cidr),
            ),
            Ok(net) if !(16..=24).contains(&net.prefix) => d.error(
                n.cidr_pos,
                format!(
                    "`cidr` \"{}\" is a /{}; a VPC here takes a /16 to /24",
                    n.cidr, net.prefix
                ),
            ),
            Ok(net) if !net.is_canonical() => d.error(
                n.cidr_pos,
                format!(
                    "`cidr` \"{}\" has host bits set; did you mean \"{}\"?",
                    n.cidr,
                    net.canonical()
                ),
            ),
            Ok(net) => cidr = Some(net),
        }
    }
    if n.azs.is_empty() && n.azs_pos != Pos::default() {
        d.error(n.azs_pos, "`azs` needs 1 to 6 availability zones");
    }
    if n.azs.len() > 6 {
        d.error(
            n.azs_pos,
            format!("`azs` lists {} zones; at most 6 are supported", n.azs.len()),
        );
    }
    for (i, az) in n.azs.iter().enumerate() {
        let at = n.az_pos.get(i).copied().unwrap_or(n.azs_pos);
        let suffix = az.strip_prefix(app.region.as_str());
        if !suffix.is_some_and(|s| s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase())) {
            d.error(at, format!("availability zone \"{az}\" is not in region \"{}\"; zones there are named like \"{}a\"", app.region, app.region));
        }
        if n.azs[..i].contains(az) {
            d.error(at, format!("availability zone \"{az}\" is listed twice"));
        }
    }
    if let Some(net) = cidr
        && !n.azs.is_empty()
        && n.azs.len() <= 6
        && let Err(msg) = crate::model::subnets::SubnetPlan::new(net, &n.azs, n.data_subnets)
    {
        d.error(n.cidr_pos, msg);
    }
    let where_ = if env.name == "default" {
        String::new()
    } else {
        format!(" (environment \"{}\")", env.name)
    };
    if !app.load_balancers.is_empty() && n.azs.len() == 1 {
        d.error(n.azs_pos, format!("a load balancer needs subnets in at least two availability zones, but `azs` has one{where_}"));
    }
    if !app.databases.is_empty() && n.azs.len() == 1 {
        d.error(
            n.azs_pos,
            format!(
                "an Aurora cluster needs at least two availability zones, but `azs` has one{where_}"
            ),
        );
    }
    // Capacity may switch between fargate and fargate_spot per environment, not to or from ec2.
    if (app.cluster.capacity == "ec2") != (base.cluster.capacity == "ec2") {
        d.error(app.cluster.capacity_pos, format!("environment \"{}\" changes `capacity` between EC2 and Fargate, which changes every task definition; only fargate <-> fargate_spot may differ per environment", env.name));
    }
    for s in &app.services {
        let fargate = app.service_cluster(s).capacity != "ec2";
        if fargate && !fargate_size_ok(s.cpu, s.memory) {
            let hint = match fargate_memory_hint(s.cpu) {
                "" => "Fargate's cpu is 256, 512, 1024, 2048, 4096, 8192 or 16384".to_string(),
                m => format!("with cpu = {} memory is {m}", s.cpu),
            };
            d.error(
                s.cpu_pos,
                format!(
                    "service \"{}\": Fargate has no size cpu = {}, memory = {}{where_}; {hint}",
                    s.name, s.cpu, s.memory
                ),
            );
        }
        if let Some(a) = &s.autoscaling
            && a.min > a.max
        {
            d.error(
                a.pos,
                format!(
                    "service \"{}\": autoscaling `min` ({}) is greater than `max` ({}){where_}",
                    s.name, a.min, a.max
                ),
            );
        }
    }
    for lb in &app.load_balancers {
        let https = lb.listeners.iter().any(|l| l.protocol == "HTTPS");
        match &lb.certificate {
            None if https => {
                let at = lb.listeners.iter().find(|l| l.protocol == "HTTPS").map_or(lb.pos, |l| l.pos);
                d.error(at, format!("load_balancer \"{}\" has an HTTPS listener but no `certificate` (an ACM certificate ARN){where_}", lb.name));
            }
            Some(c) if !valid_certificate(c, &app.region) => d.error(
                lb.certificate_pos,
                format!("`certificate` \"{c}\" is not an ACM certificate ARN in {}: arn:aws:acm:{}:<account>:certificate/<id>", app.region, app.region),
            ),
            _ => {}
        }
        for (i, l) in lb.listeners.iter().enumerate() {
            if let Some(first) = lb.listeners[..i].iter().find(|o| o.port == l.port) {
                d.error(
                    l.port_pos,
                    format!(
                        "listeners \"{}\" and \"{}\" of load_balancer \"{}\" both use port {}",
                        first.name, l.name, lb.name, l.port
                    ),
                );
            }
        }
        if lb.redirect_http {
            if !https {
                d.error(lb.pos, format!("load_balancer \"{}\" sets `redirect_http` but has no HTTPS listener to redirect to", lb.name));
            }
            if let Some(l) = lb.listeners.iter().find(|l| l.port == 80) {
                d.error(l.port_pos, format!("listener \"{}\" uses port 80, which `redirect_http` needs for the redirect", l.name));
            }
        }
        if lb.listeners.is_empty() {
            d.error(
                lb.pos,
                format!("load_balancer \"{}\" has no `listener` block", lb.name),
            );
        }
        check_cidrs("ingress_cidrs", &lb.ingress_cidrs, lb.ingress_cidrs_pos, d);
    }
    if let Some(b) = &app.bastion {
        check_cidrs("ssh_cidrs", &b.ssh_cidrs, b.ssh_cidrs_pos, d);
    }
    for db in &app.databases {
        let serverless = db.instance_class == "db.serverless";
        if serverless && db.serverless.is_none() {
            d.error(db.instance_class_pos, format!("database \"{}\" uses \"db.serverless\" and needs a `serverless` block with min_capacity and max_capacity{where_}", db.name));
        }
        if !serverless && db.serverless.is_some() {
            let at = db.serverless.as_ref().map_or(db.pos, |s| s.pos);
            d.error(at, format!("database \"{}\" has a `serverless` block but instance_class \"{}\"; use instance_class = \"db.serverless\"{where_}", db.name, db.instance_class));
        }
    }
    check_private_network(app, &where_, d);
}

fn check_cidrs(key: &str, cidrs: &[String], pos: Pos, d: &mut Diagnostics) {
    let mut nets: Vec<Ipv4Net> = Vec::new();
    for c in cidrs {
        match c.parse::<Ipv4Net>() {
            Err(e) => d.error(
                pos,
                format!("`{key}`: \"{c}\" is not an IPv4 CIDR block: {e}"),
            ),
            Ok(net) if !net.is_canonical() => d.error(
                pos,
                format!(
                    "`{key}`: \"{c}\" has host bits set; did you mean \"{}\"?",
                    net.canonical()
                ),
            ),
            Ok(net) => {
                if let Some(o) = nets.iter().find(|o| o.overlaps(&net)) {
                    d.error(
                        pos,
                        format!("`{key}`: \"{c}\" overlaps \"{o}\"; list each range once"),
                    );
                }
                nets.push(net);
            }
        }
    }
}

fn valid_certificate(arn: &str, region: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "acm"
        && parts[3] == region
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5]
            .strip_prefix("certificate/")
            .is_some_and(|id| !id.is_empty())
}

/// Without NAT, tasks reach AWS only through VPC endpoints.
fn check_private_network(app: &App, where_: &str, d: &mut Diagnostics) {
    let n = &app.network;
    if n.nat != "none" || app.services.is_empty() || n.existing.is_some() {
        return;
    }
    let mut need = vec!["ecr.api", "ecr.dkr", "s3", "logs"];
    let secrets = app
        .services
        .iter()
        .flat_map(|s| &s.containers)
        .flat_map(|c| c.secrets.values());
    for s in secrets {
        need.push(if s.store == "ssm" {
            "ssm"
        } else {
            "secretsmanager"
        });
    }
    if app
        .services
        .iter()
        .any(|s| s.uses.iter().any(|u| u.kind == "database"))
    {
        need.push("secretsmanager");
    }
    if app.services.iter().any(|s| s.exec) {
        need.push("ssmmessages");
    }
    need.sort_unstable();
    need.dedup();
    let missing: Vec<&str> = need
        .into_iter()
        .filter(|e| !n.endpoints.iter().any(|x| x == e))
        .collect();
    if !missing.is_empty() {
        let at = if n.endpoints_pos == Pos::default() {
            n.pos
        } else {
            n.endpoints_pos
        };
        d.error(
            at,
            format!("with `nat = \"none\"` tasks can reach AWS only through VPC endpoints; add {} to `endpoints`{where_}", all_of(&missing)),
        );
    }
}

/// `did you mean "x"? ` when a known name is near `word`, else nothing.
fn suggest<S: AsRef<str>>(word: &str, names: &[S]) -> String {
    did_you_mean(word, names.iter().map(AsRef::as_ref))
        .map(|x| format!("did you mean \"{x}\"? "))
        .unwrap_or_default()
}

/// Whether a cache engine and version support IAM authentication.
pub fn cache_supports_iam(c: &Cache) -> bool {
    match c.engine.as_str() {
        "valkey" => true,
        "redis" => c
            .version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            .is_some_and(|m| m >= 7),
        _ => false,
    }
}

/// Rules on derived names and on combinations that AWS would refuse at apply time.
pub fn check_derived(app: &App, envs: &[Environment], d: &mut Diagnostics) {
    for c in &app.caches {
        if c.auth.as_deref() == Some("token") && c.engine == "memcached" {
            d.error(
                c.auth_pos,
                format!(
                    "cache \"{}\": `auth = \"token\"` needs Redis OSS or Valkey; memcached has no AUTH token (use `auth = \"none\"`)",
                    c.name
                ),
            );
        }
        if c.auth.as_deref() == Some("iam") && !cache_supports_iam(c) {
            d.error(
                c.pos,
                format!(
                    "cache \"{}\": `auth = \"iam\"` needs Valkey or Redis 7 or later, not {} {}; use `auth = \"none\"`",
                    c.name, c.engine, c.version
                ),
            );
        }
    }
    for s in &app.services {
        // Every environment variable a container gets: its own and those `uses` derives.
        let mut names: Vec<(String, String)> = Vec::new();
        for c in &s.containers {
            for k in c.environment.keys().chain(c.secrets.keys()) {
                names.push((k.clone(), format!("container \"{}\"", c.name)));
            }
        }
        for u in &s.uses {
            if u.kind == "service"
                && let Some(t) = app.service(&u.name)
                && t.port().is_none()
            {
                d.error(u.pos, format!("service \"{}\" has no container with a `port`, so there is nothing to `use` on it", t.name));
            }
            let prefix = format!(
                "{}_{}",
                u.kind.to_ascii_uppercase(),
                u.name.to_ascii_uppercase().replace('-', "_")
            );
            let iam_user = u.kind == "database"
                && app
                    .database(&u.name)
                    .is_some_and(|db| db.iam_user.is_some());
            let suffixes: &[&str] = match u.kind.as_str() {
                "database" if iam_user => &[
                    "HOST",
                    "READER_HOST",
                    "PORT",
                    "NAME",
                    "USERNAME",
                    "PASSWORD",
                    "SECRET_ARN",
                    "IAM_USER",
                ],
                "database" => &[
                    "HOST",
                    "READER_HOST",
                    "PORT",
                    "NAME",
                    "USERNAME",
                    "PASSWORD",
                    "SECRET_ARN",
                ],
                "cache" => &["HOST", "PORT", "TLS", "USER", "AUTH_TOKEN"],
                "file_system" => &["ID", "HOST"],
                _ => &["HOST", "PORT"],
            };
            for suffix in suffixes {
                let name = format!("{prefix}_{suffix}");
                if let Some((_, owner)) = names.iter().find(|(n, _)| *n == name) {
                    d.error(
                        u.pos,
                        format!("`uses = \"{}\"` sets the variable {name}, which {owner} of service \"{}\" also sets; rename one of them", u.key(), s.name),
                    );
                }
                names.push((name, format!("`uses = \"{}\"`", u.key())));
            }
        }
    }
    for env in envs {
        let e = &env.app;
        let where_ = if env.name == "default" {
            String::new()
        } else {
            format!(" (environment \"{}\")", env.name)
        };
        if e.cluster.capacity == "ec2"
            && e.network.nat == "none"
            && e.network.existing.is_none()
            && !e.services.is_empty()
        {
            d.error(
                e.network.pos,
                format!("EC2 container instances need NAT to reach the ECS service (there are no VPC endpoints for it here); use `nat = \"single\"` or Fargate{where_}"),
            );
        }
        if e.cluster.min_size > e.cluster.max_size && app.cluster.min_size <= app.cluster.max_size {
            d.error(
                e.cluster.pos,
                format!(
                    "cluster `min_size` ({}) is greater than `max_size` ({}){where_}",
                    e.cluster.min_size, e.cluster.max_size
                ),
            );
        }
        for c in &e.caches {
            if c.engine != "memcached"
                && c.nodes > 6
                && app.cache(&c.name).is_some_and(|b| b.nodes <= 6)
            {
                d.error(
                    c.pos,
                    format!(
                        "cache \"{}\": a {} replication group has 1 to 6 nodes{where_}",
                        c.name, c.engine
                    ),
                );
            }
        }
        for (k, v) in &e.tags {
            let own = app.tags.get(k) != Some(v) || app.tag_pos.get(k) != e.tag_pos.get(k);
            if !own {
                continue; // the app's own tag, reported once at the app
            }
            if let Some(problem) = tag_problem(k, v) {
                let at = e.tag_pos.get(k).copied().unwrap_or(env.pos);
                d.error(at, format!("{problem}{where_}"));
            }
        }
        if let Some(dns) = &e.dns {
            for r in &dns.records {
                check_dns_name(&r.name, r.pos, d);
            }
        }
    }
}

/// Why `key = value` cannot be an AWS tag, if it cannot. The tags go to every resource (as the
/// provider's default tags), IAM roles included, so they follow the rules all services share:
/// keys of 1 to 128 characters that do not start with "aws:", values of at most 256, made of
/// letters, digits, spaces and `_ . : / = + - @` (IAM, ECS and Elastic Load Balancing refuse
/// anything else when the resource is created).
fn tag_problem(key: &str, value: &str) -> Option<String> {
    const RULE: &str =
        "keys 1-128 characters, not starting with \"aws:\"; values at most 256 characters";
    let shown = crate::diag::escape(key);
    if key.is_empty() || key.chars().count() > 128 || key.to_ascii_lowercase().starts_with("aws:") {
        return Some(format!("tag \"{shown}\" is not a valid AWS tag ({RULE})"));
    }
    if value.chars().count() > 256 {
        return Some(format!(
            "tag \"{shown}\": the value is {} characters long; AWS takes at most 256",
            value.chars().count()
        ));
    }
    for (what, text) in [("key", key), ("value", value)] {
        if let Some(c) = text.chars().find(|&c| !tag_char(c)) {
            return Some(format!(
                "tag \"{shown}\": the {what} holds {}, which AWS does not take in tags; use letters, digits, spaces and _ . : / = + - @",
                describe_char(c)
            ));
        }
    }
    None
}

/// A character AWS takes in tag keys and values: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
        || matches!(
            c,
            ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        )
}

/// `c` named for a message: printable characters quoted, the others by code point.
fn describe_char(c: char) -> String {
    match c {
        '\n' => "a line break (\\n)".to_string(),
        '\r' => "a carriage return (\\r)".to_string(),
        '\t' => "a tab (\\t)".to_string(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("`{c}` (U+{:04X})", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::tag_problem;

    #[test]
    fn tags_take_what_every_aws_service_takes() {
        for (k, v) in [
            ("team", "platform"),
            ("Cost Center", "R+D = ops/infra: 50"),
            ("owner:email", "ops+infra@example.com"),
            ("stadt", "Zürich 東京 Ελληνικά"),
            ("empty", ""),
        ] {
            assert_eq!(tag_problem(k, v), None, "{k} = {v:?}");
        }
        for (k, v, named) in [
            ("team", "a\nb", "a line break"),
            ("team", "she said \"hi\"", "`\"`"),
            ("team", "${x}", "`$`"),
            ("team", "rocket 🚀", "U+1F680"),
            ("team", "a\tb", "a tab"),
            ("te#am", "x", "the key holds `#`"),
        ] {
            let problem = tag_problem(k, v).unwrap_or_default();
            assert!(problem.contains(named), "{k} = {v:?}: {problem}");
        }
        assert!(tag_problem("AWS:team", "x").is_some());
        assert!(tag_problem(&"ü".repeat(128), &"é".repeat(256)).is_none());
        assert!(
            tag_problem("k", &"é".repeat(257))
                .unwrap()
                .contains("257 characters")
        );
    }
}
