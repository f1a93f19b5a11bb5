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
use inventory::{Resource, change_forces_new, forces_new};
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
    /// The referenced resources this change follows from, by argument.
    pub follows: Vec<Follow>,
}

/// A change that follows from a referenced resource: `attribute` (a reference of the
/// inventory, see [`Resource::refs`]) takes a computed attribute of `address`, which is
/// replaced, created, deleted, or no longer the one referenced.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Follow {
    pub attribute: String,
    pub address: String,
    /// `replacement`, `creation`, `deletion` (of a resource the argument no longer references)
    /// or `reference` (the argument references another existing resource).
    pub cause: &'static str,
}

impl Follow {
    /// `replacement of module.alb.aws_lb.this["public"]`
    pub fn describe(&self) -> String {
        if self.cause == "reference" {
            format!("reference to {}", self.address)
        } else {
            format!("{} of {}", self.cause, self.address)
        }
    }
}

/// A tracked attribute that changes but that the module's `ignore_changes` lists: Terraform
/// plans nothing for it.
#[derive(Debug, Clone, PartialEq)]
pub struct IgnoredChange {
    pub address: String,
    pub attribute: String,
    pub before: Value,
    pub after: Value,
}

/// The attributes that differ between two versions of a resource (those Terraform ignores
/// left out).
fn attribute_changes(ty: &str, old: &Resource, new: &Resource) -> Vec<AttributeChange> {
    let names: BTreeSet<&String> = old.attributes.keys().chain(new.attributes.keys()).collect();
    names
        .into_iter()
        .filter(|a| !new.ignored.contains(a))
        .filter_map(|a| {
            let before = old
                .attributes
                .get(a)
                .cloned()
                .or_else(|| inventory::untracked_value(ty, a))
                .unwrap_or(Value::Null);
            let after = new.attributes.get(a).cloned().unwrap_or(Value::Null);
            (before != after).then(|| AttributeChange {
                forces_replacement: change_forces_new(ty, a, &before, &after),
                attribute: a.clone(),
                before,
                after,
            })
        })
        .collect()
}

/// The action of a resource that exists before and after, from what changes.
fn kept_action(r: &ResourceChange) -> Option<ResourceAction> {
    if !r.forced_by.is_empty() {
        Some(ResourceAction::Replace)
    } else if r.moved_from.is_some() {
        Some(ResourceAction::Move)
    } else if !r.changes.is_empty() || !r.follows.is_empty() {
        Some(ResourceAction::Update)
    } else {
        None
    }
}

/// Classifies every resource of two inventories of one environment, in address order.
///
/// An address only in the new inventory is a create, or a move when a `moved` block carries
/// one of its old addresses; one only in the old inventory is a delete. A resource in both is
/// compared: its tracked attributes, then its references, repeated until nothing more changes:
/// a reference whose target is replaced or created, or whose set of targets changes, changes
/// the argument, which replaces the resource when the argument forces a new one (and so on).
pub fn classify(
    old: &BTreeMap<String, Resource>,
    new: &BTreeMap<String, Resource>,
) -> Vec<ResourceChange> {
    let mut kept: BTreeMap<&str, ResourceChange> = BTreeMap::new();
    let mut pairs: Vec<(&Resource, &Resource)> = Vec::new();
    // Old address -> new address, for the resources a `moved` block carries.
    let mut renamed: BTreeMap<&str, &str> = BTreeMap::new();
    let mut created = BTreeSet::new();
    for (address, r) in new {
        let (o, moved_from) = match old.get(address) {
            Some(o) => (o, None),
            None => match r
                .moved_from
                .iter()
                .find(|m| old.contains_key(*m) && !new.contains_key(*m))
            {
                Some(m) => {
                    renamed.insert(m.as_str(), address.as_str());
                    (&old[m], Some(m.clone()))
                }
                None => {
                    created.insert(address.as_str());
                    continue;
                }
            },
        };
        let changes = attribute_changes(r.resource_type(), o, r);
        let forced_by = changes
            .iter()
            .filter(|c| c.forces_replacement)
            .map(|c| c.attribute.clone())
            .collect();
        pairs.push((o, r));
        kept.insert(
            address,
            ResourceChange {
                address: address.clone(),
                action: ResourceAction::Update,
                changes,
                forced_by,
                moved_from,
                follows: Vec::new(),
            },
        );
    }
    let deleted: BTreeSet<&str> = old
        .keys()
        .map(String::as_str)
        .filter(|a| !new.contains_key(*a) && !renamed.contains_key(a))
        .collect();
    // The references, to a fixed point: each round can only add follows (and forced
    // arguments), of which there are finitely many.
    loop {
        let replaced: BTreeSet<&str> = kept
            .iter()
            .filter(|(_, c)| kept_action(c) == Some(ResourceAction::Replace))
            .map(|(a, _)| *a)
            .collect();
        // Planned changes of any kind (a plain move is none).
        let updated: BTreeSet<&str> = kept
            .iter()
            .filter(|(_, c)| !c.changes.is_empty() || !c.follows.is_empty())
            .map(|(a, _)| *a)
            .collect();
        let changed: BTreeSet<&str> = created
            .iter()
            .chain(&deleted)
            .chain(&updated)
            .chain(&replaced)
            .copied()
            .collect();
        let mut more = false;
        for (o, r) in &pairs {
            for (argument, targets) in &r.refs {
                let after: BTreeSet<&str> = targets.iter().map(String::as_str).collect();
                let before: BTreeSet<&str> = match o.refs.get(argument) {
                    Some(old_targets) => old_targets
                        .iter()
                        .map(|t| renamed.get(t.as_str()).copied().unwrap_or(t.as_str()))
                        .collect(),
                    // An old inventory without this reference (written before references
                    // were tracked): only created and replaced targets count.
                    None if o.refs.is_empty() => after.difference(&created).copied().collect(),
                    None => BTreeSet::new(),
                };
                let mut follows: Vec<Follow> = Vec::new();
                let mut follow = |address: &str, cause| {
                    follows.push(Follow {
                        attribute: argument.clone(),
                        address: address.to_string(),
                        cause,
                    })
                };
                for t in &after {
                    if !before.contains(t) {
                        follow(
                            t,
                            if created.contains(t) {
                                "creation"
                            } else {
                                "reference"
                            },
                        );
                    } else if replaced.contains(t) {
                        follow(t, "replacement");
                    }
                }
                for t in before.difference(&after) {
                    follow(
                        t,
                        if deleted.contains(t) {
                            "deletion"
                        } else {
                            "reference"
                        },
                    );
                }
                let change = kept.get_mut(r.address.as_str()).expect("kept");
                add_follows(change, follows, argument, r.resource_type(), &mut more);
            }
            for (argument, targets) in &r.reads {
                let mut follows = Vec::new();
                let old_targets = o.reads.get(argument).into_iter().flatten();
                // A `[*]` read stands for every instance: only the changed ones matter.
                let targets: BTreeSet<&str> = targets
                    .iter()
                    .chain(old_targets)
                    .flat_map(|t| match t.strip_suffix("[*]") {
                        Some(base) => {
                            let start = format!("{base}[");
                            changed
                                .range::<str, _>((
                                    std::ops::Bound::Included(start.as_str()),
                                    std::ops::Bound::Unbounded,
                                ))
                                .take_while(|a| a.starts_with(&start))
                                .copied()
                                .collect::<Vec<&str>>()
                        }
                        None => vec![renamed.get(t.as_str()).copied().unwrap_or(t.as_str())],
                    })
                    .collect();
                for t in targets {
                    let cause = if created.contains(t) {
                        "creation"
                    } else if deleted.contains(t) {
                        "deletion"
                    } else if replaced.contains(t) {
                        "replacement"
                    } else if updated.contains(t) {
                        "update"
                    } else {
                        continue;
                    };
                    follows.push(Follow {
                        attribute: argument.clone(),
                        address: t.to_string(),
                        cause,
                    });
                }
                let change = kept.get_mut(r.address.as_str()).expect("kept");
                add_follows(change, follows, argument, r.resource_type(), &mut more);
            }
        }
        if !more {
            break;
        }
    }
    let mut out: Vec<ResourceChange> = kept
        .into_values()
        .filter_map(|mut c| {
            c.action = kept_action(&c)?;
            c.follows.sort();
            c.forced_by.sort();
            Some(c)
        })
        .collect();
    let bare = |address: &str, action| ResourceChange {
        address: address.to_string(),
        action,
        changes: Vec::new(),
        forced_by: Vec::new(),
        moved_from: None,
        follows: Vec::new(),
    };
    out.extend(created.iter().map(|a| bare(a, ResourceAction::Create)));
    out.extend(deleted.iter().map(|a| bare(a, ResourceAction::Delete)));
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out
}

/// Adds the follows of one argument to a change; the argument replaces the resource when it
/// forces a new one. `more` is set when anything was added.
fn add_follows(
    change: &mut ResourceChange,
    follows: Vec<Follow>,
    argument: &str,
    resource_type: &str,
    more: &mut bool,
) {
    for f in follows {
        if !change.follows.contains(&f) {
            change.follows.push(f);
            *more = true;
        }
    }
    if change.follows.iter().any(|f| f.attribute == argument)
        && forces_new(resource_type, argument)
        && !change.forced_by.iter().any(|a| a == argument)
    {
        change.forced_by.push(argument.to_string());
        *more = true;
    }
}

/// The changes of tracked attributes that Terraform ignores (`lifecycle { ignore_changes }`),
/// of the resources in both inventories, in address order.
pub fn ignored_changes(
    old: &BTreeMap<String, Resource>,
    new: &BTreeMap<String, Resource>,
) -> Vec<IgnoredChange> {
    let mut out = Vec::new();
    for (address, r) in new {
        let Some(o) = old
            .get(address)
            .or_else(|| r.moved_from.iter().find_map(|m| old.get(m)))
        else {
            continue;
        };
        for a in &r.ignored {
            let before = o.attributes.get(a).cloned().unwrap_or(Value::Null);
            let after = r.attributes.get(a).cloned().unwrap_or(Value::Null);
            if before != after {
                out.push(IgnoredChange {
                    address: address.clone(),
                    attribute: a.clone(),
                    before,
                    after,
                });
            }
        }
    }
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
    /// Changes of tracked attributes that Terraform ignores.
    pub ignored: Vec<IgnoredChange>,
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
        // Two equal inventories classify to nothing: an unchanged root is not parsed.
        let (resources, ignored) = if unknown.is_some() || old_text == new_text.map(String::as_str)
        {
            (Vec::new(), Vec::new())
        } else {
            let old = parse(old_text)?;
            let new = parse(new_text.map(String::as_str))?;
            (classify(&old, &new), ignored_changes(&old, &new))
        };
        envs.push(EnvReview {
            app: app_name.to_string(),
            env: env.to_string(),
            unknown,
            resources,
            ignored,
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
            refs: BTreeMap::new(),
            reads: BTreeMap::new(),
            ignored: Vec::new(),
        }
    }

    fn with_ref(mut r: Resource, argument: &str, targets: &[&str]) -> Resource {
        r.refs.insert(
            argument.to_string(),
            targets.iter().map(|t| t.to_string()).collect(),
        );
        r
    }

    #[test]
    fn replacements_cascade_through_forcing_references() {
        let lb = "module.alb.aws_lb.this[\"public\"]";
        let listener = "module.alb.aws_lb_listener.this[\"public.https\"]";
        let rule = "module.alb.aws_lb_listener_rule.this[\"public.https.api\"]";
        let record = "module.dns.aws_route53_record.public[\"www\"]";
        let build = |internal: bool| {
            inv(vec![
                res(lb, &[("internal", json!(internal))]),
                with_ref(res(listener, &[]), "load_balancer_arn", &[lb]),
                with_ref(res(rule, &[]), "listener_arn", &[listener]),
                with_ref(res(record, &[]), "alias.name", &[lb]),
            ])
        };
        let got = classify(&build(false), &build(true));
        let find = |a: &str| got.iter().find(|c| c.address == a).unwrap();
        assert_eq!(find(lb).action, ResourceAction::Replace);
        // The listener is replaced because the load balancer is, and the rule because the
        // listener is: a fixed point, not one step.
        let l = find(listener);
        assert_eq!(l.action, ResourceAction::Replace);
        assert_eq!(l.forced_by, vec!["load_balancer_arn".to_string()]);
        assert_eq!(l.follows[0].address, lb);
        assert_eq!(l.follows[0].cause, "replacement");
        assert_eq!(find(rule).action, ResourceAction::Replace);
        assert_eq!(find(rule).follows[0].address, listener);
        // A reference that does not force a new resource is an update.
        assert_eq!(find(record).action, ResourceAction::Update);
        assert!(find(record).forced_by.is_empty());
    }

    #[test]
    fn a_new_target_of_a_reference_updates_the_dependent() {
        let a = "module.network.aws_subnet.public[\"a\"]";
        let b = "module.network.aws_subnet.public[\"b\"]";
        let lb = "module.alb.aws_lb.this[\"public\"]";
        let old = inv(vec![res(a, &[]), with_ref(res(lb, &[]), "subnets", &[a])]);
        let new = inv(vec![
            res(a, &[]),
            res(b, &[]),
            with_ref(res(lb, &[]), "subnets", &[a, b]),
        ]);
        let got = classify(&old, &new);
        let l = got.iter().find(|c| c.address == lb).unwrap();
        assert_eq!(l.action, ResourceAction::Update);
        assert_eq!(
            (l.follows[0].address.as_str(), l.follows[0].cause),
            (b, "creation")
        );
        // And back: the removed subnet's deletion.
        let got = classify(&new, &old);
        let l = got.iter().find(|c| c.address == lb).unwrap();
        assert_eq!(l.follows[0].cause, "deletion");
    }

    #[test]
    fn data_source_reads_follow_any_change_of_the_resource() {
        let web = "module.ecs.aws_cloudwatch_log_group.this[\"web\"]";
        let api = "module.ecs.aws_cloudwatch_log_group.this[\"api\"]";
        let policy = "module.ecs.aws_iam_role_policy.execution[\"web\"]";
        let with_reads = |logs: &[&str]| {
            let mut p = res(policy, &[]);
            p.reads.insert(
                "policy".into(),
                logs.iter().map(|l| l.to_string()).collect(),
            );
            p
        };
        let old = inv(vec![res(web, &[]), with_reads(&[web])]);
        let new = inv(vec![res(web, &[]), res(api, &[]), with_reads(&[web, api])]);
        let got = classify(&old, &new);
        let p = got.iter().find(|c| c.address == policy).unwrap();
        assert_eq!(p.action, ResourceAction::Update);
        assert_eq!(p.follows[0].address, api);
        // Nothing changes: nothing follows.
        assert!(classify(&new, &new).is_empty());
    }

    #[test]
    fn ignored_changes_are_notes_not_updates() {
        let svc = "module.ecs.aws_ecs_service.autoscaled[\"api\"]";
        let mut old = res(svc, &[("desired_count", json!(1))]);
        old.ignored = vec!["desired_count".into()];
        let mut new = old.clone();
        new.attributes.insert("desired_count".into(), json!(3));
        let (old, new) = (inv(vec![old]), inv(vec![new]));
        assert!(classify(&old, &new).is_empty());
        let ignored = ignored_changes(&old, &new);
        assert_eq!(ignored.len(), 1);
        assert_eq!(ignored[0].attribute, "desired_count");
        assert_eq!(
            (ignored[0].before.clone(), ignored[0].after.clone()),
            (json!(1), json!(3))
        );
    }

    fn inv(rs: Vec<Resource>) -> BTreeMap<String, Resource> {
        rs.into_iter().map(|r| (r.address.clone(), r)).collect()
    }

    #[test]
    fn an_argument_an_older_inventory_did_not_track_compares_as_its_former_fixed_value() {
        let tg = "module.alb.aws_lb_target_group.this[\"api.public\"]";
        // Written before the health check's timings were tracked (they were fixed then).
        let old = inv(vec![res(tg, &[("health_check.path", json!("/"))])]);
        let same = inv(vec![res(
            tg,
            &[
                ("health_check.path", json!("/")),
                ("health_check.interval", json!(30)),
                ("health_check.matcher", json!("200-399")),
            ],
        )]);
        assert!(classify(&old, &same).is_empty());
        let faster = inv(vec![res(
            tg,
            &[
                ("health_check.path", json!("/")),
                ("health_check.interval", json!(10)),
                ("health_check.matcher", json!("200-399")),
            ],
        )]);
        let got = classify(&old, &faster);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].action, ResourceAction::Update);
        assert_eq!(got[0].changes.len(), 1);
        let c = &got[0].changes[0];
        assert_eq!(
            (c.attribute.as_str(), &c.before, &c.after),
            ("health_check.interval", &json!(30), &json!(10))
        );
        // An argument with no former value is still a change from nothing.
        let tagged = inv(vec![res(
            tg,
            &[("health_check.path", json!("/")), ("name", json!("tg"))],
        )]);
        assert_eq!(classify(&old, &tagged).len(), 1);
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
        // A move with changes is still a move, never a plain update.
        assert_eq!(got[0].action, ResourceAction::Move);
        assert_eq!(got[0].changes.len(), 1);
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
