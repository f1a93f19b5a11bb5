//! Test support: what the generated Terraform asks of the AWS provider, and whether a provider
//! schema has it.
//!
//! A [`Tree`] maps a name to what is under it: under a resource type its arguments (leaves)
//! and nested blocks (with their own arguments and blocks). [`usage`] reads it from generated
//! `.tf` files, `dynamic "x"` counting as block `x`; a schema is the same shape, read from
//! `terraform providers schema -json` ([`from_terraform_schema`]) or from the normalized JSON
//! that `.ci/provider-compat` writes from `@cdktf/provider-aws` ([`Schema::from_json`]).

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::structure::{Body, Structure};
use serde_json::{Value, json};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree(pub BTreeMap<String, Tree>);

impl Tree {
    fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }

    fn from_json(v: &Value) -> Tree {
        Tree(
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), Tree::from_json(v)))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    fn merge(&mut self, other: Tree) {
        for (k, v) in other.0 {
            self.0.entry(k).or_default().merge(v);
        }
    }
}

/// Resource and data source types, each with its tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// What the schema describes (`hashicorp/aws 6.25.0 ...`).
    pub provider: String,
    pub resource: BTreeMap<String, Tree>,
    pub data: BTreeMap<String, Tree>,
    /// Dotted paths the provider marks deprecated.
    pub deprecated: Vec<String>,
}

impl Schema {
    pub fn to_json(&self) -> Value {
        let kinds = |m: &BTreeMap<String, Tree>| {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
        };
        json!({
            "provider": self.provider,
            "resource": kinds(&self.resource),
            "data": kinds(&self.data),
            "deprecated": self.deprecated,
        })
    }

    pub fn from_json(v: &Value) -> Schema {
        let kinds = |key: &str| -> BTreeMap<String, Tree> {
            v[key]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), Tree::from_json(v)))
                        .collect()
                })
                .unwrap_or_default()
        };
        Schema {
            provider: v["provider"].as_str().unwrap_or_default().to_string(),
            resource: kinds("resource"),
            data: kinds("data"),
            deprecated: v["deprecated"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Every dotted path of `used` that this schema lacks (`aws_x.block.argument`, data
    /// sources as `data.aws_y....`), and every one it marks deprecated.
    pub fn lacks(&self, used: &Schema) -> (Vec<String>, Vec<String>) {
        let mut missing = Vec::new();
        let mut found = Vec::new();
        for (prefix, mine, theirs) in [
            ("", &self.resource, &used.resource),
            ("data.", &self.data, &used.data),
        ] {
            for (ty, tree) in theirs {
                let at = format!("{prefix}{ty}");
                match mine.get(ty) {
                    None => missing.push(format!("{at} (no such type)")),
                    Some(have) => walk(&at, have, tree, &mut missing, &mut found),
                }
            }
        }
        let deprecated = found
            .into_iter()
            .filter(|p| self.deprecated.contains(p))
            .collect();
        (missing, deprecated)
    }
}

fn walk(at: &str, have: &Tree, used: &Tree, missing: &mut Vec<String>, found: &mut Vec<String>) {
    for (name, sub) in &used.0 {
        let path = format!("{at}.{name}");
        match have.0.get(name) {
            None => missing.push(path),
            Some(h) => {
                found.push(path.clone());
                walk(&path, h, sub, missing, found);
            }
        }
    }
}

/// Meta-arguments and blocks of the language, not of the provider.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
];

fn body_tree(body: &Body) -> Tree {
    let mut tree = Tree::default();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                tree.0.entry(a.key.as_str().to_string()).or_default();
            }
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                let name = b
                    .labels
                    .first()
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default();
                let content = b.body.iter().find_map(|s| match s {
                    Structure::Block(c) if c.ident.as_str() == "content" => {
                        Some(body_tree(&c.body))
                    }
                    _ => None,
                });
                tree.0
                    .entry(name)
                    .or_default()
                    .merge(content.unwrap_or_default());
            }
            Structure::Block(b) => {
                tree.0
                    .entry(b.ident.as_str().to_string())
                    .or_default()
                    .merge(body_tree(&b.body));
            }
        }
    }
    tree
}

/// What every `.tf` file under `dir` uses of the `aws` provider: `aws_*` resources and data
/// sources with their arguments and blocks.
pub fn usage(dir: &Path) -> Schema {
    let mut used = Schema {
        provider: "the generated code".into(),
        ..Schema::default()
    };
    for entry in walk_tf(dir) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let body = hcl_edit::parser::parse_body(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.display()));
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            let kind = b.ident.as_str();
            let Some(ty) = b.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            if !ty.starts_with("aws_") {
                continue;
            }
            let mut tree = body_tree(&b.body);
            tree.0.retain(|k, _| !META.contains(&k.as_str()));
            match kind {
                "resource" => used.resource.entry(ty).or_default().merge(tree),
                "data" => used.data.entry(ty).or_default().merge(tree),
                _ => {}
            }
        }
    }
    used
}

fn walk_tf(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != ".terraform") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "tf") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The tree of a block of `terraform providers schema -json`; deprecated paths pushed on `dep`.
fn schema_block(at: &str, block: &Value, dep: &mut Vec<String>) -> Tree {
    let mut tree = Tree::default();
    if let Some(attrs) = block["attributes"].as_object() {
        for (name, a) in attrs {
            let path = format!("{at}.{name}");
            if a["deprecated"].as_bool() == Some(true) {
                dep.push(path.clone());
            }
            let sub = if a["nested_type"].is_object() {
                schema_block(&path, &a["nested_type"], dep)
            } else {
                Tree::default()
            };
            tree.0.insert(name.clone(), sub);
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, b) in blocks {
            let path = format!("{at}.{name}");
            if b["block"]["deprecated"].as_bool() == Some(true) {
                dep.push(path.clone());
            }
            tree.0
                .insert(name.clone(), schema_block(&path, &b["block"], dep));
        }
    }
    tree
}

/// The AWS provider's schema from `terraform providers schema -json`.
pub fn from_terraform_schema(v: &Value) -> Schema {
    let (source, p) = v["provider_schemas"]
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.ends_with("hashicorp/aws")))
        .expect("the AWS provider's schema");
    let mut schema = Schema {
        provider: source.clone(),
        ..Schema::default()
    };
    for (key, prefix, target) in [
        ("resource_schemas", "", &mut schema.resource),
        ("data_source_schemas", "data.", &mut schema.data),
    ] {
        for (ty, s) in p[key].as_object().into_iter().flatten() {
            let tree = schema_block(
                &format!("{prefix}{ty}"),
                &s["block"],
                &mut schema.deprecated,
            );
            target.insert(ty.clone(), tree);
        }
    }
    schema
}
