//! The compute and traffic half: the ECS cluster, services and task definitions, and the load
//! balancers with their listeners, rules and target groups.

use super::flows::{self, bridge};
use super::{Call, Hv, ModuleBuilder, Output, Variable, names};
use crate::blueprint::decode::split_image;
use crate::blueprint::{App, Container, Environment, LoadBalancer, Route, Service};
use crate::render::hcl::quote;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The key of a container's image tag and ECR repository: `<service>` for a single-container
/// service, `<service>-<container>` otherwise.
pub fn container_key(s: &Service, c: &Container) -> String {
    if s.single_container {
        s.name.clone()
    } else {
        format!("{}-{}", s.name, c.name)
    }
}

/// Load balancers a service is a target of (by a route or a listener default), in order.
pub fn target_lbs<'a>(app: &'a App, s: &Service) -> Vec<&'a LoadBalancer> {
    app.load_balancers
        .iter()
        .filter(|lb| {
            s.routes.iter().any(|r| r.load_balancer == lb.name)
                || lb
                    .listeners
                    .iter()
                    .any(|l| l.default.as_ref().is_some_and(|d| d.name == s.name))
        })
        .collect()
}

fn has_digest(image: &str) -> bool {
    image.contains('@')
}

pub struct Ecs;

impl ModuleBuilder for Ecs {
    const NAME: &'static str = "ecs";

    fn wanted(app: &App) -> bool {
        !app.services.is_empty()
    }

    fn shape(app: &App) -> Value {
        let mut repositories = Map::new();
        let services: Map<String, Value> = app
            .services
            .iter()
            .map(|s| {
                let containers: Vec<Value> = s
                    .containers
                    .iter()
                    .map(|c| {
                        let key = container_key(s, c);
                        if c.repository {
                            repositories.insert(
                                key.clone(),
                                json!({
                                    "service": s.name,
                                    "container": c.name,
                                    "immutable_tags": c.immutable_tags,
                                }),
                            );
                        }
                        let pinned = c.image.as_deref().is_some_and(has_digest);
                        let image = c
                            .image
                            .as_deref()
                            .map(|i| if pinned { i } else { split_image(i).0 });
                        let secrets: Map<String, Value> = c
                            .secrets
                            .iter()
                            .map(|(k, v)| {
                                (k.clone(), json!({"source": v.store, "reference": v.name}))
                            })
                            .collect();
                        json!({
                            "name": c.name,
                            "image": image,
                            "repository": if c.repository { Some(key.clone()) } else { None },
                            "tag_key": if pinned { None } else { Some(key.clone()) },
                            "tag": c.image_tag,
                            "port": c.port,
                            "command": c.command,
                            "environment": c.environment,
                            "secrets": secrets,
                            "essential": c.essential,
                            "readonly_root_filesystem": c.read_only_root_filesystem,
                        })
                    })
                    .collect();
                let primary = s
                    .containers
                    .iter()
                    .find(|c| c.port.is_some() && c.essential)
                    .or_else(|| s.containers.first())
                    .map(|c| c.name.clone());
                let target_groups: Vec<String> = target_lbs(app, s)
                    .iter()
                    .map(|lb| format!("{}.{}", s.name, lb.name))
                    .collect();
                let mounts: Vec<Value> = s
                    .mounts
                    .iter()
                    .map(|m| {
                        let volume = match &m.access_point {
                            Some(ap) => format!("{}-{ap}", m.file_system),
                            None => m.file_system.clone(),
                        };
                        json!({
                            "volume": volume,
                            "file_system": m.file_system,
                            "access_point": m.access_point,
                            "path": m.path,
                            "read_only": m.read_only,
                        })
                    })
                    .collect();
                (
                    s.name.clone(),
                    json!({
                        "containers": containers,
                        "primary_container": primary,
                        "target_groups": target_groups,
                        "discovery": s.discovery,
                        "autoscaling": s.autoscaling.is_some(),
                        "iam_caches": iam_caches(app, s),
                        "databases": used_databases(app, s, false),
                        "iam_databases": used_databases(app, s, true),
                        "exec": s.exec,
                        "service_connect": {
                            "client": flows::service_connect_client(app, s),
                            "server": flows::service_connect_server(app, &s.name),
                        },
                        "mounts": mounts,
                    }),
                )
            })
            .collect();
        let container_ops = super::operations::container_ops(app);
        let mut services = services;
        if app.multi_cluster() {
            for s in &app.services {
                services[&s.name]["cluster"] = json!(app.service_cluster(s).name);
            }
        }
        if container_ops {
            for s in &app.services {
                if let Some(list) = services[&s.name]["containers"].as_array_mut() {
                    for (c, v) in s.containers.iter().zip(list.iter_mut()) {
                        super::operations::add_container_ops(c, v);
                    }
                }
            }
        }
        let mut resources = Vec::new();
        if app.services.iter().any(|s| s.autoscaling.is_none()) {
            resources.push("this");
        }
        if app.services.iter().any(|s| s.autoscaling.is_some()) {
            resources.push("autoscaled");
        }
        json!({
            "capacity": app.cluster.capacity,
            "container_insights": app.cluster.container_insights,
            // With several clusters: the setting as a literal when every cluster has it, so
            // that a scanner reading the module sees it.
            "insights_everywhere": app.clusters.iter().all(|c| c.container_insights),
            "network_mode": if bridge(app) { "bridge" } else { "awsvpc" },
            "discovery_namespace": app.services.iter().any(|s| s.discovery).then(|| format!("{}.local", app.name)),
            "service_connect": flows::service_connect(app),
            "services": services,
            // One repository set per account, named "<app>/<key>".
            "repository_namespace": app.name,
            "mutable_repositories": app.services.iter().any(|s| s.containers.iter().any(|c| c.repository && !c.immutable_tags)),
            "repositories": repositories,
            "service_resources": resources,
            "deployments": super::operations::deployments(app),
            "log_retention": if app.per_env.service_log_retention { Map::new() } else { super::operations::log_retention(app) },
            "log_retention_per_env": app.per_env.service_log_retention,
            "container_ops": container_ops,
            "multi": app.multi_cluster(),
            "clusters": super::operations::cluster_shape(app),
            "first_cluster": app.cluster.name,
            "ec2_clusters": app.clusters.iter().any(|c| c.capacity == "ec2"),
            "cluster_names": app.clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            "cluster_moves": super::operations::cluster_moves(app),
            // A service that starts or stops autoscaling moves between the two service
            // resources; a move from an address with nothing in the state is a no-op.
            "moved": app.services.iter().map(|s| {
                let (from, to) = if s.autoscaling.is_some() { ("this", "autoscaled") } else { ("autoscaled", "this") };
                json!({"from": from, "to": to, "key": s.name})
            }).collect::<Vec<_>>(),
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let e = &env.app;
        let mut call = Call::new(Self::NAME)
            .arg("name", Hv::lit(names::prefix(&app.name, &env.name)))
            .arg("vpc_id", Hv::expr("module.network.vpc_id"))
            .arg(
                "private_subnet_ids",
                Hv::expr("module.network.private_subnet_ids"),
            )
            .arg(
                "security_group_ids",
                Hv::expr("module.security.security_group_ids"),
            );
        call = if e.multi_cluster() {
            call.group("clusters", super::operations::cluster_settings(e))
        } else if e.cluster.capacity == "ec2" {
            call.group("instance_type", Hv::lit(&e.cluster.instance_type))
                .arg("min_size", Hv::lit(e.cluster.min_size))
                .arg("max_size", Hv::lit(e.cluster.max_size))
        } else {
            call.group("capacity", Hv::lit(&e.cluster.capacity))
        };
        let services: Map<String, Value> = e
            .services
            .iter()
            .map(|s| {
                let mut v =
                    json!({"desired_count": s.desired_count, "cpu": s.cpu, "memory": s.memory});
                if let Some(a) = &s.autoscaling {
                    v["autoscaling"] = json!({
                        "min_capacity": a.min,
                        "max_capacity": a.max,
                        "cpu": a.cpu,
                        "memory": a.memory,
                        "requests": a.requests,
                    });
                }
                (s.name.clone(), v)
            })
            .collect();
        call = call
            .arg("services", Hv::lit(services))
            .arg("image_tags", Hv::expr("var.image_tags"));
        if app.per_env.service_log_retention {
            call = call.arg(
                "service_log_retention_days",
                Hv::lit(super::operations::log_retention(e)),
            );
        }
        if app
            .services
            .iter()
            .any(|s| s.containers.iter().any(|c| c.repository))
        {
            // The first environment of an account creates the repositories; the others of
            // that account use them.
            call = call.arg("create_repositories", Hv::lit(env.first_in_account));
        }
        if !app.load_balancers.is_empty() {
            call = call
                .group(
                    "target_group_arns",
                    Hv::expr("module.alb.target_group_arns"),
                )
                .arg(
                    "target_group_resource_labels",
                    Hv::expr("module.alb.target_group_resource_labels"),
                );
        }
        let connections: Vec<(String, Hv)> = e
            .services
            .iter()
            .filter_map(|s| connections(app, s).map(|c| (s.name.clone(), c)))
            .collect();
        if !connections.is_empty() {
            call = call.group("service_connections", Hv::Map(connections));
        }
        let mut mounted: Vec<&str> = e
            .services
            .iter()
            .flat_map(|s| s.mounts.iter().map(|m| m.file_system.as_str()))
            .collect();
        mounted.sort_unstable();
        mounted.dedup();
        if !mounted.is_empty() {
            let fss = super::outputs_by_name(
                &mounted,
                "efs",
                &[
                    ("id", "ids"),
                    ("arn", "arns"),
                    ("access_point_ids", "access_point_ids"),
                ],
            );
            call = call.group("file_systems", fss);
        }
        let mut caches: Vec<String> = e.services.iter().flat_map(|s| iam_caches(app, s)).collect();
        caches.sort();
        caches.dedup();
        if !caches.is_empty() {
            let entries = super::outputs_by_name(
                &caches,
                "elasticache",
                &[("arn", "arns"), ("user_arn", "iam_user_arns")],
            );
            call = call.group("caches", entries);
        }
        let mut dbs: Vec<String> = e
            .services
            .iter()
            .flat_map(|s| used_databases(app, s, false))
            .collect();
        dbs.sort();
        dbs.dedup();
        if !dbs.is_empty() {
            let entries = Hv::Map(
                dbs.iter()
                    .map(|d| {
                        let q = quote(d);
                        let mut fields = vec![(
                            "secret_arn".to_string(),
                            Hv::expr(format!("module.aurora.master_user_secret_arns[{q}]")),
                        )];
                        if app.database(d).is_some_and(|db| db.iam_user.is_some()) {
                            fields.push((
                                "connect_arn".to_string(),
                                Hv::expr(format!("module.aurora.iam_connect_arns[{q}]")),
                            ));
                        }
                        (d.clone(), Hv::Map(fields))
                    })
                    .collect(),
            );
            call = call.group("databases", entries);
        }
        super::existing::ecs_args(app, env, call)
    }

    fn variables(app: &App, env: &Environment) -> Vec<Variable> {
        let _ = app;
        let tags: Map<String, Value> = env
            .app
            .services
            .iter()
            .flat_map(|s| s.containers.iter().map(move |c| (s, c)))
            .filter(|(_, c)| !c.image.as_deref().is_some_and(has_digest))
            .map(|(s, c)| (container_key(s, c), json!(c.image_tag)))
            .collect();
        vec![Variable {
            name: "image_tags".into(),
            description: "Image tag of each container, keyed \"<service>\" or \"<service>-<container>\"; set it to deploy a new version".into(),
            type_: "map(string)".into(),
            default: Hv::lit(tags),
        }]
    }

    fn outputs(app: &App) -> Vec<Output> {
        let mut out = vec![Output {
            name: "cluster_name".into(),
            description: "The name of the ECS cluster".into(),
            value: "module.ecs.cluster_name".into(),
        }];
        if app
            .services
            .iter()
            .any(|s| s.containers.iter().any(|c| c.repository))
        {
            out.push(Output {
                name: "repository_urls".into(),
                description: "ECR repositories to push images to, by container".into(),
                value: "module.ecs.repository_urls".into(),
            });
        }
        out
    }
}

/// The databases a service uses (`uses = ["database.x"]`), or only those it reaches with IAM
/// database authentication (`iam_user`).
fn used_databases(app: &App, s: &Service, iam_only: bool) -> Vec<String> {
    s.uses
        .iter()
        .filter(|u| u.kind == "database")
        .filter(|u| {
            !iam_only
                || app
                    .database(&u.name)
                    .is_some_and(|db| db.iam_user.is_some())
        })
        .map(|u| u.name.clone())
        .collect()
}

/// The connection settings a service's `uses` hands to its containers, as known at apply time.
fn connections(app: &App, s: &Service) -> Option<Hv> {
    let mut env: Vec<(String, Hv)> = Vec::new();
    let mut secrets: Vec<(String, Hv)> = Vec::new();
    for u in &s.uses {
        let prefix = format!("{}_{}", names::env_var(&u.kind), names::env_var(&u.name));
        let q = quote(&u.name);
        match u.kind.as_str() {
            "database" => {
                env.push((
                    format!("{prefix}_HOST"),
                    Hv::expr(format!("module.aurora.endpoints[{q}]")),
                ));
                env.push((
                    format!("{prefix}_READER_HOST"),
                    Hv::expr(format!("module.aurora.reader_endpoints[{q}]")),
                ));
                env.push((
                    format!("{prefix}_PORT"),
                    Hv::expr(format!("tostring(module.aurora.ports[{q}])")),
                ));
                env.push((
                    format!("{prefix}_NAME"),
                    Hv::expr(format!("module.aurora.database_names[{q}]")),
                ));
                // The managed master secret rotates: the task role may read it again.
                env.push((
                    format!("{prefix}_SECRET_ARN"),
                    Hv::expr(format!("module.aurora.master_user_secret_arns[{q}]")),
                ));
                if let Some(user) = app.database(&u.name).and_then(|d| d.iam_user.as_ref()) {
                    env.push((format!("{prefix}_IAM_USER"), Hv::lit(user)));
                }
                for key in ["username", "password"] {
                    secrets.push((
                        format!("{prefix}_{}", key.to_uppercase()),
                        Hv::expr(format!(
                            "\"${{module.aurora.master_user_secret_arns[{q}]}}:{key}::\""
                        )),
                    ));
                }
            }
            "cache" => {
                let Some(c) = app.cache(&u.name) else {
                    continue;
                };
                let tls = super::data::cache_tls(c);
                env.push((
                    format!("{prefix}_HOST"),
                    Hv::expr(format!("module.elasticache.endpoints[{q}]")),
                ));
                env.push((
                    format!("{prefix}_PORT"),
                    Hv::expr(format!("tostring(module.elasticache.ports[{q}])")),
                ));
                env.push((
                    format!("{prefix}_TLS"),
                    Hv::lit(if tls { "true" } else { "false" }),
                ));
                if c.engine != "memcached" && super::data::cache_auth(c) == "iam" {
                    env.push((
                        format!("{prefix}_USER"),
                        Hv::expr(format!("module.elasticache.iam_user_names[{q}]")),
                    ));
                }
                if c.engine != "memcached" && super::data::cache_auth(c) == "token" {
                    secrets.push((
                        format!("{prefix}_AUTH_TOKEN"),
                        Hv::expr(format!("module.elasticache.auth_token_secret_arns[{q}]")),
                    ));
                }
            }
            "file_system" => {
                env.push((
                    format!("{prefix}_ID"),
                    Hv::expr(format!("module.efs.ids[{q}]")),
                ));
                env.push((
                    format!("{prefix}_HOST"),
                    Hv::expr(format!("module.efs.dns_names[{q}]")),
                ));
            }
            "service" => {
                let Some(target) = app.service(&u.name) else {
                    continue;
                };
                if bridge(app) {
                    // Service Connect's client alias: the proxy in the caller's task.
                    env.push((format!("{prefix}_HOST"), Hv::lit(&target.name)));
                } else if target.discovery {
                    env.push((
                        format!("{prefix}_HOST"),
                        Hv::lit(format!("{}.{}.local", target.name, app.name)),
                    ));
                }
                if let Some(p) = target.port() {
                    env.push((format!("{prefix}_PORT"), Hv::lit(p.to_string())));
                }
            }
            "server" => {
                let Some(a) = super::operations::server_address(app, &u.name) else {
                    continue;
                };
                let host = match &a.host {
                    Some(h) => Hv::lit(h),
                    None => Hv::expr(format!("module.alb.dns_names[{}]", quote(&a.load_balancer))),
                };
                env.push((format!("{prefix}_HOST"), host));
                env.push((format!("{prefix}_PORT"), Hv::lit(a.port.to_string())));
            }
            _ => {}
        }
    }
    if env.is_empty() && secrets.is_empty() {
        return None;
    }
    Some(Hv::Map(vec![
        ("environment".into(), Hv::Map(env)),
        ("secrets".into(), Hv::Map(secrets)),
    ]))
}

pub struct Alb;

/// The protocol between a load balancer and its targets.
const TARGET_PROTOCOL: &str = "HTTP";

/// How a load balancer reaches a service's tasks: by IP (awsvpc) or by instance and host port
/// (bridge).
fn target_type(app: &App) -> &'static str {
    if bridge(app) { "instance" } else { "ip" }
}

/// The AWS name of a target group: `<app>-<env>-<service>-<load_balancer>` fitted to 27
/// characters, then `-` and 4 hex digits of the SHA-256 of its port, protocol and target type.
/// Changing any of them replaces the group; with a new name the new group can be created
/// before the old one is deleted (create_before_destroy), while listeners still use the old.
pub fn target_group_name(base: &str, port: Option<u16>, target_type: &str) -> String {
    let port = port.map_or_else(|| "none".to_string(), |p| p.to_string());
    let digest = Sha256::digest(format!("{port}/{TARGET_PROTOCOL}/{target_type}").as_bytes());
    let hash: String = digest.iter().take(2).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", names::fit(base, 27))
}

/// A listener rule: its key, listener key, priority and route.
struct Rule<'a> {
    key: String,
    listener: String,
    /// The service or server the rule forwards to.
    target: &'a str,
    route: &'a Route,
    priority: u32,
}

fn literal_prefix(path: &str) -> usize {
    path.find(['*', '?']).unwrap_or(path.len())
}

/// Priorities that respect specificity and stay put when routes are added: host-and-path rules
/// first, then path-only, then host-only rules; within a band, longer literal path prefixes
/// first; the last two digits come from a digest of the rule's key, so a new rule takes a free
/// number and leaves the others where they were.
fn rules(app: &App) -> Vec<Rule<'_>> {
    let mut rules = Vec::new();
    let targets = app
        .services
        .iter()
        .map(|s| (s.name.as_str(), &s.routes))
        .chain(app.servers.iter().map(|s| (s.name.as_str(), &s.routes)));
    for (target, routes) in targets {
        let mut seen: Vec<String> = Vec::new();
        for r in routes {
            let listener = format!("{}.{}", r.load_balancer, r.listener);
            let n = seen.iter().filter(|l| **l == listener).count();
            seen.push(listener.clone());
            let key = if n == 0 {
                format!("{listener}.{target}")
            } else {
                format!("{listener}.{target}-{}", n + 1)
            };
            rules.push(Rule {
                key,
                listener,
                target,
                route: r,
                priority: 0,
            });
        }
    }
    let mut taken: Vec<(String, u32)> = rules
        .iter()
        .filter_map(|r| r.route.priority.map(|p| (r.listener.clone(), p)))
        .collect();
    for r in &mut rules {
        if let Some(p) = r.route.priority {
            r.priority = p;
            continue;
        }
        let band = match (r.route.hosts.is_empty(), r.route.paths.is_empty()) {
            (false, false) => 0,
            (true, false) => 10_000,
            _ => 20_000,
        };
        let prefix = r
            .route
            .paths
            .iter()
            .map(|p| literal_prefix(p))
            .max()
            .unwrap_or(0)
            .min(99) as u32;
        let digest = Sha256::digest(r.key.as_bytes());
        let mut p = band + (100 - prefix) * 100 + u32::from(digest[0]) % 100;
        while taken.iter().any(|(l, t)| *l == r.listener && *t == p) {
            p += 1;
        }
        taken.push((r.listener.clone(), p));
        r.priority = p;
    }
    rules
}

impl ModuleBuilder for Alb {
    const NAME: &'static str = "alb";

    fn wanted(app: &App) -> bool {
        !app.load_balancers.is_empty()
    }

    fn shape(app: &App) -> Value {
        let lbs: Map<String, Value> = app
            .load_balancers
            .iter()
            .map(|lb| {
                let https = lb.listeners.iter().find(|l| l.protocol == "HTTPS").map(|l| l.port);
                (lb.name.clone(), json!({"internal": lb.internal, "redirect_http_port": if lb.redirect_http { https } else { None }}))
            })
            .collect();
        let mut listeners = Map::new();
        for lb in &app.load_balancers {
            for l in &lb.listeners {
                listeners.insert(
                    format!("{}.{}", lb.name, l.name),
                    json!({
                        "load_balancer": lb.name,
                        "port": l.port,
                        "protocol": l.protocol,
                        "target_group": l.default.as_ref().map(|d| format!("{}.{}", d.name, lb.name)),
                    }),
                );
            }
        }
        let mut listener_rules = Map::new();
        for r in rules(app) {
            listener_rules.insert(
                r.key.clone(),
                json!({
                    "listener": r.listener,
                    "priority": r.priority,
                    "target_group": format!("{}.{}", r.target, r.route.load_balancer),
                    "hosts": r.route.hosts,
                    "paths": r.route.paths,
                }),
            );
        }
        let mut target_groups = Map::new();
        for s in &app.services {
            for lb in target_lbs(app, s) {
                target_groups.insert(
                    format!("{}.{}", s.name, lb.name),
                    json!({
                        "service": s.name,
                        "load_balancer": lb.name,
                        "port": s.port(),
                        "protocol": TARGET_PROTOCOL,
                        "target_type": target_type(app),
                        "health_check": s.health_check,
                        "deregistration_delay": 30,
                    }),
                );
            }
        }
        for s in &app.servers {
            for lb in server_lbs(s) {
                target_groups.insert(
                    format!("{}.{lb}", s.name),
                    json!({
                        "service": s.name,
                        "load_balancer": lb,
                        "port": s.port,
                        "protocol": TARGET_PROTOCOL,
                        "target_type": "instance",
                        "health_check": s.health_check,
                        "deregistration_delay": 30,
                    }),
                );
            }
        }
        json!({
            "access_logs": app.load_balancers.iter().any(|l| l.access_logs.is_some()),
            "load_balancers": lbs,
            "redirect_http": app.load_balancers.iter().any(|l| l.redirect_http),
            "listeners": listeners,
            "listener_rules": listener_rules,
            "target_groups": target_groups,
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let e = &env.app;
        let prefix = names::prefix(&app.name, &env.name);
        let lb_names: Map<String, Value> = e
            .load_balancers
            .iter()
            .map(|lb| {
                (
                    lb.name.clone(),
                    json!(names::fit(&format!("{prefix}-{}", lb.name), 32)),
                )
            })
            .collect();
        let mut tg_names = Map::new();
        for s in &e.services {
            for lb in target_lbs(e, s) {
                tg_names.insert(
                    format!("{}.{}", s.name, lb.name),
                    json!(target_group_name(
                        &format!("{prefix}-{}-{}", s.name, lb.name),
                        s.port(),
                        target_type(e)
                    )),
                );
            }
        }
        for s in &e.servers {
            for lb in server_lbs(s) {
                tg_names.insert(
                    format!("{}.{lb}", s.name),
                    json!(target_group_name(
                        &format!("{prefix}-{}-{lb}", s.name),
                        s.port,
                        "instance"
                    )),
                );
            }
        }
        let certs: Map<String, Value> = e
            .load_balancers
            .iter()
            .filter_map(|lb| lb.certificate.as_ref().map(|c| (lb.name.clone(), json!(c))))
            .collect();
        let mut call = Call::new(Self::NAME)
            .arg("name", Hv::lit(&prefix))
            .arg("vpc_id", Hv::expr("module.network.vpc_id"))
            .arg(
                "public_subnet_ids",
                Hv::expr("module.network.public_subnet_ids"),
            )
            .arg(
                "private_subnet_ids",
                Hv::expr("module.network.private_subnet_ids"),
            )
            .arg(
                "security_group_ids",
                Hv::expr("module.security.security_group_ids"),
            )
            .group("load_balancer_names", Hv::lit(lb_names))
            .arg("target_group_names", Hv::lit(tg_names));
        if !certs.is_empty() {
            call = call.arg("certificate_arns", Hv::lit(certs));
        }
        let logs: Map<String, Value> = e
            .load_balancers
            .iter()
            .filter_map(|lb| {
                lb.access_logs.as_ref().map(|a| {
                    (
                        lb.name.clone(),
                        json!({"bucket": a.bucket, "prefix": a.prefix}),
                    )
                })
            })
            .collect();
        if !logs.is_empty() {
            call = call.arg("load_balancer_access_logs", Hv::lit(logs));
        }
        call.arg(
            "deletion_protection",
            Hv::lit(e.load_balancers.iter().any(|l| l.deletion_protection)),
        )
    }

    fn outputs(_app: &App) -> Vec<Output> {
        vec![Output {
            name: "load_balancer_dns_names".into(),
            description: "DNS names of the load balancers".into(),
            value: "module.alb.dns_names".into(),
        }]
    }
}

/// The caches a service uses that authenticate with IAM: its task role may connect to them.
pub fn iam_caches(app: &App, s: &Service) -> Vec<String> {
    s.uses
        .iter()
        .filter(|u| u.kind == "cache")
        .filter_map(|u| app.cache(&u.name))
        .filter(|c| c.engine != "memcached" && super::data::cache_auth(c) == "iam")
        .map(|c| c.name.clone())
        .collect()
}

/// The load balancers a server is routed from, each once, in order.
pub fn server_lbs(s: &crate::blueprint::Server) -> Vec<&str> {
    let mut lbs: Vec<&str> = Vec::new();
    for r in &s.routes {
        if !lbs.contains(&r.load_balancer.as_str()) {
            lbs.push(&r.load_balancer);
        }
    }
    lbs
}
