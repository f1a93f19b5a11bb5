//! The resource inventory: for every environment of an app, the managed resources Terraform
//! will plan, with their addresses exactly as Terraform prints them and the attributes that
//! come from the blueprint.
//!
//! The modules are data-driven: every `for_each` runs over a local rendered from the module's
//! shape or over a variable the environment root passes. So the inventory is computed from the
//! model, one function per module that mirrors its template's resources and keys. The
//! integration test `review::inventory_matches_terraform_plans` plans every test blueprint with
//! Terraform and requires the addresses to be equal, which keeps these functions and the
//! templates in step.

use crate::model::{AppModel, Call, EnvRoot, Hv};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One managed resource instance of an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// e.g. `module.network.aws_subnet.private["us-west-2d"]`.
    pub address: String,
    /// Tracked attributes: argument name (or a dotted path into a nested value) -> value.
    pub attributes: BTreeMap<String, Value>,
    /// Addresses this resource had before; the module declares `moved` blocks for them.
    pub moved_from: Vec<String>,
    /// References: argument -> the addresses of the resources whose computed attributes (IDs,
    /// ARNs, names Terraform only knows after apply) the argument takes. When one of them is
    /// created or replaced, or the set changes, the argument changes.
    pub refs: BTreeMap<String, Vec<String>>,
    /// Arguments computed by a data source (an IAM policy document) that references these
    /// resources: Terraform defers reading it to apply time, so the argument changes, when any
    /// of them has a planned change (references of a data source count per resource, not per
    /// instance: `[*]` lists every instance). Also an argument that takes an attribute any
    /// change of its resource makes unknown: an Auto Scaling group's
    /// `launch_template.version`, the template's `latest_version`.
    pub reads: BTreeMap<String, Vec<String>>,
    /// Arguments the module's `lifecycle { ignore_changes }` lists: tracked, so that a change
    /// of theirs can be named, but Terraform does not act on it.
    pub ignored: Vec<String>,
}

impl Resource {
    /// The resource type: `aws_subnet` of `module.network.aws_subnet.private["a"]`.
    pub fn resource_type(&self) -> &str {
        resource_type(&self.address)
    }
}

/// The resource type part of an address.
pub fn resource_type(address: &str) -> &str {
    let mut rest = address;
    while let Some(r) = rest.strip_prefix("module.") {
        // module.<name>[key]? .
        let end = r.find('.').unwrap_or(r.len());
        rest = &r[(end + 1).min(r.len())..];
    }
    rest.split('.').next().unwrap_or_default()
}

/// The inventory of every environment of a model, environment name -> resources by address.
pub fn inventory(model: &AppModel) -> BTreeMap<String, BTreeMap<String, Resource>> {
    model
        .envs
        .iter()
        .map(|env| (env.name.clone(), env_inventory(model, env)))
        .collect()
}

/// The retention of a module's log groups: its `log_retention_days` argument, else the
/// variable's default.
fn retention(v: &Vars, argument: &str) -> Value {
    match v.get(argument) {
        Value::Null => json!(crate::blueprint::operations::DEFAULT_LOG_RETENTION),
        days => days.clone(),
    }
}

/// The resources of one environment root, by address.
pub fn env_inventory(model: &AppModel, env: &EnvRoot) -> BTreeMap<String, Resource> {
    let mut out = BTreeMap::new();
    for m in &model.modules {
        let Some(call) = env.calls.iter().find(|c| c.module == m.name) else {
            continue;
        };
        let mut inv = Inv {
            module: m.name,
            out: &mut out,
        };
        let shape = &m.shape;
        let vars = Vars::new(call);
        match m.name {
            "network" => network(shape, &vars, &mut inv),
            "security" => security(shape, &vars, &mut inv),
            "alb" => alb(shape, &vars, &mut inv),
            "ecs" => ecs(env, shape, &vars, &mut inv),
            "aurora" => aurora(shape, &vars, &mut inv),
            "elasticache" => elasticache(shape, &vars, &mut inv),
            "efs" => efs(model, env, shape, &vars, &mut inv),
            "dns" => dns(shape, &vars, &mut inv),
            "bastion" => bastion(&vars, &mut inv),
            "servers" => servers(shape, &vars, &mut inv),
            "kms" => kms(&vars, &mut inv),
            other => unreachable!("module {other} has no inventory"),
        }
    }
    resolve_refs(&mut out);
    out
}

/// A resource instance key.
enum Key<'a> {
    None,
    Index(usize),
    Str(&'a str),
}

struct Inv<'a> {
    module: &'static str,
    out: &'a mut BTreeMap<String, Resource>,
}

impl Inv<'_> {
    fn address(&self, ty: &str, name: &str, key: &Key) -> String {
        let base = format!("module.{}.{ty}.{name}", self.module);
        match key {
            Key::None => base,
            Key::Index(i) => format!("{base}[{i}]"),
            Key::Str(k) => format!("{base}[{}]", quote(k)),
        }
    }

    fn add(&mut self, ty: &str, name: &str, key: Key, attrs: Vec<(&str, Value)>) -> &mut Resource {
        let address = self.address(ty, name, &key);
        let attributes = attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        self.out.entry(address.clone()).or_insert(Resource {
            address,
            attributes,
            moved_from: Vec::new(),
            refs: BTreeMap::new(),
            reads: BTreeMap::new(),
            ignored: Vec::new(),
        })
    }
}

/// The address of a resource instance of any module of the environment root.
fn at(module: &str, ty: &str, name: &str, key: Option<&str>) -> String {
    match key {
        None => format!("module.{module}.{ty}.{name}"),
        Some(k) => format!("module.{module}.{ty}.{name}[{}]", quote(k)),
    }
}

/// Every instance of a resource (`module.network.aws_subnet.private[*]`): a reference to a
/// whole map of them, resolved against the environment's inventory by [`resolve_refs`].
fn all(module: &str, ty: &str, name: &str) -> String {
    format!("module.{module}.{ty}.{name}[*]")
}

/// Expands the `[*]` references and keeps only references to resources of the environment. A
/// `[*]` read stays as it is (when the environment has such a resource): every instance of a
/// service's policy document reads every log group, and listing them would make the inventory
/// grow with the square of the services; the prediction matches it against the changed
/// addresses instead.
fn resolve_refs(out: &mut BTreeMap<String, Resource>) {
    let addresses: std::collections::BTreeSet<String> = out.keys().cloned().collect();
    let instances = |base: &str| {
        let start = format!("{base}[");
        addresses
            .range(start.clone()..)
            .take_while(move |a| a.starts_with(&start))
    };
    for r in out.values_mut() {
        for (targets, expand) in r
            .refs
            .values_mut()
            .map(|t| (t, true))
            .chain(r.reads.values_mut().map(|t| (t, false)))
        {
            let mut resolved: Vec<String> = Vec::new();
            for t in targets.iter() {
                match t.strip_suffix("[*]") {
                    Some(base) if expand => resolved.extend(instances(base).cloned()),
                    Some(base) if instances(base).next().is_some() => resolved.push(t.clone()),
                    Some(_) => {}
                    None if addresses.contains(t) => resolved.push(t.clone()),
                    None => {}
                }
            }
            resolved.sort();
            resolved.dedup();
            *targets = resolved;
        }
        r.refs.retain(|_, t| !t.is_empty());
        r.reads.retain(|_, t| !t.is_empty());
    }
}

impl Resource {
    /// Adds references of `argument` to `addresses` (see [`Resource::refs`]).
    fn refs<I: IntoIterator<Item = String>>(&mut self, argument: &str, addresses: I) -> &mut Self {
        let list = self.refs.entry(argument.to_string()).or_default();
        list.extend(addresses);
        list.sort();
        list.dedup();
        self
    }

    /// Adds resources the data source behind `argument` references (see [`Resource::reads`]).
    fn reads<I: IntoIterator<Item = String>>(&mut self, argument: &str, addresses: I) -> &mut Self {
        let list = self.reads.entry(argument.to_string()).or_default();
        list.extend(addresses);
        list.sort();
        list.dedup();
        self
    }
}

/// An instance key as Terraform prints it: an HCL string literal.
fn quote(key: &str) -> String {
    let mut s = String::from("\"");
    for c in key.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// The arguments of one module call, as JSON (expressions become their text).
struct Vars(Map<String, Value>);

fn hv_json(v: &Hv) -> Value {
    match v {
        Hv::Lit(v) => v.clone(),
        Hv::Expr(e) => Value::String(format!("${{{e}}}")),
        Hv::Map(items) => {
            Value::Object(items.iter().map(|(k, v)| (k.clone(), hv_json(v))).collect())
        }
        Hv::List(items) => Value::Array(items.iter().map(hv_json).collect()),
    }
}

impl Vars {
    fn new(call: &Call) -> Vars {
        Vars(
            call.args
                .iter()
                .map(|a| (a.name.clone(), hv_json(&a.value)))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> &Value {
        self.0.get(name).unwrap_or(&Value::Null)
    }

    fn str(&self, name: &str) -> String {
        self.get(name).as_str().unwrap_or_default().to_string()
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn items(v: &Value) -> Vec<(&String, &Value)> {
    v.as_object()
        .map(|m| m.iter().collect())
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A short digest of a value, for attributes whose whole value is too long to show.
pub fn digest(v: &Value) -> Value {
    let d = Sha256::digest(v.to_string().as_bytes());
    Value::String(format!(
        "sha256:{}",
        d.iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

fn network(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let azs = strings(v.get("availability_zones"));
    let subnets = v.get("subnets");
    let nat = v.str("nat");
    let endpoints = strings(v.get("endpoints"));
    let region = v.str("region");
    let data = shape["data_subnets"].as_bool().unwrap_or(false);
    if shape["existing"].as_bool().unwrap_or(false) {
        existing_network(shape, v, inv);
        return;
    }

    inv.add(
        "aws_vpc",
        "this",
        Key::None,
        vec![("cidr_block", v.get("cidr_block").clone())],
    );
    let vpc = at("network", "aws_vpc", "this", None);
    inv.add("aws_default_security_group", "this", Key::None, vec![])
        .refs("vpc_id", [vpc.clone()]);
    inv.add("aws_internet_gateway", "this", Key::None, vec![])
        .refs("vpc_id", [vpc.clone()]);
    for (tier, rt_per_az) in [("public", false), ("private", true), ("data", false)] {
        if tier == "data" && !data {
            continue;
        }
        let table = |az: &str| at("network", "aws_route_table", tier, rt_per_az.then_some(az));
        for (az, cidr) in items(&subnets[tier]) {
            inv.add(
                "aws_subnet",
                tier,
                Key::Str(az),
                vec![
                    ("availability_zone", json!(az)),
                    ("cidr_block", cidr.clone()),
                ],
            )
            .refs("vpc_id", [vpc.clone()]);
            inv.add(
                "aws_route_table_association",
                tier,
                Key::Str(az),
                vec![(
                    "route_table",
                    json!(if rt_per_az {
                        format!("{tier}[{az}]")
                    } else {
                        tier.to_string()
                    }),
                )],
            )
            .refs("subnet_id", [at("network", "aws_subnet", tier, Some(az))])
            .refs("route_table_id", [table(az)]);
            if rt_per_az {
                inv.add("aws_route_table", tier, Key::Str(az), vec![])
                    .refs("vpc_id", [vpc.clone()]);
            }
        }
        if !rt_per_az {
            inv.add("aws_route_table", tier, Key::None, vec![])
                .refs("vpc_id", [vpc.clone()]);
        }
    }
    inv.add("aws_route", "public_internet", Key::None, vec![])
        .refs(
            "route_table_id",
            [at("network", "aws_route_table", "public", None)],
        )
        .refs(
            "gateway_id",
            [at("network", "aws_internet_gateway", "this", None)],
        );
    let nat_azs: Vec<&String> = match nat.as_str() {
        "per_az" => azs.iter().collect(),
        "single" => azs.iter().take(1).collect(),
        _ => Vec::new(),
    };
    for az in nat_azs {
        inv.add("aws_eip", "nat", Key::Str(az), vec![]);
        inv.add(
            "aws_nat_gateway",
            "this",
            Key::Str(az),
            vec![("subnet", json!(format!("public[{az}]")))],
        )
        .refs(
            "subnet_id",
            [at("network", "aws_subnet", "public", Some(az))],
        )
        .refs("allocation_id", [at("network", "aws_eip", "nat", Some(az))]);
    }
    if nat != "none" {
        for az in keys(&subnets["private"]) {
            let via = if nat == "per_az" {
                az.clone()
            } else {
                azs[0].clone()
            };
            inv.add(
                "aws_route",
                "private_nat",
                Key::Str(&az),
                vec![("nat_gateway", json!(via))],
            )
            .refs(
                "route_table_id",
                [at("network", "aws_route_table", "private", Some(&az))],
            )
            .refs(
                "nat_gateway_id",
                [at("network", "aws_nat_gateway", "this", Some(&via))],
            );
        }
    }
    let group_tier = if data { "data" } else { "private" };
    let group_subnets = json!(
        azs.iter()
            .map(|az| format!("{group_tier}[{az}]"))
            .collect::<Vec<_>>()
    );
    let group_subnet_ids: Vec<String> = azs
        .iter()
        .map(|az| at("network", "aws_subnet", group_tier, Some(az)))
        .collect();
    if shape["db_subnet_group"].as_bool().unwrap_or(false) {
        inv.add(
            "aws_db_subnet_group",
            "this",
            Key::None,
            vec![("name", json!(name)), ("subnet_ids", group_subnets.clone())],
        )
        .refs("subnet_ids", group_subnet_ids.clone());
    }
    if shape["elasticache_subnet_group"].as_bool().unwrap_or(false) {
        inv.add(
            "aws_elasticache_subnet_group",
            "this",
            Key::None,
            vec![("name", json!(name)), ("subnet_ids", group_subnets)],
        )
        .refs("subnet_ids", group_subnet_ids);
    }
    for svc in ["dynamodb", "s3"]
        .iter()
        .filter(|s| endpoints.iter().any(|e| e == *s))
    {
        inv.add(
            "aws_vpc_endpoint",
            "gateway",
            Key::Str(svc),
            vec![(
                "service_name",
                json!(format!("com.amazonaws.{region}.{svc}")),
            )],
        )
        .refs("vpc_id", [vpc.clone()])
        .refs(
            "route_table_ids",
            [all("network", "aws_route_table", "private")]
                .into_iter()
                .chain(data.then(|| at("network", "aws_route_table", "data", None))),
        );
    }
    let interface = [
        "ecr.api",
        "ecr.dkr",
        "kms",
        "logs",
        "secretsmanager",
        "ssm",
        "ssmmessages",
        "sts",
    ];
    let mut any_interface = false;
    for svc in interface
        .iter()
        .filter(|s| endpoints.iter().any(|e| e == *s))
    {
        any_interface = true;
        inv.add(
            "aws_vpc_endpoint",
            "interface",
            Key::Str(svc),
            vec![
                (
                    "service_name",
                    json!(format!("com.amazonaws.{region}.{svc}")),
                ),
                (
                    "subnet_ids",
                    json!(
                        azs.iter()
                            .map(|az| format!("private[{az}]"))
                            .collect::<Vec<_>>()
                    ),
                ),
            ],
        )
        .refs("vpc_id", [vpc.clone()])
        .refs(
            "subnet_ids",
            azs.iter()
                .map(|az| at("network", "aws_subnet", "private", Some(az))),
        )
        .refs(
            "security_group_ids",
            ["module.network.aws_security_group.endpoints[0]".to_string()],
        );
    }
    if any_interface {
        inv.add(
            "aws_security_group",
            "endpoints",
            Key::Index(0),
            vec![("name_prefix", json!(format!("{name}-endpoints-")))],
        );
        inv.add(
            "aws_vpc_security_group_ingress_rule",
            "endpoints_https",
            Key::Index(0),
            vec![("cidr_ipv4", v.get("cidr_block").clone())],
        );
    }
    if v.get("flow_logs").as_bool().unwrap_or(true) {
        let log_group = json!(format!("/aws/vpc-flow-logs/{name}"));
        inv.add(
            "aws_cloudwatch_log_group",
            "flow_logs",
            Key::Index(0),
            vec![
                ("name", log_group),
                (
                    "retention_in_days",
                    retention(v, "flow_logs_retention_days"),
                ),
            ],
        );
        inv.add("aws_iam_role", "flow_logs", Key::Index(0), vec![]);
        inv.add("aws_iam_role_policy", "flow_logs", Key::Index(0), vec![]);
        inv.add("aws_flow_log", "this", Key::Index(0), vec![]);
    }
}

/// An existing VPC: only the subnet groups of the data stores, over the given data subnets.
fn existing_network(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let azs = strings(v.get("availability_zones"));
    let data = &v.get("subnet_ids")["data"];
    let group_subnets = json!(
        azs.iter()
            .map(|az| data[az.as_str()].clone())
            .collect::<Vec<_>>()
    );
    for (flag, ty) in [
        ("db_subnet_group", "aws_db_subnet_group"),
        ("elasticache_subnet_group", "aws_elasticache_subnet_group"),
    ] {
        if shape[flag].as_bool().unwrap_or(false) {
            inv.add(
                ty,
                "this",
                Key::None,
                vec![("name", json!(name)), ("subnet_ids", group_subnets.clone())],
            );
        }
    }
}

fn security(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    for (key, g) in items(&shape["security_groups"]) {
        inv.add(
            "aws_security_group",
            "this",
            Key::Str(key),
            vec![
                (
                    "name_prefix",
                    json!(format!(
                        "{name}-{}-",
                        g["name"].as_str().unwrap_or_default()
                    )),
                ),
                ("description", g["description"].clone()),
            ],
        )
        .refs("vpc_id", [at("network", "aws_vpc", "this", None)]);
    }
    let mut cidr_lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    cidr_lists.insert("anywhere".into(), vec!["0.0.0.0/0".into()]);
    cidr_lists.insert(
        "bastion_ssh_cidrs".into(),
        strings(v.get("bastion_ssh_cidrs")),
    );
    for (lb, cidrs) in items(v.get("load_balancer_ingress_cidrs")) {
        cidr_lists.insert(format!("load_balancer_ingress_cidrs.{lb}"), strings(cidrs));
    }
    for (key, cidrs) in items(&shape["egress_cidrs"]) {
        cidr_lists.insert(key.clone(), strings(cidrs));
    }
    let mut moved: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mv in shape["moved"].as_array().into_iter().flatten() {
        let resource = mv["resource"].as_str().unwrap_or_default();
        let to = format!(
            "module.security.{resource}[{}]",
            quote(mv["to"].as_str().unwrap_or_default())
        );
        let from = format!(
            "module.security.{resource}[{}]",
            quote(mv["from"].as_str().unwrap_or_default())
        );
        moved.entry(to).or_default().push(from);
    }
    for (key, rule) in items(&shape["rules"]) {
        let ingress = rule["direction"] == "ingress";
        let group = |k: &str| at("security", "aws_security_group", "this", Some(k));
        let owner = group(rule["security_group"].as_str().unwrap_or_default());
        let mut attrs = vec![
            ("ip_protocol", rule["protocol"].clone()),
            ("from_port", rule["from_port"].clone()),
            ("to_port", rule["to_port"].clone()),
            ("description", rule["description"].clone()),
        ];
        if let Some(peer) = rule["peer"].as_str() {
            attrs.push(("referenced_security_group", json!(peer)));
            let (ty, res) = if ingress {
                ("aws_vpc_security_group_ingress_rule", "from_security_group")
            } else {
                ("aws_vpc_security_group_egress_rule", "to_security_group")
            };
            let r = inv.add(ty, res, Key::Str(key), attrs);
            r.moved_from = moved.get(&r.address).cloned().unwrap_or_default();
            r.refs("security_group_id", [owner])
                .refs("referenced_security_group_id", [group(peer)]);
        } else if let Some(list) = rule["cidr_list"].as_str() {
            let (ty, res) = if ingress {
                ("aws_vpc_security_group_ingress_rule", "from_cidr")
            } else {
                ("aws_vpc_security_group_egress_rule", "to_cidr")
            };
            for cidr in cidr_lists.get(list).cloned().unwrap_or_default() {
                let mut a = attrs.clone();
                a.push(("cidr_ipv4", json!(cidr)));
                inv.add(ty, res, Key::Str(&format!("{key}/{cidr}")), a)
                    .refs("security_group_id", [owner.clone()]);
            }
        }
    }
}

fn alb(shape: &Value, v: &Vars, inv: &mut Inv) {
    let lb_names = v.get("load_balancer_names");
    let tg_names = v.get("target_group_names");
    let certs = v.get("certificate_arns");
    for (key, lb) in items(&shape["load_balancers"]) {
        let internal = lb["internal"].as_bool().unwrap_or(false);
        inv.add(
            "aws_lb",
            "this",
            Key::Str(key),
            vec![
                ("name", lb_names[key.as_str()].clone()),
                ("internal", json!(internal)),
                (
                    "subnets",
                    json!(if internal { "private" } else { "public" }),
                ),
                (
                    "enable_deletion_protection",
                    v.get("deletion_protection").clone(),
                ),
            ],
        )
        .refs(
            "subnets",
            [all(
                "network",
                "aws_subnet",
                if internal { "private" } else { "public" },
            )],
        )
        .refs(
            "security_groups",
            [at(
                "security",
                "aws_security_group",
                "this",
                Some(&format!("load_balancer.{key}")),
            )],
        );
        if !lb["redirect_http_port"].is_null() {
            inv.add(
                "aws_lb_listener",
                "redirect_http",
                Key::Str(key),
                vec![("redirect_port", lb["redirect_http_port"].clone())],
            )
            .refs(
                "load_balancer_arn",
                [at("alb", "aws_lb", "this", Some(key))],
            );
        }
    }
    for (key, tg) in items(&shape["target_groups"]) {
        inv.add(
            "aws_lb_target_group",
            "this",
            Key::Str(key),
            vec![
                ("name", tg_names[key.as_str()].clone()),
                ("port", tg["port"].clone()),
                ("target_type", tg["target_type"].clone()),
                ("health_check.path", tg["health_check"]["path"].clone()),
                (
                    "health_check.matcher",
                    tg["health_check"]["matcher"].clone(),
                ),
                (
                    "health_check.interval",
                    tg["health_check"]["interval"].clone(),
                ),
                (
                    "health_check.timeout",
                    tg["health_check"]["timeout"].clone(),
                ),
                (
                    "health_check.healthy_threshold",
                    tg["health_check"]["healthy_threshold"].clone(),
                ),
                (
                    "health_check.unhealthy_threshold",
                    tg["health_check"]["unhealthy_threshold"].clone(),
                ),
                ("deregistration_delay", tg["deregistration_delay"].clone()),
            ],
        )
        .refs("vpc_id", [at("network", "aws_vpc", "this", None)]);
    }
    for (key, l) in items(&shape["listeners"]) {
        let lb = l["load_balancer"].as_str().unwrap_or_default();
        let mut attrs = vec![
            ("load_balancer", json!(lb)),
            ("port", l["port"].clone()),
            ("protocol", l["protocol"].clone()),
            ("default_action.target_group", l["target_group"].clone()),
        ];
        if l["protocol"] == "HTTPS" {
            attrs.push(("certificate_arn", certs[lb].clone()));
        }
        let r = inv.add("aws_lb_listener", "this", Key::Str(key), attrs);
        r.refs("load_balancer_arn", [at("alb", "aws_lb", "this", Some(lb))]);
        if let Some(tg) = l["target_group"].as_str() {
            r.refs(
                "default_action.target_group_arn",
                [at("alb", "aws_lb_target_group", "this", Some(tg))],
            );
        }
    }
    for (key, r) in items(&shape["listener_rules"]) {
        inv.add(
            "aws_lb_listener_rule",
            "this",
            Key::Str(key),
            vec![
                ("listener", r["listener"].clone()),
                ("priority", r["priority"].clone()),
                ("action.target_group", r["target_group"].clone()),
                ("condition.host_header", r["hosts"].clone()),
                ("condition.path_pattern", r["paths"].clone()),
            ],
        )
        .refs(
            "listener_arn",
            [at(
                "alb",
                "aws_lb_listener",
                "this",
                Some(r["listener"].as_str().unwrap_or_default()),
            )],
        )
        .refs(
            "action.target_group_arn",
            [at(
                "alb",
                "aws_lb_target_group",
                "this",
                Some(r["target_group"].as_str().unwrap_or_default()),
            )],
        );
    }
}

fn ecs(env: &EnvRoot, shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let ec2 = shape["capacity"] == "ec2";
    let services_var = v.get("services");
    let network_mode = shape["network_mode"].clone();
    let image_tags = env
        .variables
        .iter()
        .find(|x| x.name == "image_tags")
        .map(|x| hv_json(&x.default))
        .unwrap_or(Value::Null);

    let multi = shape["multi"].as_bool().unwrap_or(false);
    if multi {
        ecs_clusters(shape, v, inv);
    } else {
        inv.add(
            "aws_ecs_cluster",
            "this",
            Key::None,
            vec![
                ("name", json!(name)),
                (
                    "setting.containerInsights",
                    shape["container_insights"].clone(),
                ),
            ],
        );
        let provider = if ec2 {
            json!(format!("cp-{name}"))
        } else if v.str("capacity") == "fargate_spot" {
            json!("FARGATE_SPOT")
        } else {
            json!("FARGATE")
        };
        inv.add(
            "aws_ecs_cluster_capacity_providers",
            "this",
            Key::None,
            vec![(
                "default_capacity_provider_strategy.capacity_provider",
                provider,
            )],
        );
        if ec2 {
            ecs_instance_role(inv);
            inv.add(
                "aws_launch_template",
                "this",
                Key::None,
                vec![("instance_type", v.get("instance_type").clone())],
            )
            .refs(
                "network_interfaces.security_groups",
                [at(
                    "security",
                    "aws_security_group",
                    "this",
                    Some("cluster"),
                )],
            );
            inv.add(
                "aws_autoscaling_group",
                "this",
                Key::None,
                vec![
                    ("min_size", v.get("min_size").clone()),
                    ("max_size", v.get("max_size").clone()),
                ],
            )
            .refs(
                "vpc_zone_identifier",
                [all("network", "aws_subnet", "private")],
            )
            .reads(
                "launch_template.version",
                [at("ecs", "aws_launch_template", "this", None)],
            );
            inv.add(
                "aws_ecs_capacity_provider",
                "this",
                Key::None,
                vec![("name", json!(format!("cp-{name}")))],
            );
        }
    }
    // The first environment of an account creates the repositories, "<app>/<key>".
    let namespace = shape["repository_namespace"].as_str().unwrap_or_default();
    if v.get("create_repositories").as_bool().unwrap_or(true) {
        for (key, r) in items(&shape["repositories"]) {
            let immutable = r["immutable_tags"].as_bool().unwrap_or(false);
            inv.add(
                "aws_ecr_repository",
                "this",
                Key::Str(key),
                vec![
                    ("name", json!(format!("{namespace}/{key}"))),
                    (
                        "image_tag_mutability",
                        json!(if immutable { "IMMUTABLE" } else { "MUTABLE" }),
                    ),
                ],
            );
            inv.add("aws_ecr_lifecycle_policy", "this", Key::Str(key), vec![]);
        }
    }
    if let Some(ns) = shape["discovery_namespace"].as_str() {
        inv.add(
            "aws_service_discovery_private_dns_namespace",
            "this",
            Key::None,
            vec![("name", json!(ns))],
        );
    }
    if shape["service_connect"].as_bool().unwrap_or(false) {
        inv.add(
            "aws_service_discovery_http_namespace",
            "service_connect",
            Key::None,
            vec![("name", json!(name))],
        );
    }
    let connections = v.get("service_connections");
    let mut moved: BTreeMap<String, String> = BTreeMap::new();
    for mv in shape["moved"].as_array().into_iter().flatten() {
        let k = quote(mv["key"].as_str().unwrap_or_default());
        moved.insert(
            format!(
                "module.ecs.aws_ecs_service.{}[{k}]",
                mv["to"].as_str().unwrap_or_default()
            ),
            format!(
                "module.ecs.aws_ecs_service.{}[{k}]",
                mv["from"].as_str().unwrap_or_default()
            ),
        );
    }
    for (s, svc) in items(&shape["services"]) {
        let sv = &services_var[s.as_str()];
        let key = Key::Str(s);
        // The cluster of the service: its EC2-ness and its capacity provider.
        let (ec2, fargate_provider) = if multi {
            let c = svc["cluster"].as_str().unwrap_or_default();
            let spot = v.get("clusters")[c]["capacity"] == "fargate_spot";
            (
                shape["clusters"][c]["ec2"].as_bool().unwrap_or(false),
                if spot { "FARGATE_SPOT" } else { "FARGATE" },
            )
        } else if v.str("capacity") == "fargate_spot" {
            (ec2, "FARGATE_SPOT")
        } else {
            (ec2, "FARGATE")
        };
        let service_cluster = if multi { svc["cluster"].as_str() } else { None };
        // A service's own retention comes from the module (a literal map) or, once some
        // environment changes one, from the root (service_log_retention_days).
        let own = if shape["log_retention_per_env"].as_bool().unwrap_or(false) {
            &v.get("service_log_retention_days")[s.as_str()]
        } else {
            &shape["log_retention"][s.as_str()]
        };
        let days = match own {
            Value::Null => retention(v, "log_retention_days"),
            d => d.clone(),
        };
        inv.add(
            "aws_cloudwatch_log_group",
            "this",
            Key::Str(s),
            vec![
                ("name", json!(format!("/ecs/{name}/{s}"))),
                ("retention_in_days", days),
            ],
        );
        // Existing roles the root names replace the service's own (and their policies).
        let given = &v.get("service_roles")[s.as_str()];
        let own_task_role = given["task_role_arn"].is_null();
        let cluster = at("ecs", "aws_ecs_cluster", "this", service_cluster);
        if given["execution_role_arn"].is_null() {
            let log_group = at("ecs", "aws_cloudwatch_log_group", "this", Some(s));
            inv.add("aws_iam_role", "execution", Key::Str(s), vec![]);
            // The policy document references the log groups, the repositories and the cluster
            // (the account and partition of its ARN).
            // It also grants the secrets the containers read: the blueprint's (by reference)
            // and those of the connections, whose ARNs come from other resources.
            let conn = &connections[s.as_str()];
            inv.add(
                "aws_iam_role_policy",
                "execution",
                Key::Str(s),
                vec![("policy.secrets", json!(own_secret_references(v, s, svc)))],
            )
            .refs("policy", [log_group.clone()])
            .refs("policy", connection_secret_sources(conn))
            .reads(
                "policy",
                [
                    all("ecs", "aws_cloudwatch_log_group", "this"),
                    all("ecs", "aws_ecr_repository", "this"),
                    cluster.clone(),
                ],
            );
        }
        if own_task_role {
            inv.add("aws_iam_role", "task", Key::Str(s), vec![]);
        }
        let mounts = svc["mounts"].as_array().cloned().unwrap_or_default();
        let iam_caches = svc["iam_caches"].as_array().is_some_and(|c| !c.is_empty());
        let databases = svc["databases"].as_array().is_some_and(|d| !d.is_empty());
        let exec = svc["exec"].as_bool().unwrap_or(false);
        let sc = &svc["service_connect"];
        let sc_server = sc["server"].as_bool().unwrap_or(false);
        let sc_client = sc["client"].as_bool().unwrap_or(false);
        if own_task_role && (!mounts.is_empty() || iam_caches || databases || exec) {
            // The policy grants what the service uses, by the ARNs of the stores.
            let file_systems: Vec<String> = mounts
                .iter()
                .filter_map(|m| m["file_system"].as_str())
                .map(|fs| at("efs", "aws_efs_file_system", "this", Some(fs)))
                .collect();
            let caches = strings(&svc["iam_caches"]).into_iter().flat_map(|c| {
                [
                    at(
                        "elasticache",
                        "aws_elasticache_replication_group",
                        "this",
                        Some(&c),
                    ),
                    at("elasticache", "aws_elasticache_user", "iam", Some(&c)),
                ]
            });
            let dbs = strings(&svc["databases"])
                .into_iter()
                .chain(strings(&svc["iam_databases"]))
                .map(|d| at("aurora", "aws_rds_cluster", "this", Some(&d)));
            inv.add(
                "aws_iam_role_policy",
                "task",
                Key::Str(s),
                vec![
                    ("policy.mounts", json!(mounts)),
                    ("policy.iam_caches", svc["iam_caches"].clone()),
                    ("policy.databases", svc["databases"].clone()),
                    ("policy.iam_databases", svc["iam_databases"].clone()),
                    ("policy.exec", json!(exec)),
                ],
            )
            .refs("policy", file_systems.into_iter().chain(caches).chain(dbs));
        }
        // The task definition: every argument forces a new revision.
        let mut td = vec![
            ("family", json!(format!("{name}-{s}"))),
            ("cpu", sv["cpu"].clone()),
            ("memory", sv["memory"].clone()),
            ("network_mode", network_mode.clone()),
            (
                "requires_compatibilities",
                json!(if ec2 { "EC2" } else { "FARGATE" }),
            ),
        ];
        let conn = &connections[s.as_str()];
        let mut container_attrs: Vec<(String, Value)> = Vec::new();
        for c in svc["containers"].as_array().into_iter().flatten() {
            let cname = c["name"].as_str().unwrap_or_default();
            let image = match c["tag_key"].as_str() {
                None => c["image"].clone(),
                Some(tag_key) => {
                    let base = match c["repository"].as_str() {
                        Some(r) => format!("<ecr {namespace}/{r}>"),
                        None => c["image"].as_str().unwrap_or_default().to_string(),
                    };
                    let tag = image_tags[tag_key]
                        .as_str()
                        .or(c["tag"].as_str())
                        .unwrap_or_default();
                    json!(format!("{base}:{tag}"))
                }
            };
            let mut environment = c["environment"].as_object().cloned().unwrap_or_default();
            if let Some(e) = conn["environment"].as_object() {
                environment.extend(e.clone());
            }
            // This environment's secrets (the root's `secrets`), or else the blueprint's.
            let env_secrets = &v.get("secrets")[s.as_str()][cname];
            let own_secrets = if env_secrets.is_object() {
                env_secrets
            } else {
                &c["secrets"]
            };
            let mut secrets: Map<String, Value> = own_secrets
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, x)| {
                    (
                        k.clone(),
                        json!(format!(
                            "{}:{}",
                            x["source"].as_str().unwrap_or_default(),
                            x["reference"].as_str().unwrap_or_default()
                        )),
                    )
                })
                .collect();
            if let Some(e) = conn["secrets"].as_object() {
                secrets.extend(e.clone());
            }
            let p = |a: &str| format!("container_definitions.{cname}.{a}");
            container_attrs.push((p("image"), image));
            container_attrs.push((p("port"), c["port"].clone()));
            if sc_server && c["name"] == svc["primary_container"] {
                container_attrs.push((p("port_name"), json!(s)));
            }
            container_attrs.push((p("command"), c["command"].clone()));
            container_attrs.push((p("essential"), c["essential"].clone()));
            container_attrs.push((
                p("readonly_root_filesystem"),
                c["readonly_root_filesystem"].clone(),
            ));
            container_attrs.push((p("environment"), Value::Object(environment)));
            container_attrs.push((p("secrets"), Value::Object(secrets)));
            container_attrs.push((p("mount_points"), json!(mounts)));
            for extra in ["health_command", "stop_timeout", "depends_on"] {
                if let Some(x) = c.get(extra) {
                    container_attrs.push((p(extra), x.clone()));
                }
            }
        }
        let address;
        {
            let mut attrs: BTreeMap<String, Value> =
                td.drain(..).map(|(k, v)| (k.to_string(), v)).collect();
            attrs.extend(container_attrs);
            let r = inv.add("aws_ecs_task_definition", "this", Key::Str(s), vec![]);
            r.attributes = attrs;
            r.refs(
                "execution_role_arn",
                [at("ecs", "aws_iam_role", "execution", Some(s))],
            )
            .refs(
                "task_role_arn",
                [at("ecs", "aws_iam_role", "task", Some(s))],
            );
            address = digest(&json!(r.attributes));
        }
        if svc["discovery"].as_bool().unwrap_or(false) {
            inv.add(
                "aws_service_discovery_service",
                "this",
                Key::Str(s),
                vec![("name", json!(s))],
            )
            .refs(
                "dns_config.namespace_id",
                [at(
                    "ecs",
                    "aws_service_discovery_private_dns_namespace",
                    "this",
                    None,
                )],
            );
        }
        let autoscaled = svc["autoscaling"].as_bool().unwrap_or(false);
        let kind = if autoscaled { "autoscaled" } else { "this" };
        let primary = svc["primary_container"].clone();
        let port = svc["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == primary)
            .map(|c| c["port"].clone())
            .unwrap_or(Value::Null);
        let lbs: Vec<Value> = strings(&svc["target_groups"])
            .into_iter()
            .map(|tg| {
                json!(format!(
                    "{tg} -> {}:{port}",
                    primary.as_str().unwrap_or_default()
                ))
            })
            .collect();
        let mut attrs = vec![
            ("name", json!(s)),
            ("task_definition", address),
            ("load_balancer", json!(lbs)),
            ("enable_execute_command", json!(exec)),
        ];
        attrs.push(("desired_count", sv["desired_count"].clone()));
        if let Some(dep) = shape["deployments"].get(s.as_str()) {
            attrs.push((
                "deployment_minimum_healthy_percent",
                dep["min_healthy_percent"].clone(),
            ));
            attrs.push(("deployment_maximum_percent", dep["max_percent"].clone()));
        }
        if sc_server || sc_client {
            attrs.push((
                "service_connect_configuration",
                json!({"client": sc_client, "server": sc_server.then(|| format!("{s}:{port}"))}),
            ));
        }
        if !ec2 {
            attrs.push((
                "capacity_provider_strategy.capacity_provider",
                json!(fargate_provider),
            ));
        }
        let r = inv.add("aws_ecs_service", kind, key, attrs);
        r.moved_from = moved.get(&r.address).cloned().into_iter().collect();
        if autoscaled {
            // Application Auto Scaling owns the count.
            r.ignored = vec!["desired_count".into()];
        }
        let target_groups = strings(&svc["target_groups"]);
        r.refs("cluster", [cluster.clone()])
            .refs(
                "task_definition",
                [at("ecs", "aws_ecs_task_definition", "this", Some(s))],
            )
            .refs(
                "load_balancer.target_group_arn",
                target_groups
                    .iter()
                    .map(|tg| at("alb", "aws_lb_target_group", "this", Some(tg))),
            )
            .refs(
                "service_registries.registry_arn",
                [at("ecs", "aws_service_discovery_service", "this", Some(s))],
            );
        if network_mode == "awsvpc" {
            r.refs(
                "network_configuration.subnets",
                [all("network", "aws_subnet", "private")],
            )
            .refs(
                "network_configuration.security_groups",
                [at(
                    "security",
                    "aws_security_group",
                    "this",
                    Some(&format!("service.{s}")),
                )],
            );
        }
        if autoscaled {
            let a = &sv["autoscaling"];
            inv.add(
                "aws_appautoscaling_target",
                "this",
                Key::Str(s),
                vec![
                    ("min_capacity", a["min_capacity"].clone()),
                    ("max_capacity", a["max_capacity"].clone()),
                ],
            );
            for metric in ["cpu", "memory", "requests"] {
                if !a[metric].is_null() {
                    let r = inv.add(
                        "aws_appautoscaling_policy",
                        "this",
                        Key::Str(&format!("{s}-{metric}")),
                        vec![(
                            "target_tracking_scaling_policy_configuration.target_value",
                            a[metric].clone(),
                        )],
                    );
                    // Requests are counted per target group: the label is
                    // "<load balancer ARN suffix>/<target group ARN suffix>".
                    if let Some(tg) = target_groups.first().filter(|_| metric == "requests") {
                        let lb = tg.rsplit_once('.').map_or("", |(_, lb)| lb);
                        r.refs(
                            "target_tracking_scaling_policy_configuration.predefined_metric_specification.resource_label",
                            [
                                at("alb", "aws_lb_target_group", "this", Some(tg)),
                                at("alb", "aws_lb", "this", Some(lb)),
                            ],
                        );
                    }
                }
            }
        }
    }
}

/// The clusters of a multi-cluster app: each with its capacity providers, and for the EC2 ones
/// their launch template, group and capacity provider; one instance role for all.
fn ecs_clusters(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let settings = v.get("clusters");
    let moves: Vec<String> = strings(&shape["cluster_moves"]);
    let mut any_ec2 = false;
    for (c, cl) in items(&shape["clusters"]) {
        let aws_name = if c == "main" {
            name.clone()
        } else {
            format!("{name}-{c}")
        };
        let ec2 = cl["ec2"].as_bool().unwrap_or(false);
        any_ec2 |= ec2;
        let moved = |inv: &mut Inv, ty: &str, attrs: Vec<(&str, Value)>| {
            let from = format!("module.ecs.{ty}.this");
            let r = inv.add(ty, "this", Key::Str(c), attrs);
            if c == "main" && moves.iter().any(|m| format!("module.ecs.{m}") == from) {
                r.moved_from = vec![from];
            }
        };
        moved(
            inv,
            "aws_ecs_cluster",
            vec![
                ("name", json!(aws_name)),
                (
                    "setting.containerInsights",
                    cl["container_insights"].clone(),
                ),
            ],
        );
        let provider = if ec2 {
            json!(format!("cp-{aws_name}"))
        } else if settings[c.as_str()]["capacity"] == "fargate_spot" {
            json!("FARGATE_SPOT")
        } else {
            json!("FARGATE")
        };
        moved(
            inv,
            "aws_ecs_cluster_capacity_providers",
            vec![(
                "default_capacity_provider_strategy.capacity_provider",
                provider,
            )],
        );
        if ec2 {
            let sv = &settings[c.as_str()];
            moved(
                inv,
                "aws_launch_template",
                vec![("instance_type", sv["instance_type"].clone())],
            );
            moved(
                inv,
                "aws_autoscaling_group",
                vec![
                    ("min_size", sv["min_size"].clone()),
                    ("max_size", sv["max_size"].clone()),
                ],
            );
            moved(
                inv,
                "aws_ecs_capacity_provider",
                vec![("name", json!(format!("cp-{aws_name}")))],
            );
            let group = if c == "main" {
                "cluster".to_string()
            } else {
                format!("cluster.{c}")
            };
            let template = inv.address("aws_launch_template", "this", &Key::Str(c));
            if let Some(r) = inv.out.get_mut(&template) {
                r.refs(
                    "network_interfaces.security_groups",
                    [at("security", "aws_security_group", "this", Some(&group))],
                );
            }
            let asg = inv.address("aws_autoscaling_group", "this", &Key::Str(c));
            if let Some(r) = inv.out.get_mut(&asg) {
                r.refs(
                    "vpc_zone_identifier",
                    [all("network", "aws_subnet", "private")],
                )
                .reads("launch_template.version", [template]);
            }
        }
    }
    if any_ec2 {
        ecs_instance_role(inv);
    }
}

/// The role, policy attachments and instance profile the EC2 container instances of every
/// cluster share.
fn ecs_instance_role(inv: &mut Inv) {
    inv.add("aws_iam_role", "instance", Key::None, vec![]);
    for p in [
        "AmazonEC2ContainerServiceforEC2Role",
        "AmazonSSMManagedInstanceCore",
    ] {
        inv.add(
            "aws_iam_role_policy_attachment",
            "instance",
            Key::Str(p),
            vec![],
        );
    }
    inv.add("aws_iam_instance_profile", "instance", Key::None, vec![]);
}

/// The servers: role, instance profile, launch template and group of one each.
fn servers(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let sizes = v.get("servers");
    for (k, s) in items(&shape["servers"]) {
        let size = &sizes[k.as_str()];
        // The image is the module's, or the root's once some environment runs another; an
        // "ssm:" parameter is written as EC2's "resolve:ssm:" form (resolved at launch: a new
        // image behind the parameter is no change of the template).
        let image = size
            .get("image")
            .unwrap_or(&s["image"])
            .as_str()
            .unwrap_or_default();
        let image_id = if image.starts_with("ssm:") {
            format!("resolve:{image}")
        } else {
            image.to_string()
        };
        inv.add("aws_iam_role", "this", Key::Str(k), vec![]);
        inv.add("aws_iam_role_policy_attachment", "ssm", Key::Str(k), vec![]);
        if s["file_systems"].as_array().is_some_and(|f| !f.is_empty()) {
            inv.add("aws_iam_role_policy", "this", Key::Str(k), vec![]);
        }
        inv.add(
            "aws_iam_instance_profile",
            "this",
            Key::Str(k),
            vec![("name", json!(format!("{name}-{k}-server")))],
        );
        inv.add(
            "aws_launch_template",
            "this",
            Key::Str(k),
            vec![
                ("name", json!(format!("{name}-{k}"))),
                ("image_id", json!(image_id)),
                ("instance_type", size["instance_type"].clone()),
                (
                    "block_device_mappings.ebs.volume_size",
                    size["volume_size"].clone(),
                ),
            ],
        );
        // The group launches the template's latest version, which a change of the template
        // makes unknown until apply (and the instance refresh replaces the instance).
        let template = inv.address("aws_launch_template", "this", &Key::Str(k));
        inv.add(
            "aws_autoscaling_group",
            "this",
            Key::Str(k),
            vec![
                ("name", json!(format!("{name}-{k}"))),
                ("target_group_arns", s["target_groups"].clone()),
            ],
        )
        .reads("launch_template.version", [template]);
    }
}

/// The parameter group of a database or cache family: one per family, named after it.
fn parameter_group(inv: &mut Inv, resource_type: &str, name: &str, store: &Value) {
    let family = store["family"].as_str().unwrap_or_default();
    // A database with optional TLS has a group of its own (`parameter_group`).
    let key = store["parameter_group"].as_str().unwrap_or(family);
    inv.add(
        resource_type,
        "this",
        Key::Str(key),
        vec![
            ("name", json!(format!("{name}-{}", key.replace('.', "-")))),
            ("family", json!(family)),
        ],
    );
}

fn aurora(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let dbs_var = v.get("databases");
    for (_, db) in items(&shape["databases"]) {
        parameter_group(inv, "aws_rds_cluster_parameter_group", &name, db);
    }
    for (key, db) in items(&shape["databases"]) {
        let dv = &dbs_var[key.as_str()];
        let logs: &[&str] = if db["engine"] == "aurora-mysql" {
            &["audit", "error", "slowquery"]
        } else {
            &["postgresql"]
        };
        let ident = dv["identifier"].as_str().unwrap_or_default();
        for log in logs {
            inv.add(
                "aws_cloudwatch_log_group",
                "this",
                Key::Str(&format!("{key}/{log}")),
                vec![
                    ("name", json!(format!("/aws/rds/cluster/{ident}/{log}"))),
                    ("retention_in_days", retention(v, "log_retention_days")),
                ],
            );
        }
        inv.add(
            "terraform_data",
            "final_snapshot",
            Key::Str(key),
            vec![(
                "triggers_replace",
                json!([
                    ident,
                    db["engine"],
                    db["database_name"],
                    db["master_username"]
                ]),
            )],
        );
        let serverless = !dv["serverless"].is_null();
        inv.add(
            "aws_rds_cluster",
            "this",
            Key::Str(key),
            vec![
                ("cluster_identifier", json!(ident)),
                ("engine", db["engine"].clone()),
                ("engine_version", db["engine_version"].clone()),
                ("database_name", db["database_name"].clone()),
                ("master_username", db["master_username"].clone()),
                ("port", db["port"].clone()),
                (
                    "db_cluster_parameter_group",
                    db.get("parameter_group").unwrap_or(&db["family"]).clone(),
                ),
                (
                    "backup_retention_period",
                    dv["backup_retention_days"].clone(),
                ),
                ("deletion_protection", dv["deletion_protection"].clone()),
                (
                    "iam_database_authentication_enabled",
                    json!(!db["iam_user"].is_null()),
                ),
                (
                    "serverlessv2_scaling_configuration",
                    dv["serverless"].clone(),
                ),
            ],
        )
        .refs(
            "vpc_security_group_ids",
            [at(
                "security",
                "aws_security_group",
                "this",
                Some(&format!("database.{key}")),
            )],
        );
        let n = dv["instances"].as_u64().unwrap_or(0);
        for i in 1..=n {
            inv.add(
                "aws_rds_cluster_instance",
                "this",
                Key::Str(&format!("{key}/{i}")),
                vec![
                    ("identifier", json!(format!("{ident}-{i}"))),
                    (
                        "instance_class",
                        if serverless {
                            json!("db.serverless")
                        } else {
                            dv["instance_class"].clone()
                        },
                    ),
                ],
            );
        }
    }
    // monitoring_interval defaults to 60: the Enhanced Monitoring role exists.
    inv.add("aws_iam_role", "monitoring", Key::Index(0), vec![]);
    inv.add(
        "aws_iam_role_policy_attachment",
        "monitoring",
        Key::Index(0),
        vec![],
    );
}

fn elasticache(shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    let caches_var = v.get("caches");
    for (_, c) in items(&shape["caches"]) {
        parameter_group(inv, "aws_elasticache_parameter_group", &name, c);
    }
    let iam = shape["has_iam_auth"].as_bool().unwrap_or(false);
    let cache_group = |key: &str| {
        at(
            "security",
            "aws_security_group",
            "this",
            Some(&format!("cache.{key}")),
        )
    };
    for (key, c) in items(&shape["caches"]) {
        let cv = &caches_var[key.as_str()];
        let id = cv["id"].as_str().unwrap_or_default();
        if iam && c["auth"] == "iam" {
            inv.add(
                "aws_elasticache_user",
                "default",
                Key::Str(key),
                vec![
                    ("user_id", json!(format!("{id}-off"))),
                    ("engine", c["engine"].clone()),
                ],
            );
            inv.add(
                "aws_elasticache_user",
                "iam",
                Key::Str(key),
                vec![
                    ("user_id", json!(format!("{id}-iam"))),
                    ("engine", c["engine"].clone()),
                ],
            );
            inv.add(
                "aws_elasticache_user_group",
                "this",
                Key::Str(key),
                vec![
                    ("user_group_id", json!(id)),
                    ("engine", c["engine"].clone()),
                ],
            );
        }
        if c["engine"] != "memcached" && c["auth"] == "token" {
            inv.add("terraform_data", "auth_token", Key::Str(key), vec![]);
            inv.add(
                "aws_secretsmanager_secret",
                "auth_token",
                Key::Str(key),
                vec![("name_prefix", json!(format!("{id}-auth-token-")))],
            );
            inv.add(
                "aws_secretsmanager_secret_version",
                "auth_token",
                Key::Str(key),
                vec![],
            )
            .refs(
                "secret_id",
                [at(
                    "elasticache",
                    "aws_secretsmanager_secret",
                    "auth_token",
                    Some(key),
                )],
            );
        }
        if c["engine"] == "memcached" {
            inv.add(
                "aws_elasticache_cluster",
                "this",
                Key::Str(key),
                vec![
                    ("cluster_id", json!(id)),
                    ("engine_version", c["engine_version"].clone()),
                    ("node_type", cv["node_type"].clone()),
                    ("num_cache_nodes", cv["nodes"].clone()),
                    ("port", c["port"].clone()),
                    ("parameter_group", c["family"].clone()),
                    (
                        "transit_encryption_enabled",
                        c["transit_encryption"].clone(),
                    ),
                ],
            )
            .refs("security_group_ids", [cache_group(key)]);
        } else {
            for log in ["slow-log", "engine-log"] {
                inv.add(
                    "aws_cloudwatch_log_group",
                    "this",
                    Key::Str(&format!("{key}/{log}")),
                    vec![
                        ("name", json!(format!("/aws/elasticache/{id}/{log}"))),
                        ("retention_in_days", retention(v, "log_retention_days")),
                    ],
                );
            }
            inv.add(
                "terraform_data",
                "final_snapshot",
                Key::Str(key),
                vec![("triggers_replace", json!([id, c["port"]]))],
            );
            inv.add(
                "aws_elasticache_replication_group",
                "this",
                Key::Str(key),
                vec![
                    ("replication_group_id", json!(id)),
                    ("engine", c["engine"].clone()),
                    ("engine_version", c["engine_version"].clone()),
                    ("node_type", cv["node_type"].clone()),
                    ("num_cache_clusters", cv["nodes"].clone()),
                    ("port", c["port"].clone()),
                    ("parameter_group", c["family"].clone()),
                ],
            )
            .refs("security_group_ids", [cache_group(key)]);
        }
    }
}

fn efs(model: &AppModel, env: &EnvRoot, shape: &Value, v: &Vars, inv: &mut Inv) {
    let name = v.str("name");
    // The network's `data_subnet_ids`: its data subnets, or without them its private ones.
    let tier = if model
        .modules
        .iter()
        .any(|m| m.name == "network" && m.shape["data_subnets"].as_bool() == Some(true))
    {
        "data"
    } else {
        "private"
    };
    let file_system = |fs: &str| at("efs", "aws_efs_file_system", "this", Some(fs));
    // The mount targets go into the subnets the network module gives per AZ.
    let azs = env
        .calls
        .iter()
        .find(|c| c.module == "network")
        .map(|c| strings(Vars::new(c).get("availability_zones")))
        .unwrap_or_default();
    for (fs, f) in items(&shape["file_systems"]) {
        inv.add(
            "aws_efs_file_system",
            "this",
            Key::Str(fs),
            vec![
                ("creation_token", json!(format!("{name}-{fs}"))),
                ("throughput_mode", f["throughput_mode"].clone()),
                (
                    "provisioned_throughput_in_mibps",
                    if f["throughput_mode"] == "provisioned" {
                        f["provisioned_throughput_mibps"].clone()
                    } else {
                        Value::Null
                    },
                ),
            ],
        );
        inv.add("aws_efs_backup_policy", "this", Key::Str(fs), vec![])
            .refs("file_system_id", [file_system(fs)]);
        inv.add("aws_efs_file_system_policy", "this", Key::Str(fs), vec![])
            .refs("file_system_id", [file_system(fs)]);
        for az in &azs {
            inv.add(
                "aws_efs_mount_target",
                "this",
                Key::Str(&format!("{fs}/{az}")),
                vec![],
            )
            .refs("file_system_id", [file_system(fs)])
            .refs("subnet_id", [at("network", "aws_subnet", tier, Some(az))])
            .refs(
                "security_groups",
                [at(
                    "security",
                    "aws_security_group",
                    "this",
                    Some(&format!("file_system.{fs}")),
                )],
            );
        }
        for (ap, a) in items(&f["access_points"]) {
            inv.add(
                "aws_efs_access_point",
                "this",
                Key::Str(&format!("{fs}/{ap}")),
                vec![
                    ("posix_user.uid", a["uid"].clone()),
                    ("posix_user.gid", a["gid"].clone()),
                    ("root_directory.path", a["path"].clone()),
                    (
                        "root_directory.creation_info.permissions",
                        a["permissions"].clone(),
                    ),
                ],
            )
            .refs("file_system_id", [file_system(fs)]);
        }
    }
}

fn dns(shape: &Value, v: &Vars, inv: &mut Inv) {
    let names = v.get("public_record_names");
    for (key, r) in items(&shape["public_records"]) {
        let name = names
            .get(key.as_str())
            .cloned()
            .unwrap_or_else(|| json!(key));
        inv.add(
            "aws_route53_record",
            "public",
            Key::Str(key),
            vec![
                ("zone_id", v.get("zone_id").clone()),
                ("name", name),
                ("alias.load_balancer", r["load_balancer"].clone()),
            ],
        )
        .refs(
            "alias.name",
            [at(
                "alb",
                "aws_lb",
                "this",
                Some(r["load_balancer"].as_str().unwrap_or_default()),
            )],
        );
    }
    if let Some(zone) = shape["private_zone"].as_str() {
        inv.add(
            "aws_route53_zone",
            "private",
            Key::None,
            vec![("name", json!(zone))],
        )
        .refs("vpc.vpc_id", [at("network", "aws_vpc", "this", None)]);
        for (key, r) in items(&shape["private_records"]) {
            // `database.main` or `cache.session`: the endpoint of its cluster or group.
            let (kind, name) = r["target"]
                .as_str()
                .and_then(|t| t.split_once('.'))
                .unwrap_or_default();
            let targets: Vec<String> = match kind {
                "database" => vec![at("aurora", "aws_rds_cluster", "this", Some(name))],
                "cache" => vec![
                    at(
                        "elasticache",
                        "aws_elasticache_replication_group",
                        "this",
                        Some(name),
                    ),
                    at("elasticache", "aws_elasticache_cluster", "this", Some(name)),
                ],
                _ => Vec::new(),
            };
            inv.add(
                "aws_route53_record",
                "private",
                Key::Str(key),
                vec![
                    ("name", json!(format!("{key}.{zone}"))),
                    ("records", r["target"].clone()),
                ],
            )
            .refs("zone_id", [at("dns", "aws_route53_zone", "private", None)])
            .refs("records", targets);
        }
    }
}

fn bastion(v: &Vars, inv: &mut Inv) {
    inv.add("aws_iam_role", "this", Key::None, vec![]);
    inv.add("aws_iam_role_policy_attachment", "ssm", Key::None, vec![]);
    inv.add("aws_iam_instance_profile", "this", Key::None, vec![]);
    inv.add(
        "aws_launch_template",
        "this",
        Key::None,
        vec![
            ("instance_type", v.get("instance_type").clone()),
            (
                "network_interfaces.associate_public_ip_address",
                v.get("associate_public_ip_address").clone(),
            ),
        ],
    )
    .refs(
        "network_interfaces.security_groups",
        [at(
            "security",
            "aws_security_group",
            "this",
            Some("bastion"),
        )],
    );
    let tier = if v.str("subnet_ids").contains("public") {
        "public"
    } else {
        "private"
    };
    inv.add(
        "aws_autoscaling_group",
        "this",
        Key::None,
        vec![("vpc_zone_identifier", json!(tier))],
    )
    .refs("vpc_zone_identifier", [all("network", "aws_subnet", tier)])
    .reads(
        "launch_template.version",
        [at("bastion", "aws_launch_template", "this", None)],
    );
}

fn kms(v: &Vars, inv: &mut Inv) {
    inv.add("aws_kms_key", "this", Key::None, vec![]);
    inv.add(
        "aws_kms_alias",
        "this",
        Key::None,
        vec![("name", json!(format!("alias/{}", v.str("name"))))],
    )
    .refs("target_key_id", [at("kms", "aws_kms_key", "this", None)]);
    inv.add("aws_kms_key_policy", "this", Key::None, vec![])
        .refs("key_id", [at("kms", "aws_kms_key", "this", None)]);
}

/// The secrets a service's containers name in this environment (the root's `secrets`, or else
/// the blueprint's), as `source:reference`, sorted and once each: what its execution role may
/// read of its own.
fn own_secret_references(v: &Vars, service: &str, svc: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in svc["containers"].as_array().into_iter().flatten() {
        let cname = c["name"].as_str().unwrap_or_default();
        let env_secrets = &v.get("secrets")[service][cname];
        let secrets = if env_secrets.is_object() {
            env_secrets
        } else {
            &c["secrets"]
        };
        for x in secrets.as_object().into_iter().flatten().map(|(_, x)| x) {
            out.push(format!(
                "{}:{}",
                x["source"].as_str().unwrap_or_default(),
                x["reference"].as_str().unwrap_or_default()
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The resources whose ARNs a service's connection secrets take: a database's managed master
/// secret (an attribute of its cluster) and a cache's token secret, read from the expressions
/// the root passes (`module.aurora.master_user_secret_arns["main"]`, ...).
fn connection_secret_sources(conn: &Value) -> Vec<String> {
    const SOURCES: &[(&str, &str, &str, &str)] = &[
        (
            "module.aurora.master_user_secret_arns[\"",
            "aurora",
            "aws_rds_cluster",
            "this",
        ),
        (
            "module.elasticache.auth_token_secret_arns[\"",
            "elasticache",
            "aws_secretsmanager_secret",
            "auth_token",
        ),
    ];
    let mut out = Vec::new();
    for text in conn["secrets"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, x)| x.as_str())
    {
        for (marker, module, ty, name) in SOURCES {
            if let Some(rest) = text.split(marker).nth(1)
                && let Some(key) = rest.split('"').next()
            {
                out.push(at(module, ty, name, Some(key)));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The value a tracked argument had in all output of the tfblueprint versions that did not track
/// it yet (it was fixed then), so that an older inventory without it compares as that value and
/// not as a change from nothing.
pub fn untracked_value(resource_type: &str, attribute: &str) -> Option<Value> {
    Some(match (resource_type, attribute) {
        ("aws_lb_target_group", "health_check.matcher") => json!("200-399"),
        ("aws_lb_target_group", "health_check.interval") => json!(30),
        ("aws_lb_target_group", "health_check.timeout") => json!(5),
        ("aws_lb_target_group", "health_check.healthy_threshold") => json!(3),
        ("aws_lb_target_group", "health_check.unhealthy_threshold") => json!(3),
        _ => return None,
    })
}

/// Arguments that force a new resource (ForceNew in the AWS provider 5.100), for the resource
/// types and tracked attributes of the inventory. An attribute path forces when it or its
/// first segment is listed; `*` means every change is a replacement. None for a type the
/// inventory does not know (a test requires every type the modules emit to be listed).
pub fn forcing(resource_type: &str) -> Option<&'static [&'static str]> {
    Some(match resource_type {
        "aws_vpc" => &["cidr_block"],
        "aws_subnet" => &["availability_zone", "cidr_block", "vpc_id"],
        "aws_default_security_group" | "aws_route_table" => &["vpc_id"],
        "aws_route" => &["route_table_id"],
        "aws_route_table_association" => &["subnet_id"],
        "aws_nat_gateway" => &["subnet", "subnet_id", "allocation_id"],
        "aws_db_subnet_group" | "aws_elasticache_subnet_group" => &["name"],
        "aws_vpc_endpoint" => &["service_name", "vpc_id"],
        "aws_security_group" => &["name_prefix", "description", "vpc_id"],
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            &["security_group_id"]
        }
        "aws_lb" => &["name", "internal"],
        "aws_lb_target_group" => &["name", "port", "target_type", "vpc_id"],
        "aws_lb_listener" => &["load_balancer", "load_balancer_arn"],
        "aws_lb_listener_rule" => &["listener", "listener_arn"],
        "aws_ecs_cluster" => &["name"],
        "aws_ecs_task_definition" => &["*"],
        // Without force_new_deployment the provider forces a new service when the capacity
        // provider strategy changes.
        "aws_ecs_service" => &["name", "capacity_provider_strategy", "cluster"],
        "aws_ecs_capacity_provider"
        | "aws_autoscaling_group"
        | "aws_iam_instance_profile"
        | "aws_launch_template" => &["name"],
        "aws_ecr_repository" => &["name"],
        "aws_cloudwatch_log_group" => &["name"],
        "aws_service_discovery_private_dns_namespace" | "aws_service_discovery_http_namespace" => {
            &["name"]
        }
        "aws_service_discovery_service" => &["name", "dns_config.namespace_id"],
        "aws_rds_cluster_parameter_group" | "aws_elasticache_parameter_group" => {
            &["name", "family"]
        }
        "aws_rds_cluster" => &[
            "cluster_identifier",
            "engine",
            "database_name",
            "master_username",
        ],
        "aws_rds_cluster_instance" => &["identifier"],
        "aws_elasticache_replication_group" => &["replication_group_id", "port"],
        // A Memcached cluster changes neither its node type nor its in-transit encryption in
        // place.
        "aws_elasticache_cluster" => &[
            "cluster_id",
            "port",
            "node_type",
            "transit_encryption_enabled",
        ],
        "aws_elasticache_user" => &["user_id"],
        "aws_elasticache_user_group" => &["user_group_id"],
        "aws_efs_file_system" => &["creation_token"],
        "aws_efs_access_point" => &["posix_user", "root_directory", "file_system_id"],
        "aws_efs_mount_target" => &["file_system_id", "subnet_id"],
        "aws_efs_backup_policy" | "aws_efs_file_system_policy" => &["file_system_id"],
        "aws_route53_record" => &["zone_id", "name"],
        "aws_route53_zone" => &["name"],
        "terraform_data" => &["triggers_replace"],
        "aws_secretsmanager_secret" => &["name_prefix"],
        "aws_secretsmanager_secret_version" => &["secret_id"],
        "aws_kms_alias" => &["name"],
        // Types of which no tracked argument forces a new resource.
        "aws_appautoscaling_policy"
        | "aws_appautoscaling_target"
        | "aws_ecr_lifecycle_policy"
        | "aws_ecs_cluster_capacity_providers"
        | "aws_eip"
        | "aws_flow_log"
        | "aws_iam_role"
        | "aws_iam_role_policy"
        | "aws_iam_role_policy_attachment"
        | "aws_internet_gateway"
        | "aws_kms_key"
        | "aws_kms_key_policy" => &[],
        _ => return None,
    })
}

/// Whether changing `attribute` of a resource of this type from `before` to `after` replaces
/// it: [`forces_new`], except where the provider decides by the values. An ElastiCache
/// replication group goes from Redis to Valkey in place (a cross-engine upgrade); every other
/// engine change (back to Redis among them) replaces it.
pub fn change_forces_new(
    resource_type: &str,
    attribute: &str,
    before: &Value,
    after: &Value,
) -> bool {
    if resource_type == "aws_elasticache_replication_group" && attribute == "engine" {
        return !(before == "redis" && after == "valkey");
    }
    forces_new(resource_type, attribute)
}

/// Whether changing `attribute` of a resource of this type replaces it.
pub fn forces_new(resource_type: &str, attribute: &str) -> bool {
    let head = attribute.split('.').next().unwrap_or(attribute);
    forcing(resource_type)
        .unwrap_or_default()
        .iter()
        .any(|f| *f == "*" || *f == attribute || *f == head)
}

/// The name of the inventory file of an environment root, beside its `main.tf`.
pub const FILE_NAME: &str = "tfblueprint-resources.jsonl";

/// The inventory file of one environment: the generated header, then one JSON object per line
/// and resource, sorted by address: `{"address": ..., "attributes": {...}, "moved_from": [...]}`.
pub fn to_text(source: &str, resources: &BTreeMap<String, Resource>) -> String {
    let mut s = format!(
        "# Code generated by tfblueprint from {source}. DO NOT EDIT.\n# The resources Terraform plans for this environment, one JSON object a line; `tfblueprint diff` reads them.\n"
    );
    /// One line: the fields in this order, empty ones left out (serialized in place, not
    /// copied into a JSON value first).
    #[derive(Serialize)]
    struct Line<'a> {
        address: &'a str,
        attributes: &'a BTreeMap<String, Value>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        moved_from: &'a [String],
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        refs: &'a BTreeMap<String, Vec<String>>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        reads: &'a BTreeMap<String, Vec<String>>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        ignore_changes: &'a [String],
    }
    for r in resources.values() {
        let line = Line {
            address: &r.address,
            attributes: &r.attributes,
            moved_from: &r.moved_from,
            refs: &r.refs,
            reads: &r.reads,
            ignore_changes: &r.ignored,
        };
        s.push_str(&serde_json::to_string(&line).expect("an inventory line serializes"));
        s.push('\n');
    }
    s
}

fn string_lists(v: &Value) -> BTreeMap<String, Vec<String>> {
    v.as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
        .unwrap_or_default()
}

/// Reads an inventory file written by `to_text`.
pub fn parse(text: &str) -> anyhow::Result<BTreeMap<String, Resource>> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let v: Value =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1))?;
        let address = v["address"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("line {}: no address", n + 1))?
            .to_string();
        let attributes = v["attributes"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        out.insert(
            address.clone(),
            Resource {
                address,
                attributes,
                moved_from: strings(&v["moved_from"]),
                refs: string_lists(&v["refs"]),
                reads: string_lists(&v["reads"]),
                ignored: strings(&v["ignore_changes"]),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_type_of_addresses() {
        assert_eq!(
            resource_type("module.network.aws_subnet.private[\"a\"]"),
            "aws_subnet"
        );
        assert_eq!(
            resource_type("module.ecs.aws_ecs_cluster.this"),
            "aws_ecs_cluster"
        );
        assert_eq!(resource_type("aws_vpc.this"), "aws_vpc");
    }

    #[test]
    fn keys_are_quoted_as_terraform_prints_them() {
        assert_eq!(quote("us-west-2d"), "\"us-west-2d\"");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn forcing_attributes() {
        assert!(forces_new("aws_subnet", "cidr_block"));
        assert!(forces_new("aws_lb_target_group", "port"));
        assert!(!forces_new("aws_lb_target_group", "health_check.path"));
        assert!(forces_new(
            "aws_ecs_task_definition",
            "container_definitions.api.port"
        ));
        assert!(!forces_new(
            "aws_vpc_security_group_ingress_rule",
            "from_port"
        ));
        assert!(forces_new("aws_efs_access_point", "posix_user.uid"));
        let engine = |a: &str, b: &str| {
            change_forces_new(
                "aws_elasticache_replication_group",
                "engine",
                &json!(a),
                &json!(b),
            )
        };
        assert!(!engine("redis", "valkey"));
        assert!(engine("valkey", "redis"));
        assert!(engine("redis", "memcached"));
        assert!(change_forces_new(
            "aws_subnet",
            "cidr_block",
            &json!("10.0.0.0/24"),
            &json!("10.0.1.0/24")
        ));
    }

    #[test]
    fn inventory_text_round_trips() {
        let mut m = BTreeMap::new();
        let r = Resource {
            address: "module.network.aws_subnet.private[\"a\"]".into(),
            attributes: [("cidr_block".to_string(), json!("10.0.0.0/20"))].into(),
            moved_from: vec!["module.network.aws_subnet.old[\"a\"]".into()],
            refs: [(
                "vpc_id".to_string(),
                vec!["module.network.aws_vpc.this".to_string()],
            )]
            .into(),
            reads: [(
                "policy".to_string(),
                vec!["module.network.aws_vpc.this".to_string()],
            )]
            .into(),
            ignored: vec!["tags".into()],
        };
        m.insert(r.address.clone(), r);
        let text = to_text("x.hcl", &m);
        assert!(text.starts_with("# Code generated by tfblueprint from x.hcl. DO NOT EDIT.\n"));
        assert_eq!(parse(&text).unwrap(), m);
    }
}
