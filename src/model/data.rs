//! The data tier: Aurora, ElastiCache, EFS, DNS records and the bastion.

use super::flows::engine_port;
use super::{Call, Hv, ModuleBuilder, Output, names};
use crate::blueprint::{App, Cache, Database, Environment, Ref};
use serde_json::{Map, Value, json};

fn prefix(app: &App, env: &Environment) -> Hv {
    Hv::lit(names::prefix(&app.name, &env.name))
}

/// The cluster parameter group family of an Aurora engine version.
pub fn db_family(db: &Database) -> String {
    let major = db.version.split('.').next().unwrap_or_default();
    match db.engine.as_str() {
        "aurora-postgresql" => format!("aurora-postgresql{major}"),
        _ if db.version.starts_with("5.7") => "aurora-mysql5.7".into(),
        _ => "aurora-mysql8.0".into(),
    }
}

pub fn cache_family(c: &Cache) -> String {
    let mut parts = c.version.split('.');
    let major = parts.next().unwrap_or_default();
    match c.engine.as_str() {
        "memcached" => format!("memcached{major}.{}", parts.next().unwrap_or("6")),
        engine => format!("{engine}{major}"),
    }
}

fn version_at_least(version: &str, want: &[u32]) -> bool {
    let have: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    for (i, w) in want.iter().enumerate() {
        let h = have.get(i).copied().unwrap_or(0);
        if h != *w {
            return h > *w;
        }
    }
    true
}

pub struct Aurora;

impl ModuleBuilder for Aurora {
    const NAME: &'static str = "aurora";

    fn wanted(app: &App) -> bool {
        !app.databases.is_empty()
    }

    fn shape(app: &App) -> Value {
        let dbs: Map<String, Value> = app
            .databases
            .iter()
            .map(|d| {
                let user = if d.engine == "aurora-mysql" {
                    "admin"
                } else {
                    "postgres"
                };
                (
                    d.name.clone(),
                    json!({
                        "engine": d.engine,
                        "engine_version": d.version,
                        "family": db_family(d),
                        "parameter_group": db_parameter_group(d),
                        "tls": d.tls,
                        "port": engine_port(&d.engine),
                        "database_name": d.database_name,
                        "master_username": user,
                        "iam_user": d.iam_user,
                    }),
                )
            })
            .collect();
        json!({ "databases": dbs })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let dbs: Map<String, Value> = env
            .app
            .databases
            .iter()
            .map(|d| {
                let serverless = d.serverless.as_ref().map(|s| json!({"min_capacity": s.min_capacity, "max_capacity": s.max_capacity}));
                (
                    d.name.clone(),
                    json!({
                        "identifier": names::fit(&format!("{}-{}-{}", app.name, env.name, d.name), 60),
                        "instances": d.instances,
                        "instance_class": d.instance_class,
                        "serverless": serverless,
                        "backup_retention_days": d.backup_retention_days,
                        "deletion_protection": d.deletion_protection,
                    }),
                )
            })
            .collect();
        Call::new(Self::NAME)
            .arg("name", prefix(app, env))
            .arg(
                "db_subnet_group_name",
                Hv::expr("module.network.db_subnet_group_name"),
            )
            .arg(
                "security_group_ids",
                Hv::expr("module.security.security_group_ids"),
            )
            .group("databases", Hv::lit(dbs))
    }

    fn outputs(_app: &App) -> Vec<Output> {
        vec![Output {
            name: "database_endpoints".into(),
            description: "Writer endpoints of the Aurora clusters, by database".into(),
            value: "module.aurora.endpoints".into(),
        }]
    }
}

/// Whether connections to a cache use TLS (Memcached supports it from 1.6.12).
pub fn cache_tls(c: &Cache) -> bool {
    c.engine != "memcached" || version_at_least(&c.version, &[1, 6, 12])
}

/// How clients authenticate to a cache: by default an AUTH token (in Secrets Manager) for
/// Redis OSS and Valkey, which every client library speaks; IAM users when asked for.
pub fn cache_auth(c: &Cache) -> &str {
    if let Some(a) = &c.auth {
        return a;
    }
    match c.engine.as_str() {
        "valkey" | "redis" => "token",
        _ => "none",
    }
}

pub struct Elasticache;

impl ModuleBuilder for Elasticache {
    const NAME: &'static str = "elasticache";

    fn wanted(app: &App) -> bool {
        !app.caches.is_empty()
    }

    fn shape(app: &App) -> Value {
        let caches: Map<String, Value> = app
            .caches
            .iter()
            .map(|c| {
                let tls = cache_tls(c);
                (
                    c.name.clone(),
                    json!({
                        "engine": c.engine,
                        "engine_version": c.version,
                        "family": cache_family(c),
                        "port": engine_port(&c.engine),
                        "auth": cache_auth(c),
                        "transit_encryption": tls,
                    }),
                )
            })
            .collect();
        json!({
            "has_replication_groups": app.caches.iter().any(|c| c.engine != "memcached"),
            "has_memcached": app.caches.iter().any(|c| c.engine == "memcached"),
            "has_iam_auth": app.caches.iter().any(|c| c.engine != "memcached" && cache_auth(c) == "iam"),
            "has_token_auth": app.caches.iter().any(|c| c.engine != "memcached" && cache_auth(c) == "token"),
            "caches": caches,
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let caches: Map<String, Value> = env
            .app
            .caches
            .iter()
            .map(|c| {
                let max = match (c.engine.as_str(), cache_auth(c)) {
                    ("memcached", _) => 50,
                    (_, "iam") => 36,
                    _ => 40,
                };
                let id = names::fit(&format!("{}-{}-{}", app.name, env.name, c.name), max);
                (
                    c.name.clone(),
                    json!({ "id": id, "node_type": c.node_type, "nodes": c.nodes }),
                )
            })
            .collect();
        Call::new(Self::NAME)
            .arg("name", prefix(app, env))
            .arg(
                "subnet_group_name",
                Hv::expr("module.network.elasticache_subnet_group_name"),
            )
            .arg(
                "security_group_ids",
                Hv::expr("module.security.security_group_ids"),
            )
            .group("caches", Hv::lit(caches))
    }
}

pub struct Efs;

impl ModuleBuilder for Efs {
    const NAME: &'static str = "efs";

    fn wanted(app: &App) -> bool {
        !app.file_systems.is_empty()
    }

    fn shape(app: &App) -> Value {
        let fss: Map<String, Value> = app
            .file_systems
            .iter()
            .map(|f| {
                let aps: Map<String, Value> = f
                    .access_points
                    .iter()
                    .map(|a| (a.name.clone(), json!({"path": a.path, "uid": a.uid, "gid": a.gid, "permissions": a.permissions})))
                    .collect();
                (
                    f.name.clone(),
                    json!({
                        "throughput_mode": f.throughput_mode,
                        "provisioned_throughput_mibps": f.provisioned_mibps,
                        "access_points": aps,
                    }),
                )
            })
            .collect();
        json!({
            "has_access_points": app.file_systems.iter().any(|f| !f.access_points.is_empty()),
            "file_systems": fss,
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        Call::new(Self::NAME)
            .arg("name", prefix(app, env))
            .arg("subnet_ids", Hv::expr("module.network.data_subnet_ids"))
            .arg(
                "security_group_ids",
                Hv::expr("module.security.security_group_ids"),
            )
    }
}

/// The Terraform expression of a DNS target's host name.
fn target_expr(r: &Ref) -> String {
    let module = match r.kind.as_str() {
        "database" => "module.aurora.endpoints",
        "cache" => "module.elasticache.endpoints",
        "file_system" => "module.efs.dns_names",
        _ => "module.alb.dns_names",
    };
    format!("{module}[{}]", super::super::render::hcl::quote(&r.name))
}

pub struct Dns;

impl ModuleBuilder for Dns {
    const NAME: &'static str = "dns";

    fn wanted(app: &App) -> bool {
        app.dns
            .as_ref()
            .is_some_and(|d| !d.records.is_empty() || d.private_zone.is_some())
    }

    fn shape(app: &App) -> Value {
        let dns = app.dns.as_ref().expect("wanted");
        let public: Map<String, Value> = dns
            .records
            .iter()
            .map(|r| {
                let t = super::operations::dns_target(app, &r.target);
                (r.key.clone(), json!({"load_balancer": t.name}))
            })
            .collect();
        let private: Map<String, Value> = dns
            .private_records
            .iter()
            .map(|r| {
                let t = super::operations::dns_target(app, &r.target);
                (r.key.clone(), json!({"target": t.key()}))
            })
            .collect();
        json!({
            "has_public_records": !dns.records.is_empty(),
            "public_records": public,
            "private_zone": dns.private_zone,
            "private_records": private,
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let dns = env.app.dns.as_ref().expect("wanted");
        let mut call = Call::new(Self::NAME).arg("name", prefix(app, env));
        if !dns.records.is_empty() {
            let names: Map<String, Value> = dns
                .records
                .iter()
                .map(|r| (r.key.clone(), json!(r.name)))
                .collect();
            let mut lbs: Vec<String> = dns
                .records
                .iter()
                .map(|r| super::operations::dns_target(&env.app, &r.target).name)
                .collect();
            lbs.sort_unstable();
            lbs.dedup();
            let lb_map = super::outputs_by_name(
                &lbs,
                "alb",
                &[("dns_name", "dns_names"), ("zone_id", "zone_ids")],
            );
            call = call
                .group("zone_id", Hv::lit(&dns.zone_id))
                .arg("public_record_names", Hv::lit(names))
                .arg("load_balancers", lb_map);
        }
        if dns.private_zone.is_some() {
            let targets = Hv::Map(
                dns.private_records
                    .iter()
                    .map(|r| {
                        let t = super::operations::dns_target(&env.app, &r.target);
                        (r.key.clone(), Hv::expr(target_expr(&t)))
                    })
                    .collect(),
            );
            call = call
                .group("vpc_id", Hv::expr("module.network.vpc_id"))
                .arg("private_record_targets", targets);
        }
        call
    }
}

pub struct Bastion;

impl ModuleBuilder for Bastion {
    const NAME: &'static str = "bastion";

    fn wanted(app: &App) -> bool {
        app.bastion.is_some()
    }

    fn shape(_app: &App) -> Value {
        json!({})
    }

    fn call(app: &App, env: &Environment) -> Call {
        let b = env.app.bastion.as_ref().expect("wanted");
        let n = &env.app.network;
        // SSH needs a public address; Session Manager alone works from a private subnet when
        // the subnet reaches AWS through NAT or the SSM endpoints.
        let private_ok = n.nat != "none"
            || (n.endpoints.iter().any(|e| e == "ssm")
                && n.endpoints.iter().any(|e| e == "ssmmessages"));
        let public = !b.ssh_cidrs.is_empty() || !private_ok;
        Call::new(Self::NAME)
            .arg("name", prefix(app, env))
            .arg("instance_type", Hv::lit(&b.instance_type))
            .arg(
                "subnet_ids",
                Hv::expr(if public {
                    "module.network.public_subnet_ids"
                } else {
                    "module.network.private_subnet_ids"
                }),
            )
            .arg("associate_public_ip_address", Hv::lit(public))
            .arg(
                "security_group_id",
                Hv::expr("module.security.security_group_ids[\"bastion\"]"),
            )
    }
}

/// The key of a database's cluster parameter group: its family, and a group of its own for
/// the databases that leave TLS optional (`tls = "optional"`).
pub fn db_parameter_group(db: &Database) -> String {
    if db.tls == "optional" {
        format!("{}-tls-optional", db_family(db))
    } else {
        db_family(db)
    }
}
