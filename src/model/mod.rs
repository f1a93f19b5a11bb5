//! Derived facts: what the blueprint means for AWS. Subnet plans, names that fit AWS's limits,
//! the security-group flow graph, listener rules, and the context each template renders from.
//!
//! The shape of the app (which parts exist and how they connect) goes into the modules, which
//! every environment shares; the values an environment may change go into its root, as the
//! arguments of its module calls.

pub mod cidr;
pub mod compute;
pub mod data;
pub mod existing;
pub mod flows;
pub mod kms;
pub mod names;
pub mod network;
pub mod operations;
pub mod security;
pub mod servers;
pub mod subnets;
pub mod wiring;

use crate::blueprint::{App, Blueprint, Environment};
use minijinja::Value;
use serde::Serialize;
use serde_json::json;

/// A value in generated HCL: a literal, or a Terraform expression written as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Hv {
    Lit(serde_json::Value),
    Expr(String),
    Map(Vec<(String, Hv)>),
    List(Vec<Hv>),
}

impl Hv {
    pub fn lit(v: impl Serialize) -> Hv {
        Hv::Lit(serde_json::to_value(v).expect("model values serialize"))
    }

    pub fn expr(e: impl Into<String>) -> Hv {
        Hv::Expr(e.into())
    }

    pub fn to_value(&self) -> Value {
        match self {
            Hv::Lit(v) => Value::from(minijinja::value::Serde(v)),
            Hv::Expr(e) => Value::from_safe_string(e.clone()),
            Hv::Map(items) => {
                Value::from_pairs(items.iter().map(|(k, v)| (k.clone(), v.to_value())))
            }
            Hv::List(items) => Value::from(items.iter().map(Hv::to_value).collect::<Vec<_>>()),
        }
    }
}

/// For each name, an object of another module's outputs for that name:
/// `name = { field = module.<module>.<output>["name"] }` for each `(field, output)`.
pub fn outputs_by_name<S: AsRef<str>>(names: &[S], module: &str, fields: &[(&str, &str)]) -> Hv {
    Hv::Map(
        names
            .iter()
            .map(|name| {
                let q = crate::render::hcl::quote(name.as_ref());
                let object = fields
                    .iter()
                    .map(|(field, output)| {
                        (
                            field.to_string(),
                            Hv::expr(format!("module.{module}.{output}[{q}]")),
                        )
                    })
                    .collect();
                (name.as_ref().to_string(), Hv::Map(object))
            })
            .collect(),
    )
}

/// One argument of a module call; `gap` puts a blank line before it.
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub value: Hv,
    pub gap: bool,
}

/// A module call in an environment root.
#[derive(Debug, Clone)]
pub struct Call {
    pub module: &'static str,
    pub args: Vec<Arg>,
}

impl Call {
    pub fn new(module: &'static str) -> Call {
        Call {
            module,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: Hv) -> Call {
        self.args.push(Arg {
            name: name.into(),
            value,
            gap: false,
        });
        self
    }

    /// Starts a new group of arguments, after a blank line.
    pub fn group(mut self, name: &str, value: Hv) -> Call {
        self.args.push(Arg {
            name: name.into(),
            value,
            gap: true,
        });
        self
    }
}

/// A variable of an environment root.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub description: String,
    pub type_: String,
    pub default: Hv,
}

/// An output of an environment root.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub value: String,
}

/// A generated module: its name and the shape data its templates render.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: &'static str,
    pub shape: serde_json::Value,
}

/// One environment root.
#[derive(Debug, Clone)]
pub struct EnvRoot {
    pub name: String,
    pub account_id: Option<String>,
    /// The role the provider assumes, if any.
    pub role_arn: Option<String>,
    /// The S3 backend (`bucket`, `key`, `region`), if the blueprint has a `state` block.
    pub backend: Option<serde_json::Value>,
    pub tags: serde_json::Value,
    /// What sets this environment apart, for the app README's table.
    pub summary: serde_json::Value,
    pub calls: Vec<Call>,
    pub variables: Vec<Variable>,
    pub outputs: Vec<Output>,
}

/// Everything the templates of one app render from.
#[derive(Debug, Clone)]
pub struct AppModel {
    pub source: String,
    /// The architecture as a Mermaid flowchart, for the README.
    pub diagram: String,
    pub app: serde_json::Value,
    pub modules: Vec<Module>,
    pub envs: Vec<EnvRoot>,
}

/// What one module contributes: its shape (from the app) and, per environment, its call and
/// any root variables and outputs it needs.
pub trait ModuleBuilder {
    const NAME: &'static str;
    fn wanted(app: &App) -> bool;
    fn shape(app: &App) -> serde_json::Value;
    fn call(app: &App, env: &Environment) -> Call;
    fn variables(_app: &App, _env: &Environment) -> Vec<Variable> {
        Vec::new()
    }
    fn outputs(_app: &App) -> Vec<Output> {
        Vec::new()
    }
}

pub fn build(bp: &Blueprint) -> AppModel {
    let app = &bp.app;
    let mut model = AppModel {
        source: bp.source.clone(),
        diagram: crate::report::mermaid(app),
        app: json!({
            "name": app.name,
            "description": app.description,
            "region": app.region,
            "tags": app.tags,
        }),
        modules: Vec::new(),
        envs: bp
            .environments
            .iter()
            .map(|e| EnvRoot {
                name: e.name.clone(),
                account_id: e.account_id.clone(),
                role_arn: e.app.role_arn.as_ref().map(|(arn, _)| arn.clone()),
                backend: e.app.state.as_ref().map(|st| {
                    json!({
                        "bucket": st.bucket,
                        "key": format!("{}/{}/terraform.tfstate", app.name, e.name),
                        "region": st.region,
                    })
                }),
                tags: json!(default_tags(&app.name, &e.name, &e.app.tags)),
                summary: summary(&e.app),
                calls: Vec::new(),
                variables: Vec::new(),
                outputs: Vec::new(),
            })
            .collect(),
    };
    add::<kms::Kms>(bp, &mut model);
    add::<network::Network>(bp, &mut model);
    add::<security::Security>(bp, &mut model);
    add::<compute::Alb>(bp, &mut model);
    add::<compute::Ecs>(bp, &mut model);
    add::<data::Aurora>(bp, &mut model);
    add::<data::Elasticache>(bp, &mut model);
    add::<data::Efs>(bp, &mut model);
    add::<data::Dns>(bp, &mut model);
    add::<data::Bastion>(bp, &mut model);
    add::<servers::Servers>(bp, &mut model);
    wiring::add_outputs(&mut model, app.network.existing.is_some());
    model
}

fn add<M: ModuleBuilder>(bp: &Blueprint, model: &mut AppModel) {
    if !M::wanted(&bp.app) {
        return;
    }
    model.modules.push(Module {
        name: M::NAME,
        shape: M::shape(&bp.app),
    });
    for (env, root) in bp.environments.iter().zip(model.envs.iter_mut()) {
        let call = kms::wire(&bp.app, M::call(&bp.app, env));
        root.calls
            .push(operations::wire_log_retention(&env.app, call));
        root.variables.extend(M::variables(&bp.app, env));
        root.outputs.extend(M::outputs(&bp.app));
    }
}

/// Tags every resource of an environment gets through the provider's `default_tags`: the
/// blueprint's tags, then the app, the environment and the tool (which win).
fn default_tags(
    app: &str,
    env: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut all: serde_json::Map<String, serde_json::Value> =
        tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    all.insert("Application".into(), json!(app));
    all.insert("Environment".into(), json!(env));
    all.insert("ManagedBy".into(), json!("tfblueprint"));
    all
}

/// One environment in a few words: its network, NAT and the size of each part.
fn summary(app: &App) -> serde_json::Value {
    let n = &app.network;
    let mut sizes: Vec<String> = app
        .services
        .iter()
        .map(|s| match &s.autoscaling {
            Some(a) => format!("{} {}-{}", s.name, a.min, a.max),
            None => format!("{} x{}", s.name, s.desired_count),
        })
        .collect();
    sizes.extend(
        app.databases
            .iter()
            .map(|d| format!("{} {} x{}", d.name, d.instance_class, d.instances)),
    );
    sizes.extend(
        app.caches
            .iter()
            .map(|c| format!("{} {} x{}", c.name, c.node_type, c.nodes)),
    );
    json!({
        "cidr": n.existing.as_ref().map_or(n.cidr.clone(), |e| format!("{} ({})", e.vpc_cidr, e.vpc_id)),
        "azs": n.azs.len(),
        "nat": if n.existing.is_some() { "the VPC's own" } else { n.nat.as_str() },
        "sizes": sizes.join(", "),
    })
}
