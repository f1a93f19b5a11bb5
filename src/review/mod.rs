//! Review-grade diffs: what a blueprint change will do to each environment, resource by
//! resource, before anyone plans.
//!
//! One mechanism: every environment root carries its resource inventory
//! (`envs/<env>/tfblueprint-resources.jsonl`, written by `generate` like any other file). The
//! old output (the files on disk, or as committed at a git revision) holds the old inventory,
//! the run renders the new one, and comparing the two gives the creates, updates, replacements
//! and deletes. See docs/diff.md.

pub mod base;
pub mod inventory;
pub mod report;

use crate::model::AppModel;
use crate::output::sync::{Action, AppOutput, FileChange};
use crate::render::RenderedFile;
use inventory::{Resource, forces_new};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The inventory files of a model's environment roots.
pub fn inventory_files(model: &AppModel) -> Vec<RenderedFile> {
    inventory::inventory(model)
        .into_iter()
        .map(|(env, resources)| RenderedFile {
            path: format!("envs/{env}/{}", inventory::FILE_NAME),
            content: inventory::to_text(&model.source, &resources),
        })
        .collect()
}

/// What Terraform will do to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceAction {
    Replace,
    Delete,
    Update,
    Move,
    Create,
}

impl ResourceAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceAction::Create => "create",
            ResourceAction::Update => "update",
            ResourceAction::Replace => "replace",
            ResourceAction::Delete => "delete",
            ResourceAction::Move => "move",
        }
    }

    /// The symbol Terraform's plan uses.
    pub fn symbol(self) -> &'static str {
        match self {
            ResourceAction::Create => "+",
            ResourceAction::Update => "~",
            ResourceAction::Replace => "-/+",
            ResourceAction::Delete => "-",
            ResourceAction::Move => "->",
        }
    }
}

/// One attribute that changes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeChange {
    pub attribute: String,
    pub before: Value,
    pub after: Value,
    pub forces_replacement: bool,
}

/// The predicted change of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub address: String,
    pub action: ResourceAction,
    pub changes: Vec<AttributeChange>,
    /// The attributes that force the replacement (empty unless the action is replace).
    pub forced_by: Vec<String>,
    /// The old address of a resource that a `moved` block carries over.
    pub moved_from: Option<String>,
}

/// The attributes that differ between two versions of a resource.
fn attribute_changes(ty: &str, old: &Resource, new: &Resource) -> Vec<AttributeChange> {
    let names: BTreeSet<&String> = old.attributes.keys().chain(new.attributes.keys()).collect();
    names
        .into_iter()
        .filter_map(|a| {
            let before = old.attributes.get(a).cloned().unwrap_or(Value::Null);
            let after = new.attributes.get(a).cloned().unwrap_or(Value::Null);
            (before != after).then(|| AttributeChange {
                forces_replacement: forces_new(ty, a),
                attribute: a.clone(),
                before,
                after,
            })
        })
        .collect()
}

fn changed(
    address: &str,
    changes: Vec<AttributeChange>,
    moved_from: Option<String>,
) -> Option<ResourceChange> {
    let forced_by: Vec<String> = changes
        .iter()
        .filter(|c| c.forces_replacement)
        .map(|c| c.attribute.clone())
        .collect();
    let action = if !forced_by.is_empty() {
        ResourceAction::Replace
    } else if !changes.is_empty() {
        ResourceAction::Update
    } else if moved_from.is_some() {
        ResourceAction::Move
    } else {
        return None;
    };
    Some(ResourceChange {
        address: address.to_string(),
        action,
        changes,
        forced_by,
        moved_from,
    })
}

/// Classifies every resource of two inventories of one environment, in address order.
pub fn classify(
    old: &BTreeMap<String, Resource>,
    new: &BTreeMap<String, Resource>,
) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    let mut moved_away = BTreeSet::new();
    for (address, r) in new {
        let ty = r.resource_type();
        if let Some(o) = old.get(address) {
            out.extend(changed(address, attribute_changes(ty, o, r), None));
            continue;
        }
        let from = r
            .moved_from
            .iter()
            .find(|m| old.contains_key(*m) && !new.contains_key(*m));
        match from {
            Some(m) => {
                moved_away.insert(m.clone());
                let o = &old[m];
                out.extend(changed(
                    address,
                    attribute_changes(ty, o, r),
                    Some(m.clone()),
                ));
            }
            None => out.push(ResourceChange {
                address: address.clone(),
                action: ResourceAction::Create,
                changes: Vec::new(),
                forced_by: Vec::new(),
                moved_from: None,
            }),
        }
    }
    for address in old.keys() {
        if !new.contains_key(address) && !moved_away.contains(address) {
            out.push(ResourceChange {
                address: address.clone(),
                action: ResourceAction::Delete,
                changes: Vec::new(),
                forced_by: Vec::new(),
                moved_from: None,
            });
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out
}

/// The review of one environment root.
#[derive(Debug, Clone)]
pub struct EnvReview {
    pub app: String,
    pub env: String,
    /// Why no prediction could be made (the old output has no inventory), if so.
    pub unknown: Option<String>,
    pub resources: Vec<ResourceChange>,
}

impl EnvReview {
    pub fn count(&self, action: ResourceAction) -> usize {
        self.resources.iter().filter(|r| r.action == action).count()
    }
}

/// The whole review of a run: per environment, then the files.
#[derive(Debug, Clone)]
pub struct Review {
    /// Where the old output comes from: `disk` or `git:<ref>`.
    pub base: String,
    pub envs: Vec<EnvReview>,
    pub files: Vec<FileChange>,
}

impl Review {
    pub fn changed(&self) -> bool {
        !self.files.is_empty()
    }
}

/// `<app>/envs/<env>/<inventory>` -> (app, env).
fn inventory_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_suffix(inventory::FILE_NAME)?.strip_suffix('/')?;
    let (app, env) = rest.split_once("/envs/")?;
    (!app.contains('/') && !env.contains('/')).then_some((app, env))
}

/// The environments of one app of the run, given the app's files that differ from the old
/// output (every file of the app not listed is unchanged), in the order of their paths.
pub fn review_app(app: &AppOutput, files: &[FileChange]) -> anyhow::Result<Vec<EnvReview>> {
    let by_path: BTreeMap<&str, &FileChange> = files.iter().map(|c| (c.path.as_str(), c)).collect();
    let mut paths: BTreeSet<String> = app
        .files
        .keys()
        .map(|rel| format!("{}/{rel}", app.app))
        .collect();
    paths.extend(files.iter().map(|c| c.path.clone()));
    let mut envs = Vec::new();
    for path in &paths {
        // Every path is the app's own: `<app>/envs/<env>/<inventory>`.
        let Some((app_name, env)) = inventory_path(path) else {
            continue;
        };
        let new_text = app
            .files
            .get(&format!("envs/{env}/{}", inventory::FILE_NAME));
        let change = by_path.get(path.as_str());
        let old_text: Option<&str> = match change {
            Some(c) => c.old.as_deref(),
            None => new_text.map(String::as_str),
        };
        let mut unknown = None;
        if old_text.is_none() {
            // No old inventory: a new environment, unless its root existed already.
            let main = format!("{app_name}/envs/{env}/main.tf");
            let root_existed = by_path
                .get(main.as_str())
                .is_none_or(|c| c.action != Action::Create);
            if root_existed {
                unknown = Some(format!(
                    "the old output of {app_name}/envs/{env} has no resource inventory ({}); it was generated by an older tfblueprint",
                    inventory::FILE_NAME
                ));
            }
        }
        let parse = |t: Option<&str>| -> anyhow::Result<BTreeMap<String, Resource>> {
            match t {
                Some(t) => inventory::parse(t).map_err(|e| anyhow::anyhow!("{path}: {e}")),
                None => Ok(BTreeMap::new()),
            }
        };
        let resources = if unknown.is_some() {
            Vec::new()
        } else {
            classify(&parse(old_text)?, &parse(new_text.map(String::as_str))?)
        };
        envs.push(EnvReview {
            app: app_name.to_string(),
            env: env.to_string(),
            unknown,
            resources,
        });
    }
    Ok(envs)
}

impl Review {
    /// The review of a run from the reviews of its apps ([`review_app`] and the app's changed
    /// files), in any order: environments and files come out in the order of their paths.
    pub fn from_apps(base: &str, apps: Vec<(Vec<EnvReview>, Vec<FileChange>)>) -> Review {
        let mut envs = Vec::new();
        let mut files = Vec::new();
        for (mut e, mut f) in apps {
            envs.append(&mut e);
            files.append(&mut f);
        }
        envs.sort_by_cached_key(|e| format!("{}/envs/{}/", e.app, e.env));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Review {
            base: base.to_string(),
            envs,
            files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(address: &str, attrs: &[(&str, Value)]) -> Resource {
        Resource {
            address: address.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            moved_from: Vec::new(),
        }
    }

    fn inv(rs: Vec<Resource>) -> BTreeMap<String, Resource> {
        rs.into_iter().map(|r| (r.address.clone(), r)).collect()
    }

    #[test]
    fn classifies_create_update_replace_delete() {
        let tg = "module.alb.aws_lb_target_group.this[\"api.public\"]";
        let rule = "module.alb.aws_lb_listener_rule.this[\"public.https.api\"]";
        let old = inv(vec![
            res(
                tg,
                &[("port", json!(80)), ("health_check.path", json!("/"))],
            ),
            res(rule, &[("priority", json!(10))]),
            res(
                "module.network.aws_subnet.private[\"a\"]",
                &[("cidr_block", json!("10.0.0.0/20"))],
            ),
            res("module.network.aws_vpc.this", &[]),
        ]);
        let new = inv(vec![
            res(
                tg,
                &[
                    ("port", json!(8080)),
                    ("health_check.path", json!("/health")),
                ],
            ),
            res(rule, &[("priority", json!(11))]),
            res(
                "module.network.aws_subnet.private[\"b\"]",
                &[("cidr_block", json!("10.0.16.0/20"))],
            ),
            res("module.network.aws_vpc.this", &[]),
        ]);
        let got = classify(&old, &new);
        let find = |a: &str| got.iter().find(|c| c.address == a).unwrap();
        assert_eq!(got.len(), 4, "{got:#?}");
        let t = find(tg);
        assert_eq!(t.action, ResourceAction::Replace);
        assert_eq!(t.forced_by, vec!["port".to_string()]);
        assert_eq!(t.changes.len(), 2);
        assert_eq!(find(rule).action, ResourceAction::Update);
        assert!(find(rule).forced_by.is_empty());
        assert_eq!(
            find("module.network.aws_subnet.private[\"a\"]").action,
            ResourceAction::Delete
        );
        assert_eq!(
            find("module.network.aws_subnet.private[\"b\"]").action,
            ResourceAction::Create
        );
    }

    #[test]
    fn moved_resources_are_not_deleted() {
        let old = inv(vec![res(
            "module.ecs.aws_ecs_service.this[\"api\"]",
            &[("desired_count", json!(2))],
        )]);
        let mut moved = res("module.ecs.aws_ecs_service.autoscaled[\"api\"]", &[]);
        moved.moved_from = vec!["module.ecs.aws_ecs_service.this[\"api\"]".into()];
        let got = classify(&old, &inv(vec![moved.clone()]));
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].action, ResourceAction::Update);
        assert_eq!(
            got[0].moved_from.as_deref(),
            Some("module.ecs.aws_ecs_service.this[\"api\"]")
        );
        let same = inv(vec![res("module.ecs.aws_ecs_service.this[\"api\"]", &[])]);
        let got = classify(&same, &inv(vec![moved]));
        assert_eq!(got[0].action, ResourceAction::Move);
    }

    #[test]
    fn identical_inventories_have_no_changes() {
        let a = inv(vec![res(
            "module.network.aws_vpc.this",
            &[("cidr_block", json!("10.0.0.0/16"))],
        )]);
        assert!(classify(&a, &a).is_empty());
    }

    #[test]
    fn inventory_paths() {
        assert_eq!(
            inventory_path("shop/envs/dev/tfblueprint-resources.jsonl"),
            Some(("shop", "dev"))
        );
        assert_eq!(inventory_path("shop/envs/dev/main.tf"), None);
    }
}
