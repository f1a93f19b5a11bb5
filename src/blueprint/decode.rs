//! From the syntax tree to typed blueprint data. The same readers decode an app block and an
//! environment's overrides: an environment starts from a copy of the app and may only change
//! the settings BLUEPRINT.md lists as overridable.

use super::reader::Reader;
use super::syntax::BlockNode;
use super::types::*;
use crate::diag::{Diagnostics, Pos, one_of};

pub const NAT_MODES: &[&str] = &["none", "single", "per_az"];
pub const CAPACITIES: &[&str] = &["fargate", "fargate_spot", "ec2"];
pub const NETWORK_MODES: &[&str] = &["awsvpc", "bridge"];
pub const PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
pub const DB_ENGINES: &[&str] = &["aurora-postgresql", "aurora-mysql"];
pub const CACHE_ENGINES: &[&str] = &["redis", "valkey", "memcached"];
pub const CACHE_AUTH: &[&str] = &["iam", "token", "none"];
pub const DB_TLS: &[&str] = &["required", "optional"];
pub const THROUGHPUT_MODES: &[&str] = &["bursting", "elastic", "provisioned"];
pub const ENDPOINTS: &[&str] = &[
    "s3",
    "dynamodb",
    "ecr.api",
    "ecr.dkr",
    "logs",
    "ssm",
    "ssmmessages",
    "secretsmanager",
    "sts",
    "kms",
];
pub const REF_KINDS: &[&str] = &[
    "service",
    "database",
    "cache",
    "file_system",
    "load_balancer",
    "bastion",
    "server",
];

/// Decodes the top level: exactly one `app` block.
pub fn decode(root: &BlockNode, source: &str, d: &mut Diagnostics) -> Option<Blueprint> {
    decode_tainted(root, source, d).map(|(bp, _)| bp)
}

/// [`decode`], and the parts (`service "web"`, `environment "dev"`) in which decoding found
/// errors: an attribute it rejected is left at its default, so the rules that run afterwards
/// say nothing more about such a part.
pub fn decode_tainted(
    root: &BlockNode,
    source: &str,
    d: &mut Diagnostics,
) -> Option<(Blueprint, Vec<String>)> {
    let mut tainted = Vec::new();
    let mut top = Reader::new(root, "the blueprint", d);
    let apps = top.labeled("app", d);
    top.finish(d);
    if apps.is_empty() {
        if !root.blocks.iter().any(|b| b.ident.name == "app") {
            d.error(
                Pos { line: 1, col: 1 },
                "a blueprint holds one `app \"name\" { ... }` block, and none was found",
            );
        }
        return None;
    }
    for (_, pos, _) in apps.iter().skip(1) {
        d.error(
            *pos,
            "a blueprint holds exactly one `app` block; put other apps in their own files",
        );
    }
    let (name, pos, block) = &apps[0];
    let mut app = App {
        name: name.clone(),
        pos: *pos,
        ..App::default()
    };
    let mut r = Reader::new(block, format!("app \"{name}\""), d);
    if let Some((v, _)) = r.string("description", d) {
        app.description = Some(v);
    }
    if let Some(p) = r.required("region", d).map(|n| n.pos) {
        r.set_string("region", &mut app.region, d);
        app.region_pos = p;
    }
    if let Some(tags) = r.string_map("tags", d) {
        for (k, kpos, v, _) in tags {
            app.tag_pos.insert(k.clone(), kpos);
            app.tags.insert(k, v);
        }
    }
    r.set_bool("kms_key", &mut app.kms_key, d);
    if let Some(role) = role_arn(&mut r, d) {
        app.role_arn = Some(role);
    }
    if let Some((path, p)) = r.string("templates", d) {
        if path.is_empty() {
            d.error(
                p,
                "`templates` names a folder of *.j2 templates; it cannot be empty",
            );
        }
        app.templates = Some((path, p));
    }
    app.log_retention = super::operations::log_retention(&mut r, d);

    match r.single("network", d) {
        Some(b) => {
            let mut rr = Reader::new(b, "network", d);
            network_existing_first(&mut rr, &mut app.network, envs_bring_network(block), d);
            network(&mut rr, &mut app.network, d);
            rr.finish(d);
        }
        // Without one, every environment brings an existing network of its own.
        None if envs_bring_network(block) => {
            app.network = Network {
                pos: *pos,
                nat: "none".into(),
                ..Network::default()
            };
        }
        None => d.error(
            *pos,
            format!("app \"{name}\" is missing the required `network` block (cidr and azs)"),
        ),
    }
    app.cluster = Cluster {
        capacity: "fargate".into(),
        container_insights: true,
        instance_type: "m6i.large".into(),
        min_size: 1,
        max_size: 4,
        network_mode: "awsvpc".into(),
        ..Cluster::default()
    };
    super::operations::clusters(&mut r, &mut app, cluster, d);
    for (lb_name, lb_pos, b) in r.labeled("load_balancer", d) {
        let before = d.len();
        let mut lb = LoadBalancer {
            name: lb_name.clone(),
            pos: lb_pos,
            ingress_cidrs: vec!["0.0.0.0/0".into()],
            deletion_protection: true,
            ..LoadBalancer::default()
        };
        {
            let mut rr = Reader::new(b, format!("load_balancer \"{lb_name}\""), d);
            load_balancer(&mut rr, &mut lb, d);
            rr.finish(d);
        }
        if d.len() > before {
            tainted.push(format!("load_balancer \"{lb_name}\""));
        }
        app.load_balancers.push(lb);
    }
    for (svc_name, svc_pos, b) in r.labeled("service", d) {
        let before = d.len();
        let mut svc = Service {
            name: svc_name.clone(),
            pos: svc_pos,
            cpu: 256,
            memory: 512,
            desired_count: 1,
            ..Service::default()
        };
        {
            let mut rr = Reader::new(b, format!("service \"{svc_name}\""), d);
            service(&mut rr, &mut svc, d);
            rr.finish(d);
        }
        if d.len() > before {
            tainted.push(format!("service \"{svc_name}\""));
        }
        app.services.push(svc);
    }
    for b in r.blocks("allow", d) {
        app.allows.push(allow(&mut Reader::new(b, "allow", d), d));
    }
    for (db_name, db_pos, b) in r.labeled("database", d) {
        let before = d.len();
        let mut db = Database {
            name: db_name.clone(),
            pos: db_pos,
            instances: 2,
            database_name: "app".into(),
            backup_retention_days: 7,
            deletion_protection: true,
            ..Database::default()
        };
        {
            let mut rr = Reader::new(b, format!("database \"{db_name}\""), d);
            database(&mut rr, &mut db, d);
            rr.finish(d);
        }
        if d.len() > before {
            tainted.push(format!("database \"{db_name}\""));
        }
        app.databases.push(db);
    }
    for (c_name, c_pos, b) in r.labeled("cache", d) {
        let before = d.len();
        let mut c = Cache {
            name: c_name.clone(),
            pos: c_pos,
            nodes: 1,
            ..Cache::default()
        };
        {
            let mut rr = Reader::new(b, format!("cache \"{c_name}\""), d);
            cache(&mut rr, &mut c, d);
            rr.finish(d);
        }
        if d.len() > before {
            tainted.push(format!("cache \"{c_name}\""));
        }
        app.caches.push(c);
    }
    for (fs_name, fs_pos, b) in r.labeled("file_system", d) {
        let before = d.len();
        let mut fs = FileSystem {
            name: fs_name.clone(),
            pos: fs_pos,
            throughput_mode: "elastic".into(),
            ..FileSystem::default()
        };
        {
            let mut rr = Reader::new(b, format!("file_system \"{fs_name}\""), d);
            file_system(&mut rr, &mut fs, d);
            rr.finish(d);
        }
        if d.len() > before {
            tainted.push(format!("file_system \"{fs_name}\""));
        }
        app.file_systems.push(fs);
    }
    if let Some(b) = r.single("dns", d) {
        let mut dns = Dns {
            pos: b.pos,
            ..Dns::default()
        };
        {
            let mut rr = Reader::new(b, "dns", d);
            self::dns(&mut rr, &mut dns, d);
            rr.finish(d);
        }
        app.dns = Some(dns);
    }
    if let Some(b) = r.single("bastion", d) {
        let mut bastion = Bastion {
            pos: b.pos,
            instance_type: "t3.micro".into(),
            ..Bastion::default()
        };
        {
            let mut rr = Reader::new(b, "bastion", d);
            self::bastion(&mut rr, &mut bastion, d);
            rr.finish(d);
        }
        app.bastion = Some(bastion);
    }
    super::operations::servers(&mut r, &mut app, route, &mut tainted, d);
    if let Some(b) = r.single("state", d) {
        let mut st = State {
            pos: b.pos,
            region: app.region.clone(),
            region_pos: app.region_pos,
            ..State::default()
        };
        let mut rr = Reader::new(b, "state", d);
        rr.required("bucket", d);
        state(&mut rr, &mut st, d);
        rr.finish(d);
        app.state = Some(st);
    }
    let env_blocks = r.labeled("environment", d);
    r.finish(d);

    let mut environments = Vec::new();
    for (env_name, env_pos, b) in env_blocks {
        let before = d.len();
        let marker = format!("environment \"{env_name}\"");
        environments.push(environment(&app, env_name, env_pos, b, d));
        if d.len() > before {
            tainted.push(marker);
        }
    }
    if app.network.existing.is_none()
        && !environments.is_empty()
        && environments
            .iter()
            .all(|e| e.app.network.existing.is_some())
    {
        // Every environment brings its network: the app's shape is that of an existing one.
        app.network.existing = environments[0].app.network.existing.clone();
    }
    app.per_env =
        PerEnv {
            service_log_retention: environments.iter().any(|e| {
                e.app.services.iter().zip(&app.services).any(|(a, b)| {
                    a.ops.log_retention.map(|x| x.0) != b.ops.log_retention.map(|x| x.0)
                })
            }),
            server_image: environments.iter().any(|e| {
                e.app
                    .servers
                    .iter()
                    .zip(&app.servers)
                    .any(|(a, b)| a.image != b.image)
            }),
        };
    if environments.is_empty() {
        environments.push(Environment {
            name: "default".into(),
            pos: *pos,
            account_id: None,
            first_in_account: true,
            app: app.clone(),
        });
    }
    for i in 0..environments.len() {
        let account = &environments[i].account_id;
        environments[i].first_in_account =
            !environments[..i].iter().any(|e| &e.account_id == account);
    }
    Some((
        Blueprint {
            source: source.to_string(),
            app,
            environments,
        },
        tainted,
    ))
}

fn network(r: &mut Reader, n: &mut Network, d: &mut Diagnostics) {
    if !r.is_override() {
        let existing = n.existing.take();
        let brought = n.flow_logs;
        *n = Network {
            pos: r.pos(),
            nat: "single".into(),
            flow_logs: true,
            ..Network::default()
        };
        if existing.is_none() && !brought {
            r.required("cidr", d);
            r.required("azs", d);
        }
        n.existing = existing;
    }
    if let Some(p) = r.set_string("cidr", &mut n.cidr, d) {
        n.cidr_pos = p;
    }
    if let Some((azs, p)) = r.string_list("azs", d) {
        n.az_pos = azs.iter().map(|(_, p)| *p).collect();
        n.azs = azs.into_iter().map(|(s, _)| s).collect();
        n.azs_pos = p;
    }
    r.set_enum("nat", NAT_MODES, &mut n.nat, d);
    r.set_bool("data_subnets", &mut n.data_subnets, d);
    if let Some((items, p)) = r.string_list("endpoints", d) {
        n.endpoints.clear();
        for (e, pos) in items {
            if ENDPOINTS.contains(&e.as_str()) {
                if n.endpoints.contains(&e) {
                    d.error(pos, format!("endpoint \"{e}\" is listed twice"));
                } else {
                    n.endpoints.push(e);
                }
            } else {
                let hint = crate::diag::did_you_mean(&e, ENDPOINTS.iter().copied())
                    .map(|s| format!("did you mean \"{s}\"? "))
                    .unwrap_or_default();
                d.error(
                    pos,
                    format!(
                        "unknown endpoint \"{e}\"; {hint}endpoints are {}",
                        one_of(ENDPOINTS)
                    ),
                );
            }
        }
        n.endpoints_pos = p;
    }
    r.set_bool("flow_logs", &mut n.flow_logs, d);
    if r.is_override() {
        network_existing_override(r, n, d);
    }
    if let Some(e) = &n.existing {
        // The network's owner runs its NAT, endpoints and flow logs; the AZs are those of the
        // subnets.
        n.flow_logs = false;
        n.nat = "none".into();
        n.endpoints.clear();
        n.data_subnets = !e.data_subnets.is_empty();
        n.azs = e.private_subnets.keys().cloned().collect();
        n.az_pos = n
            .azs
            .iter()
            .map(|az| {
                e.subnet_pos
                    .get(&e.private_subnets[az])
                    .copied()
                    .unwrap_or(e.private_pos)
            })
            .collect();
        n.azs_pos = e.private_pos;
    }
}

/// Whether every environment block brings its own `network { existing { ... } }` (then the
/// app's `network` block needs no `cidr` or `azs`).
fn envs_bring_network(app: &BlockNode) -> bool {
    let envs: Vec<&BlockNode> = app
        .blocks
        .iter()
        .filter(|b| b.ident.name == "environment")
        .collect();
    !envs.is_empty()
        && envs.iter().all(|e| {
            e.blocks
                .iter()
                .filter(|b| b.ident.name == "network")
                .any(|n| n.blocks.iter().any(|x| x.ident.name == "existing"))
        })
}

/// The settings of a network the app creates, which an `existing` network cannot take.
const CREATED_NETWORK_ATTRS: &[&str] = &[
    "cidr",
    "azs",
    "nat",
    "data_subnets",
    "endpoints",
    "flow_logs",
];

/// The app's `network` block: its `existing` block, read before the rest. `brought` says
/// whether every environment brings its own existing network instead (kept in `flow_logs`
/// until [`network`] resets the block).
fn network_existing_first(r: &mut Reader, n: &mut Network, brought: bool, d: &mut Diagnostics) {
    n.existing = r
        .single("existing", d)
        .map(|b| existing_network(b, "network", d));
    n.flow_logs = brought;
    if n.existing.is_some() || brought {
        for a in &r.raw_block().attrs {
            if CREATED_NETWORK_ATTRS.contains(&a.key.name.as_str()) {
                let why = if n.existing.is_some() {
                    "the network is `existing`"
                } else {
                    "every environment brings an `existing` network"
                };
                d.error(
                    a.key.pos,
                    format!(
                        "`{}` describes a network the app creates, but {why}: its VPC, subnets, NAT, endpoints and flow logs belong to its owner; remove `{}`",
                        a.key.name, a.key.name
                    ),
                );
            }
        }
    }
}

/// An environment's `network { existing { ... } }`: a whole set of IDs for its account.
fn network_existing_override(r: &mut Reader, n: &mut Network, d: &mut Diagnostics) {
    let what = r.what().to_string();
    if let Some(b) = r.single("existing", d) {
        n.existing = Some(existing_network(b, &what, d));
    }
    if n.existing.is_none() {
        return;
    }
    for a in &r.raw_block().attrs {
        if CREATED_NETWORK_ATTRS.contains(&a.key.name.as_str()) {
            d.error(
                a.key.pos,
                format!(
                    "`{}` describes a network the app creates, but the network of {what} is `existing`; remove `{}`",
                    a.key.name, a.key.name
                ),
            );
        }
    }
}

fn existing_network(b: &BlockNode, within: &str, d: &mut Diagnostics) -> ExistingNetwork {
    let mut e = ExistingNetwork {
        pos: b.pos,
        ..ExistingNetwork::default()
    };
    let mut r = Reader::new(b, format!("{within} existing"), d);
    if let Some((v, p)) = r.required("vpc_id", d).and(r.string("vpc_id", d)) {
        if !looks_like_id(&v, "vpc-") {
            d.error(
                p,
                format!(
                    "`vpc_id` \"{}\" is not a VPC ID: \"vpc-\" and 8 or 17 hexadecimal digits, such as \"vpc-0abc1234\"",
                    crate::diag::escape(&v)
                ),
            );
        }
        e.vpc_id = v;
        e.vpc_id_pos = p;
    }
    if let Some((v, p)) = r.required("vpc_cidr", d).and(r.string("vpc_cidr", d)) {
        e.vpc_cidr = v;
        e.vpc_cidr_pos = p;
    }
    for (key, required) in [
        ("public_subnets", true),
        ("private_subnets", true),
        ("data_subnets", false),
    ] {
        let node = if required {
            r.required(key, d).and(r.string_map(key, d))
        } else {
            r.string_map(key, d)
        };
        let pos = r
            .raw_block()
            .attrs
            .iter()
            .find(|a| a.key.name == key)
            .map_or(b.pos, |a| a.value.pos);
        let mut map = std::collections::BTreeMap::new();
        for (az, _, id, idpos) in node.unwrap_or_default() {
            if !looks_like_id(&id, "subnet-") {
                d.error(
                    idpos,
                    format!(
                        "`{key}`: \"{}\" is not a subnet ID: \"subnet-\" and 8 or 17 hexadecimal digits, such as \"subnet-0abc1234\"",
                        crate::diag::escape(&id)
                    ),
                );
            }
            e.subnet_pos.entry(id.clone()).or_insert(idpos);
            map.insert(az, id);
        }
        match key {
            "public_subnets" => (e.public_subnets, e.public_pos) = (map, pos),
            "private_subnets" => (e.private_subnets, e.private_pos) = (map, pos),
            _ => (e.data_subnets, e.data_pos) = (map, pos),
        }
    }
    r.finish(d);
    e
}

/// An EC2 ID: `prefix` and 8 or 17 lowercase hexadecimal digits.
pub fn looks_like_id(v: &str, prefix: &str) -> bool {
    v.strip_prefix(prefix).is_some_and(|h| {
        (h.len() == 8 || h.len() == 17)
            && h.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn cluster(r: &mut Reader, c: &mut Cluster, d: &mut Diagnostics) {
    c.pos = r.pos();
    if let Some(p) = r.set_enum("capacity", CAPACITIES, &mut c.capacity, d) {
        c.capacity_pos = p;
    }
    r.set_bool("container_insights", &mut c.container_insights, d);
    r.set_string("instance_type", &mut c.instance_type, d);
    r.set_int("min_size", 0, 1000, &mut c.min_size, d);
    r.set_int("max_size", 1, 1000, &mut c.max_size, d);
    if let Some(p) = r.set_enum("network_mode", NETWORK_MODES, &mut c.network_mode, d) {
        c.network_mode_pos = p;
    }
}

fn load_balancer(r: &mut Reader, lb: &mut LoadBalancer, d: &mut Diagnostics) {
    r.set_bool("internal", &mut lb.internal, d);
    if let Some((cidrs, p)) = r.string_list("ingress_cidrs", d) {
        lb.ingress_cidrs = cidrs.into_iter().map(|(s, _)| s).collect();
        lb.ingress_cidrs_pos = p;
    }
    if let Some((cert, p)) = r.string("certificate", d) {
        lb.certificate = Some(cert);
        lb.certificate_pos = p;
    }
    r.set_bool("redirect_http", &mut lb.redirect_http, d);
    r.set_bool("deletion_protection", &mut lb.deletion_protection, d);
    super::operations::access_logs(r, lb, d);
    for (name, pos, b) in r.labeled("listener", d) {
        let mut l = Listener {
            name: name.clone(),
            pos,
            ..Listener::default()
        };
        let mut lr = Reader::new(b, format!("listener \"{name}\""), d);
        if let Some(p) = lr.required("port", d).map(|n| n.pos) {
            lr.set_int("port", 1, 65535, &mut l.port, d);
            l.port_pos = p;
        }
        lr.required("protocol", d);
        lr.set_enum("protocol", PROTOCOLS, &mut l.protocol, d);
        if let Some((v, p)) = lr.string("default", d) {
            l.default = parse_ref(&v, p, d);
        }
        lr.finish(d);
        lb.listeners.push(l);
    }
}

/// Attributes a container takes, on a `container` block or directly on a single-container service.
const CONTAINER_ATTRS: &[&str] = &[
    "image",
    "repository",
    "immutable_tags",
    "port",
    "command",
    "environment",
    "secrets",
    "essential",
    "read_only_root_filesystem",
];

fn service(r: &mut Reader, s: &mut Service, d: &mut Diagnostics) {
    if let Some(p) = r.set_int("cpu", 128, 16384, &mut s.cpu, d) {
        s.cpu_pos = p;
    }
    if s.cpu_pos == Pos::default() {
        s.cpu_pos = r.pos();
    }
    let memory_pos = r.set_int("memory", 128, 122880, &mut s.memory, d);
    // An environment that changes only the memory has its size reported at its own line.
    if r.is_override()
        && let Some(p) = memory_pos
        && !has_attr(r, "cpu")
    {
        s.cpu_pos = p;
    }
    r.set_int("desired_count", 0, 1000, &mut s.desired_count, d);
    super::operations::health_check(r, &mut s.health_check, d);
    if let Some((items, _)) = r.string_list("uses", d) {
        s.uses = items
            .into_iter()
            .filter_map(|(v, p)| parse_ref(&v, p, d))
            .collect();
    }
    r.set_bool("discovery", &mut s.discovery, d);
    r.set_bool("exec", &mut s.exec, d);
    service_roles(r, s, d);
    if r.is_override() {
        service_secrets_override(r, s, d);
    }

    // Single-container form: container attributes directly on the service. A service with
    // `container` blocks may still set `health_command` and `stop_timeout` for its containers
    // (service_container_defaults).
    let direct = r.is_override() || CONTAINER_ATTRS.iter().any(|k| has_attr(r, k));
    // An environment's `container` blocks override secrets only (service_secrets_override).
    let blocks = if r.is_override() {
        Vec::new()
    } else {
        r.labeled("container", d)
    };
    if !blocks.is_empty() && direct && !r.is_override() {
        d.error(blocks[0].1, format!("{} sets container attributes directly and also has `container` blocks; use one form", r.what()));
    }
    if !blocks.is_empty() {
        s.containers.clear();
        for (name, pos, b) in blocks {
            let mut c = Container {
                name: name.clone(),
                pos,
                essential: true,
                ..Container::default()
            };
            let mut cr = Reader::new(b, format!("container \"{name}\""), d);
            container(&mut cr, &mut c, d);
            cr.finish(d);
            s.containers.push(c);
        }
        super::operations::service_container_defaults(r, s, d);
    } else if !r.is_override() {
        s.single_container = true;
        let mut c = Container {
            name: s.name.clone(),
            pos: s.pos,
            essential: true,
            ..Container::default()
        };
        container(r, &mut c, d);
        s.containers = vec![c];
    }
    if r.is_override() {
        // An environment may change the image tag of the service's own images: its ECR
        // repositories, or else the container that receives traffic (sidecars keep theirs).
        if let Some((tag, p)) = r.string("image_tag", d) {
            check_tag(&tag, p, d);
            let own: Vec<String> = if s.containers.iter().any(|c| c.repository) {
                s.containers
                    .iter()
                    .filter(|c| c.repository)
                    .map(|c| c.name.clone())
                    .collect()
            } else {
                let primary = s
                    .containers
                    .iter()
                    .find(|c| c.port.is_some())
                    .or(s.containers.first());
                primary.map(|c| c.name.clone()).into_iter().collect()
            };
            for c in s.containers.iter_mut().filter(|c| own.contains(&c.name)) {
                c.image_tag = tag.clone();
                c.image_tag_from_env = true;
                if let Some(image) = &c.image {
                    c.image = Some(format!("{}:{tag}", split_image(image).0));
                }
            }
        }
    }

    for b in r.blocks("route", d) {
        s.routes.push(route(b, d));
    }
    for b in r.blocks("mount", d) {
        let mut mr = Reader::new(b, "mount", d);
        let mut m = Mount {
            pos: b.pos,
            ..Mount::default()
        };
        if let Some((v, p)) = mr
            .required("file_system", d)
            .and(mr.string("file_system", d))
        {
            m.file_system = v.strip_prefix("file_system.").unwrap_or(&v).to_string();
            m.file_system_pos = p;
        }
        if let Some((v, p)) = mr.string("access_point", d) {
            m.access_point = Some(v);
            m.access_point_pos = p;
        }
        if let Some((v, p)) = mr.required("path", d).and(mr.string("path", d)) {
            if !v.starts_with('/') {
                d.error(p, format!("a mount `path` must be an absolute container path such as \"/data\", not \"{v}\""));
            }
            m.path = v;
        }
        mr.set_bool("read_only", &mut m.read_only, d);
        mr.finish(d);
        s.mounts.push(m);
    }
    if let Some(b) = r.single("autoscaling", d).filter(|b| {
        let adds = r.is_override() && s.autoscaling.is_none();
        if adds {
            d.error(
                b.pos,
                format!(
                    "service \"{}\" has no autoscaling, so an environment cannot add it (that would change the shape every environment shares); give the service an `autoscaling` block and override its values here",
                    s.name
                ),
            );
        }
        !adds
    }) {
        let mut a = s.autoscaling.clone().unwrap_or(Autoscaling {
            pos: b.pos,
            min: 1,
            max: 1,
            ..Autoscaling::default()
        });
        let mut ar = if r.is_override() {
            Reader::overriding(
                b,
                "autoscaling",
                &["min", "max", "cpu", "memory", "requests"],
                d,
            )
        } else {
            Reader::new(b, "autoscaling", d)
        };
        if !r.is_override() {
            ar.required("min", d);
            ar.required("max", d);
        }
        ar.set_int("min", 0, 1000, &mut a.min, d);
        ar.set_int("max", 1, 1000, &mut a.max, d);
        a.cpu = ar.opt_int("cpu", 1, 100, d).map(|v| v as u32).or(a.cpu);
        a.memory = ar
            .opt_int("memory", 1, 100, d)
            .map(|v| v as u32)
            .or(a.memory);
        a.requests = ar
            .opt_int("requests", 1, 1_000_000, d)
            .map(|v| v as u32)
            .or(a.requests);
        if a.min > a.max {
            d.error(
                b.pos,
                format!(
                    "autoscaling `min` ({}) is greater than `max` ({})",
                    a.min, a.max
                ),
            );
        }
        if a.cpu.is_none() && a.memory.is_none() && a.requests.is_none() {
            d.error(
                b.pos,
                "autoscaling needs at least one target: `cpu`, `memory` or `requests`",
            );
        }
        ar.finish(d);
        s.autoscaling = Some(a);
    }
    super::operations::service_ops(r, s, d);
}

/// A `route { load_balancer listener hosts paths priority }` block of a service or server.
pub fn route(b: &BlockNode, d: &mut Diagnostics) -> Route {
    let mut rr = Reader::new(b, "route", d);
    let mut route = Route {
        pos: b.pos,
        ..Route::default()
    };
    if let Some((v, p)) = rr
        .required("load_balancer", d)
        .and(rr.string("load_balancer", d))
    {
        route.load_balancer = v.strip_prefix("load_balancer.").unwrap_or(&v).to_string();
        route.load_balancer_pos = p;
    }
    if let Some((v, p)) = rr.required("listener", d).and(rr.string("listener", d)) {
        route.listener = v;
        route.listener_pos = p;
    }
    if let Some((v, _)) = rr.string_list("hosts", d) {
        route.hosts_pos = v.iter().map(|x| x.1).collect();
        route.hosts = v.into_iter().map(|x| x.0).collect();
    }
    if let Some((v, _)) = rr.string_list("paths", d) {
        route.paths_pos = v.iter().map(|x| x.1).collect();
        route.paths = v.into_iter().map(|x| x.0).collect();
    }
    route.priority = rr.opt_int("priority", 1, 50000, d).map(|v| v as u32);
    rr.finish(d);
    route
}

/// `execution_role` and `task_role`: existing IAM roles the service's tasks use instead of
/// roles of their own. An environment may change the ARN (its account has its own roles), not
/// add or drop one.
fn service_roles(r: &mut Reader, s: &mut Service, d: &mut Diagnostics) {
    for key in ["execution_role", "task_role"] {
        let Some((v, p)) = r.string(key, d) else {
            continue;
        };
        if role_account(&v).is_none() {
            d.error(
                p,
                format!(
                    "`{key}` \"{}\" is not an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>",
                    crate::diag::escape(&v)
                ),
            );
        }
        let slot = if key == "task_role" {
            &mut s.task_role
        } else {
            &mut s.execution_role
        };
        if r.is_override() && slot.is_none() {
            d.error(
                p,
                format!(
                    "service \"{}\" creates its own {}, so an environment cannot name one (that would change the shape every environment shares); set `{key}` on the service and override its ARN here",
                    s.name,
                    key.replace('_', " ")
                ),
            );
            continue;
        }
        *slot = Some((v, p));
    }
}

/// An environment's `secrets` for a service: `secrets = { ... }` on a single-container service,
/// `container "x" { secrets = { ... } }` otherwise. Each key replaces the app's reference of
/// that name, or adds one.
fn service_secrets_override(r: &mut Reader, s: &mut Service, d: &mut Diagnostics) {
    let apply = |r: &mut Reader, c: &mut Container, d: &mut Diagnostics| {
        if let Some(secrets) = r.string_map("secrets", d) {
            for (k, kpos, v, vpos) in secrets {
                check_env_name(&k, kpos, d);
                if let Some(secret) = parse_secret(&v, vpos, d) {
                    c.secrets.insert(k, secret);
                }
            }
        }
    };
    if s.single_container {
        if let Some(c) = s.containers.first_mut() {
            apply(r, c, d);
        }
        return;
    }
    if let Some(n) = r.attr("secrets", d) {
        d.error(
            n.pos,
            format!(
                "service \"{}\" has several containers: override secrets per container, `container \"{}\" {{ secrets = {{ ... }} }}`",
                s.name,
                s.containers.first().map_or("name", |c| c.name.as_str())
            ),
        );
    }
    for (name, pos, b) in r.labeled("container", d) {
        let known: Vec<String> = s.containers.iter().map(|c| c.name.clone()).collect();
        let hint = crate::diag::did_you_mean(&name, known.iter().map(String::as_str))
            .map(|x| format!("did you mean \"{x}\"? "))
            .unwrap_or_default();
        let what = format!("{} container \"{name}\"", r.what());
        let Some(c) = s.containers.iter_mut().find(|c| c.name == name) else {
            d.error(
                pos,
                format!(
                    "service \"{}\" has no container \"{name}\"; {hint}its containers are {}",
                    s.name,
                    one_of(&known)
                ),
            );
            continue;
        };
        let mut cr = Reader::overriding(b, what, &["secrets"], d);
        apply(&mut cr, c, d);
        cr.finish(d);
    }
}

fn has_attr(r: &Reader, key: &str) -> bool {
    r.raw_block().attrs.iter().any(|a| a.key.name == key)
}

fn container(r: &mut Reader, c: &mut Container, d: &mut Diagnostics) {
    if let Some((image, p)) = r.string("image", d) {
        let (_, tag) = split_image(&image);
        if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
            d.error(
                p,
                format!(
                    "`image` must be an image reference such as \"nginx:1.27\", not \"{}\"",
                    image.escape_debug()
                ),
            );
        }
        c.image_tag = tag.unwrap_or("latest").to_string();
        c.image = Some(image);
    }
    r.set_bool("repository", &mut c.repository, d);
    if c.repository {
        if c.image.is_some() {
            d.error(
                c.pos,
                format!(
                    "{} sets both `image` and `repository = true`; use one",
                    r.what()
                ),
            );
        }
        c.image_tag = "latest".into();
    }
    if let Some(n) = r.attr("immutable_tags", d) {
        c.immutable_tags_pos = n.pos;
    }
    r.set_bool("immutable_tags", &mut c.immutable_tags, d);
    if c.immutable_tags && !c.repository {
        d.error(
            c.immutable_tags_pos,
            format!(
                "{} sets `immutable_tags`, which applies to the ECR repository of `repository = true`; an `image` is not pushed here",
                r.what()
            ),
        );
    }
    if let Some(p) = r.opt_int("port", 1, 65535, d) {
        c.port = Some(p as u16);
    }
    if let Some((cmd, _)) = r.string_list("command", d) {
        c.command = Some(cmd.into_iter().map(|x| x.0).collect());
    }
    if let Some(env) = r.string_map("environment", d) {
        for (k, pos, _, _) in &env {
            check_env_name(k, *pos, d);
        }
        c.environment = env.into_iter().map(|(k, _, v, _)| (k, v)).collect();
    }
    if let Some(secrets) = r.string_map("secrets", d) {
        for (k, kpos, v, vpos) in secrets {
            check_env_name(&k, kpos, d);
            if let Some(s) = parse_secret(&v, vpos, d) {
                c.secrets.insert(k, s);
            }
        }
    }
    r.set_bool("essential", &mut c.essential, d);
    r.set_bool(
        "read_only_root_filesystem",
        &mut c.read_only_root_filesystem,
        d,
    );
    super::operations::container_ops(r, c, d);
    if !r.is_override() && c.image.is_none() && !c.repository {
        d.error(
            c.pos,
            format!(
                "{} needs an image: `image = \"nginx:1.27\"` or `repository = true`",
                r.what()
            ),
        );
    }
}

/// An engine version: digits, then dot-separated parts of letters, digits, `_` and `-`
/// ("16.4", "8.0.mysql_aurora.3.08.0", "7.1").
fn check_version(v: &str, pos: Pos, d: &mut Diagnostics) {
    let ok = v.len() <= 64
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    if !ok {
        d.error(
            pos,
            format!(
                "\"{}\" is not an engine version: write digits and dot-separated parts of letters, digits, `_` and `-`, such as \"16.4\" or \"8.0.mysql_aurora.3.08.0\"",
                crate::diag::escape(v)
            ),
        );
    }
}

fn check_env_name(k: &str, pos: Pos, d: &mut Diagnostics) {
    let ok = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        d.error(pos, format!("\"{}\" is not a valid environment variable name: use letters, digits and `_`, not starting with a digit", k.escape_debug()));
    }
}

fn check_tag(tag: &str, pos: Pos, d: &mut Diagnostics) {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !ok {
        d.error(
            pos,
            format!(
                "\"{}\" is not a valid image tag: letters, digits, `_`, `.` and `-`, at most 128",
                tag.escape_debug()
            ),
        );
    }
}

/// Splits `repo:tag` (a `:` after the last `/`) into the repository and the tag.
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split('@').next().unwrap_or(image);
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], Some(&image[slash + i + 1..])),
        None => (image, None),
    }
}

fn parse_secret(v: &str, pos: Pos, d: &mut Diagnostics) -> Option<Secret> {
    let (store, name) = match v.split_once(':') {
        Some(("ssm", n)) => ("ssm", n),
        Some(("secretsmanager", n)) => ("secretsmanager", n),
        _ => {
            d.error(
                pos,
                "a secret must be a reference, \"ssm:/path/to/parameter\" or \"secretsmanager:<name-or-arn>\"; secret values never appear in a blueprint",
            );
            return None;
        }
    };
    let valid = !name.is_empty() && !name.chars().any(char::is_whitespace);
    if !valid {
        d.error(
            pos,
            format!(
                "the {store} reference \"{}\" names no parameter or secret",
                v.escape_debug()
            ),
        );
        return None;
    }
    if store == "ssm" && !name.starts_with('/') && !name.starts_with("arn:") {
        d.error(pos, format!("an SSM parameter reference is a path such as \"ssm:/{}/name\"; write \"ssm:/{name}\"", "app"));
        return None;
    }
    Some(Secret {
        store: store.into(),
        name: name.into(),
    })
}

fn allow(r: &mut Reader, d: &mut Diagnostics) -> Allow {
    let mut a = Allow {
        pos: r.pos(),
        ..Allow::default()
    };
    if let Some((v, p)) = r.required("from", d).and(r.string("from", d)) {
        a.from = parse_ref(&v, p, d).unwrap_or_default();
    }
    if let Some((v, p)) = r.required("to", d).and(r.string("to", d)) {
        a.to = parse_ref(&v, p, d).unwrap_or_default();
    }
    if r.required("ports", d).is_some() {
        let node = r.attr("ports", d).expect("present");
        let text = match &node.value {
            super::syntax::Value::Number(n) => Some(super::syntax::format_number(*n)),
            super::syntax::Value::String(s) => Some(s.clone()),
            _ => None,
        };
        match text.as_deref().and_then(parse_ports) {
            Some((from, to)) => {
                a.from_port = from;
                a.to_port = to;
            }
            None => d.error(
                node.pos,
                format!(
                    "`ports` must be a port \"5432\" or a range \"5699-5702\" (1-65535, low to high), not {}",
                    super::reader::describe(&node.value)
                ),
            ),
        }
    }
    r.set_bool("both_ways", &mut a.both_ways, d);
    r.finish(d);
    a
}

pub fn parse_ports(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: u16 = a.trim().parse().ok()?;
    let b: u16 = b.trim().parse().ok()?;
    (a >= 1 && a <= b).then_some((a, b))
}

fn database(r: &mut Reader, db: &mut Database, d: &mut Diagnostics) {
    if !r.is_override() {
        r.required("engine", d);
        r.required("version", d);
    }
    r.set_enum("engine", DB_ENGINES, &mut db.engine, d);
    if let Some(p) = r.set_string("version", &mut db.version, d) {
        check_version(&db.version, p, d);
    }
    r.set_int("instances", 1, 16, &mut db.instances, d);
    if db.instance_class.is_empty() {
        db.instance_class = "db.serverless".into();
        db.instance_class_pos = db.pos;
    }
    if let Some(p) = r.set_string("instance_class", &mut db.instance_class, d) {
        db.instance_class_pos = p;
        if !db.instance_class.starts_with("db.") {
            d.error(p, format!("`instance_class` is an Aurora class such as \"db.r6g.large\" or \"db.serverless\", not \"{}\"", db.instance_class));
        }
    }
    let has_serverless_block = r
        .raw_block()
        .blocks
        .iter()
        .any(|b| b.ident.name == "serverless");
    if r.is_override() && db.instance_class != "db.serverless" && !has_serverless_block {
        // An environment that picks a provisioned class leaves Serverless v2.
        db.serverless = None;
    }
    if !r.is_override()
        && db.instance_class == "db.serverless"
        && !has_serverless_block
        && !has_attr(r, "instance_class")
    {
        // The default class comes with the default capacity.
        db.serverless = Some(Serverless {
            pos: db.pos,
            min_capacity: 0.5,
            max_capacity: 4.0,
        });
    }
    if let Some(b) = r.single("serverless", d) {
        let mut s = db.serverless.clone().unwrap_or(Serverless {
            pos: b.pos,
            min_capacity: 0.5,
            max_capacity: 4.0,
        });
        let mut sr = Reader::new(b, "serverless", d);
        for (key, target) in [
            ("min_capacity", &mut s.min_capacity),
            ("max_capacity", &mut s.max_capacity),
        ] {
            if let Some((v, p)) = sr.number(key, d) {
                if !(0.0..=256.0).contains(&v) || (v * 2.0).fract() != 0.0 {
                    d.error(
                        p,
                        format!("`{key}` must be 0 to 256 ACUs in steps of 0.5, not {v}"),
                    );
                }
                *target = v;
            }
        }
        if s.min_capacity > s.max_capacity {
            d.error(
                b.pos,
                "serverless `min_capacity` is greater than `max_capacity`",
            );
        }
        sr.finish(d);
        db.serverless = Some(s);
    }
    if let Some((name, p)) = r.string("database_name", d) {
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.len() <= 63
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            d.error(p, format!("`database_name` must start with a letter and hold only letters, digits and `_` (at most 63), not \"{name}\""));
        }
        db.database_name = name;
    }
    r.set_int(
        "backup_retention_days",
        1,
        35,
        &mut db.backup_retention_days,
        d,
    );
    r.set_bool("deletion_protection", &mut db.deletion_protection, d);
    if db.tls.is_empty() {
        db.tls = "required".into();
    }
    r.set_enum("tls", DB_TLS, &mut db.tls, d);
    if let Some((user, p)) = r.string("iam_user", d) {
        // PostgreSQL and MySQL both take this form; MySQL user names have at most 32 characters.
        let master = if db.engine == "aurora-mysql" {
            "admin"
        } else {
            "postgres"
        };
        let ok = user.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && user.len() <= 32
            && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            d.error(p, format!("`iam_user` is a database user name: it starts with a letter and holds only letters, digits and `_` (at most 32), not \"{user}\""));
        } else if user == master {
            d.error(p, format!("`iam_user` must not be the master user \"{master}\", whose password is managed in Secrets Manager; name a user of its own"));
        }
        db.iam_user = Some(user);
    }
}

fn cache(r: &mut Reader, c: &mut Cache, d: &mut Diagnostics) {
    if !r.is_override() {
        r.required("engine", d);
        r.required("version", d);
        r.required("node_type", d);
    }
    r.set_enum("engine", CACHE_ENGINES, &mut c.engine, d);
    if let Some(p) = r.set_string("version", &mut c.version, d) {
        check_version(&c.version, p, d);
    }
    if let Some(p) = r.set_string("node_type", &mut c.node_type, d)
        && !c.node_type.starts_with("cache.")
    {
        d.error(
            p,
            format!(
                "`node_type` is an ElastiCache node type such as \"cache.t4g.small\", not \"{}\"",
                c.node_type
            ),
        );
    }
    r.set_int("nodes", 1, 40, &mut c.nodes, d);
    let mut auth = String::new();
    if let Some(p) = r.set_enum("auth", CACHE_AUTH, &mut auth, d)
        && !auth.is_empty()
    {
        c.auth = Some(auth);
        c.auth_pos = p;
    }
}

fn file_system(r: &mut Reader, fs: &mut FileSystem, d: &mut Diagnostics) {
    r.set_enum(
        "throughput_mode",
        THROUGHPUT_MODES,
        &mut fs.throughput_mode,
        d,
    );
    fs.provisioned_mibps = r
        .opt_int("provisioned_mibps", 1, 10240, d)
        .map(|v| v as u32);
    if fs.throughput_mode != "provisioned" && fs.provisioned_mibps.is_some() {
        d.error(
            fs.pos,
            "`provisioned_mibps` applies only with `throughput_mode = \"provisioned\"`",
        );
    }
    if fs.throughput_mode == "provisioned" && fs.provisioned_mibps.is_none() {
        d.error(
            fs.pos,
            "`throughput_mode = \"provisioned\"` needs `provisioned_mibps`",
        );
    }
    for (name, pos, b) in r.labeled("access_point", d) {
        let mut ap = AccessPoint {
            name: name.clone(),
            pos,
            uid: 1000,
            gid: 1000,
            permissions: "0755".into(),
            ..AccessPoint::default()
        };
        let mut ar = Reader::new(b, format!("access_point \"{name}\""), d);
        if let Some((v, p)) = ar.required("path", d).and(ar.string("path", d)) {
            if !v.starts_with('/') {
                d.error(
                    p,
                    format!("an access point `path` is absolute, such as \"/{v}\""),
                );
            }
            ap.path = v;
        }
        ar.set_int("uid", 0, 4_294_967_295, &mut ap.uid, d);
        ar.set_int("gid", 0, 4_294_967_295, &mut ap.gid, d);
        if let Some((v, p)) = ar.string("permissions", d) {
            let ok = (3..=4).contains(&v.len()) && v.chars().all(|c| ('0'..='7').contains(&c));
            if !ok {
                d.error(
                    p,
                    format!("`permissions` is an octal mode such as \"0755\", not \"{v}\""),
                );
            }
            ap.permissions = v;
        }
        ar.finish(d);
        fs.access_points.push(ap);
    }
}

fn dns(r: &mut Reader, dns: &mut Dns, d: &mut Diagnostics) {
    if let Some((v, _)) = r.string("zone_id", d) {
        dns.zone_id = Some(v);
    }
    if !r.is_override()
        && let Some((v, _)) = r.string("private_zone", d)
    {
        dns.private_zone = Some(v);
    }
    for (name, pos, b) in r.labeled("record", d) {
        if r.is_override() {
            let Some(rec) = dns.records.iter_mut().find(|x| x.key == name) else {
                let known: Vec<&str> = dns.records.iter().map(|x| x.key.as_str()).collect();
                d.error(
                    pos,
                    format!(
                        "the app has no dns record \"{name}\" to override; known records: {}",
                        one_of(&known)
                    ),
                );
                continue;
            };
            let mut rr = Reader::overriding(b, format!("record \"{name}\""), &["name"], d);
            rr.set_string("name", &mut rec.name, d);
            rr.finish(d);
            continue;
        }
        let mut rr = Reader::new(b, format!("record \"{name}\""), d);
        let mut rec = DnsRecord {
            key: name.clone(),
            name: name.clone(),
            pos,
            ..DnsRecord::default()
        };
        if let Some((v, p)) = rr.required("target", d).and(rr.string("target", d)) {
            rec.target = parse_ref(&v, p, d).unwrap_or_default();
        }
        rr.finish(d);
        dns.records.push(rec);
    }
    if !r.is_override() {
        for (name, pos, b) in r.labeled("private_record", d) {
            let mut rr = Reader::new(b, format!("private_record \"{name}\""), d);
            let mut rec = DnsRecord {
                key: name.clone(),
                name: name.clone(),
                pos,
                ..DnsRecord::default()
            };
            if let Some((v, p)) = rr.required("target", d).and(rr.string("target", d)) {
                rec.target = parse_ref(&v, p, d).unwrap_or_default();
            }
            rr.finish(d);
            dns.private_records.push(rec);
        }
    }
}

fn bastion(r: &mut Reader, b: &mut Bastion, d: &mut Diagnostics) {
    r.set_string("instance_type", &mut b.instance_type, d);
    if let Some((cidrs, p)) = r.string_list("ssh_cidrs", d) {
        b.ssh_cidrs = cidrs.into_iter().map(|x| x.0).collect();
        b.ssh_cidrs_pos = p;
    }
    if !r.is_override()
        && let Some((items, _)) = r.string_list("uses", d)
    {
        b.uses = items
            .into_iter()
            .filter_map(|(v, p)| parse_ref(&v, p, d))
            .collect();
    }
}

/// Parses `"<kind>.<name>"` (or `"bastion"`); the target's existence is checked later.
pub fn parse_ref(v: &str, pos: Pos, d: &mut Diagnostics) -> Option<Ref> {
    if v == "bastion" {
        return Some(Ref {
            kind: "bastion".into(),
            name: String::new(),
            pos,
        });
    }
    match v.split_once('.') {
        Some((kind, name)) if REF_KINDS.contains(&kind) && !name.is_empty() => Some(Ref {
            kind: kind.into(),
            name: name.into(),
            pos,
        }),
        _ => {
            let kinds: Vec<String> = REF_KINDS
                .iter()
                .map(|k| {
                    if *k == "bastion" {
                        k.to_string()
                    } else {
                        format!("{k}.<name>")
                    }
                })
                .collect();
            d.error(
                pos,
                format!(
                    "\"{v}\" is not a reference; write one of {}",
                    one_of(&kinds)
                ),
            );
            None
        }
    }
}

/// `state { bucket region }` of the app or of an environment (which changes only what it sets).
fn state(r: &mut Reader, st: &mut State, d: &mut Diagnostics) {
    if let Some((v, p)) = r.string("bucket", d) {
        if !valid_bucket(&v) {
            d.error(
                p,
                format!(
                    "`bucket` \"{v}\" is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
                ),
            );
        }
        st.bucket = v;
        st.bucket_pos = p;
    }
    if let Some((v, p)) = r.string("region", d) {
        if !super::validate::valid_region(&v) {
            d.error(
                p,
                format!(
                    "\"{v}\" is not an AWS region; write the region of the state bucket, such as \"us-east-1\""
                ),
            );
        }
        st.region = v;
        st.region_pos = p;
    }
}

/// An S3 bucket name as AWS accepts it for a new bucket.
pub fn valid_bucket(b: &str) -> bool {
    let bytes = b.as_bytes();
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[b.len() - 1].is_ascii_alphanumeric()
        && !b.contains("..")
        && !b.contains(".-")
        && !b.contains("-.")
        && b.parse::<std::net::Ipv4Addr>().is_err()
        && !b.starts_with("xn--")
        && !b.ends_with("-s3alias")
}

/// `role_arn`, checked: `arn:aws:iam::<account>:role/<path><name>`.
fn role_arn(r: &mut Reader, d: &mut Diagnostics) -> Option<(String, Pos)> {
    let (v, p) = r.string("role_arn", d)?;
    if role_account(&v).is_none() {
        d.error(
            p,
            format!(
                "`role_arn` \"{v}\" is not an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
            ),
        );
    }
    Some((v, p))
}

/// The account of an IAM role ARN; `None` when `arn` is not one.
pub fn role_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = parts[..] else {
        return None;
    };
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next().unwrap_or_default();
    let ok = scheme == "arn"
        && matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 64
        && path.len() <= 512
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    ok.then_some(account)
}

/// The settings an environment may override, per block (BLUEPRINT.md, "Environments").
const ENV_APP: &[&str] = &[
    "account_id",
    "role_arn",
    "state",
    "tags",
    "network",
    "cluster",
    "load_balancer",
    "service",
    "database",
    "cache",
    "dns",
    "bastion",
    "server",
    "log_retention",
];
const ENV_NETWORK: &[&str] = &["cidr", "azs", "nat", "flow_logs", "endpoints", "existing"];
const ENV_CLUSTER: &[&str] = &["instance_type", "min_size", "max_size", "capacity"];
const ENV_LB: &[&str] = &[
    "certificate",
    "ingress_cidrs",
    "deletion_protection",
    "access_logs",
];
const ENV_SERVICE: &[&str] = &[
    "desired_count",
    "cpu",
    "memory",
    "image_tag",
    "autoscaling",
    "secrets",
    "container",
    "execution_role",
    "task_role",
    "log_retention",
];
const ENV_DATABASE: &[&str] = &[
    "instances",
    "instance_class",
    "serverless",
    "backup_retention_days",
    "deletion_protection",
];
const ENV_CACHE: &[&str] = &["node_type", "nodes"];
const ENV_DNS: &[&str] = &["zone_id", "record"];
const ENV_BASTION: &[&str] = &["instance_type", "ssh_cidrs"];

fn environment(
    base: &App,
    name: String,
    pos: Pos,
    b: &BlockNode,
    d: &mut Diagnostics,
) -> Environment {
    let mut app = base.clone();
    let mut env = Environment {
        name: name.clone(),
        pos,
        account_id: None,
        first_in_account: true,
        app: App::default(),
    };
    let mut r = Reader::overriding(b, format!("environment \"{name}\""), ENV_APP, d);
    if let Some((v, p)) = r.string("account_id", d) {
        if v.len() != 12 || !v.chars().all(|c| c.is_ascii_digit()) {
            d.error(
                p,
                format!("`account_id` is a 12-digit AWS account id, not \"{v}\""),
            );
        }
        env.account_id = Some(v);
    }
    if let Some(role) = role_arn(&mut r, d) {
        app.role_arn = Some(role);
    }
    if let Some(sb) = r.single("state", d) {
        let mut rr = Reader::new(sb, format!("environment \"{name}\" state"), d);
        let mut st = match &app.state {
            Some(st) => st.clone(),
            None => {
                // No app-level state: this block says it all (the region defaults to the app's).
                rr.required("bucket", d);
                State {
                    region: app.region.clone(),
                    region_pos: app.region_pos,
                    ..State::default()
                }
            }
        };
        st.pos = sb.pos;
        state(&mut rr, &mut st, d);
        rr.finish(d);
        app.state = Some(st);
    }
    if let (Some(account), Some((arn, p))) = (&env.account_id, &app.role_arn)
        && let Some(role_in) = role_account(arn)
        && role_in != account
    {
        d.error(
            *p,
            format!(
                "`role_arn` is a role of account {role_in}, but environment \"{name}\" pins `account_id` {account}: the provider would refuse the account it lands in; use a role of account {account}"
            ),
        );
    }
    if let Some(tags) = r.string_map("tags", d) {
        for (k, kpos, v, _) in tags {
            app.tag_pos.insert(k.clone(), kpos);
            app.tags.insert(k, v);
        }
    }
    if let Some(v) = super::operations::log_retention(&mut r, d) {
        app.log_retention = Some(v);
    }
    if let Some(nb) = r.single("network", d) {
        let mut nr = Reader::overriding(
            nb,
            format!("environment \"{name}\" network"),
            ENV_NETWORK,
            d,
        );
        network(&mut nr, &mut app.network, d);
        nr.finish(d);
    }
    super::operations::env_clusters(&mut r, &mut app, &name, ENV_CLUSTER, cluster, d);
    macro_rules! overrides {
        ($ident:literal, $list:expr, $allowed:expr, $f:expr) => {
            for (part, ppos, pb) in r.labeled($ident, d) {
                let known: Vec<String> = $list.iter().map(|x| x.name.clone()).collect();
                match $list.iter_mut().find(|x| x.name == part) {
                    Some(target) => {
                        let mut pr = Reader::overriding(pb, format!("environment \"{name}\" {} \"{part}\"", $ident), $allowed, d);
                        $f(&mut pr, target, d);
                        pr.finish(d);
                    }
                    None => d.error(
                        ppos,
                        format!(
                            "environment \"{name}\" overrides {} \"{part}\", which the app does not define (environments add no parts); known: {}",
                            $ident,
                            one_of(&known)
                        ),
                    ),
                }
            }
        };
    }
    overrides!("load_balancer", app.load_balancers, ENV_LB, load_balancer);
    overrides!("service", app.services, ENV_SERVICE, service);
    overrides!("database", app.databases, ENV_DATABASE, database);
    overrides!("cache", app.caches, ENV_CACHE, cache);
    if let Some(db) = r.single("dns", d) {
        match app.dns.as_mut() {
            Some(dns) => {
                let mut dr =
                    Reader::overriding(db, format!("environment \"{name}\" dns"), ENV_DNS, d);
                self::dns(&mut dr, dns, d);
                dr.finish(d);
            }
            None => d.error(
                db.pos,
                format!("environment \"{name}\" overrides `dns`, but the app has no `dns` block"),
            ),
        }
    }
    if let Some(bb) = r.single("bastion", d) {
        match app.bastion.as_mut() {
            Some(bastion) => {
                let mut br = Reader::overriding(
                    bb,
                    format!("environment \"{name}\" bastion"),
                    ENV_BASTION,
                    d,
                );
                self::bastion(&mut br, bastion, d);
                br.finish(d);
            }
            None => d.error(
                bb.pos,
                format!(
                    "environment \"{name}\" overrides `bastion`, but the app has no `bastion` block"
                ),
            ),
        }
    }
    super::operations::env_servers(&mut r, &mut app, &name, d);
    r.finish(d);
    env.app = app;
    env
}
