//! The force-new table of the review (`tfblueprint::review::inventory::forcing`) checked against
//! the provider: "apply, change one argument, plan" for every tracked argument of every resource
//! of an applied root, all in one plan.
//!
//! The change is made on the state side: every argument the inventory tracks for a resource
//! (and every argument that takes another resource's ID) is given a different value in a copy of
//! the applied state, and `plan -refresh=false` on that copy asks the provider what it takes to
//! bring each object back to the configuration. The plan's `replace_paths` name exactly the
//! arguments whose change forces a new object; every other perturbed argument is an update.
//! Both must agree with the table.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use tfblueprint::review::inventory::{Resource, change_forces_new, resource_type};

/// One argument of one resource whose value was changed in the state copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Perturbed {
    pub address: String,
    /// The argument, as the inventory names it (`name`, `health_check.path`, `listener_arn`).
    pub path: String,
    /// The value in the changed state, and the applied one (the configuration's).
    pub perturbed: Value,
    pub applied: Value,
}

/// What the check of one root found.
#[derive(Debug, Default, Clone)]
pub struct Forcing {
    /// `(type, argument)` -> whether the provider replaced the object for it.
    pub checked: BTreeMap<(String, String), bool>,
    /// `type argument: table says ..., the provider ... (address)`.
    pub mismatches: Vec<String>,
}

/// The address Terraform prints for an instance of a state resource.
fn address(resource: &Value, instance: &Value) -> String {
    let mut a = String::new();
    if let Some(m) = resource["module"].as_str() {
        a.push_str(m);
        a.push('.');
    }
    a.push_str(resource["type"].as_str().unwrap_or_default());
    a.push('.');
    a.push_str(resource["name"].as_str().unwrap_or_default());
    match &instance["index_key"] {
        Value::String(k) => a.push_str(&format!("[{}]", Value::String(k.clone()))),
        Value::Number(n) => a.push_str(&format!("[{n}]")),
        _ => {}
    }
    a
}

/// Gives the value at `path` (object keys; a nested block list is entered at its first element)
/// a different value of the same kind, and returns the value it had and the one it has now;
/// None when the path does not lead to a scalar or a list of scalars (a synthetic attribute of
/// the inventory, a JSON document, an empty block).
pub fn perturb(v: &mut Value, path: &[&str]) -> Option<(Value, Value)> {
    let Some((head, rest)) = path.split_first() else {
        let before = v.clone();
        return perturb_leaf(v).then(|| (before, v.clone()));
    };
    let child = v.as_object_mut()?.get_mut(*head)?;
    match child {
        Value::Array(items) if !rest.is_empty() => perturb(items.first_mut()?, rest),
        _ => perturb(child, rest),
    }
}

fn perturb_leaf(v: &mut Value) -> bool {
    match v {
        Value::String(s) => {
            s.push_str("-x");
            true
        }
        Value::Bool(b) => {
            *b = !*b;
            true
        }
        Value::Number(n) => {
            *v = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::from(i + 1),
                (None, Some(f)) => Value::from(f + 1.0),
                _ => return false,
            };
            true
        }
        // Not an empty list: its elements may be blocks.
        Value::Array(items) if !items.is_empty() && items.iter().all(|i| i.is_string()) => {
            items.push(Value::String("perturbed".into()));
            true
        }
        _ => false,
    }
}

/// The arguments of an inventory resource to change: its tracked attributes with a value and
/// the arguments that take another resource's ID, less what `ignore_changes` lists.
fn candidates(r: &Resource) -> BTreeSet<String> {
    r.attributes
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .chain(r.refs.keys().cloned())
        .filter(|k| {
            let head = k.split('.').next().unwrap_or(k);
            !r.ignored.iter().any(|i| i == k || i == head)
        })
        .collect()
}

/// The `(type, argument)` pairs an inventory gives the check to change (its candidates), known
/// before anything is applied.
pub fn pairs(inventory: &BTreeMap<String, Resource>) -> BTreeSet<(String, String)> {
    inventory
        .values()
        .flat_map(|r| {
            candidates(r)
                .into_iter()
                .map(|a| (r.resource_type().to_string(), a))
        })
        .collect()
}

/// The fewest roots, roughly, whose pairs cover every pair of `roots` (each a set of pairs):
/// greedily the root adding the most pairs not yet covered, the first of equals, until none
/// adds one. Their indexes, in the order of `roots`.
pub fn cover<T: Ord + Clone>(roots: &[BTreeSet<T>]) -> Vec<usize> {
    let mut covered: BTreeSet<T> = BTreeSet::new();
    let mut chosen = Vec::new();
    loop {
        let best = roots
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(i))
            .map(|(i, r)| (r.difference(&covered).count(), i))
            .filter(|(n, _)| *n > 0)
            .max_by_key(|&(n, i)| (n, std::cmp::Reverse(i)));
        let Some((_, i)) = best else { break };
        covered.extend(roots[i].iter().cloned());
        chosen.push(i);
    }
    chosen.sort_unstable();
    chosen
}

/// The applied state with every candidate argument of every inventoried instance changed, and
/// what was changed.
pub fn perturb_state(
    state: &Value,
    inventory: &BTreeMap<String, Resource>,
) -> (Value, Vec<Perturbed>) {
    let mut state = state.clone();
    let mut changed = Vec::new();
    for resource in state["resources"].as_array_mut().into_iter().flatten() {
        if resource["mode"] != "managed" {
            continue;
        }
        let shell = serde_json::json!({
            "module": resource["module"],
            "type": resource["type"],
            "name": resource["name"],
        });
        for instance in resource["instances"].as_array_mut().into_iter().flatten() {
            let address = address(&shell, instance);
            let Some(r) = inventory.get(&address) else {
                continue;
            };
            for path in candidates(r) {
                let parts: Vec<&str> = path.split('.').collect();
                if let Some((applied, perturbed)) = perturb(&mut instance["attributes"], &parts) {
                    changed.push(Perturbed {
                        address: address.clone(),
                        path,
                        perturbed,
                        applied,
                    });
                }
            }
        }
    }
    (state, changed)
}

/// The argument paths of a plan's `replace_paths` for each address, as dotted names without
/// list indexes (`health_check.path`).
pub fn replace_paths(plan: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        let Some(address) = rc["address"].as_str() else {
            continue;
        };
        let paths = rc["change"]["replace_paths"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                p.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        out.insert(address.to_string(), paths);
    }
    out
}

/// Compares what the provider replaced for each perturbed argument with the table.
pub fn compare(perturbed: &[Perturbed], replaced: &BTreeMap<String, Vec<String>>) -> Forcing {
    let mut result = Forcing::default();
    let mut seen: BTreeMap<(String, String), (bool, String)> = BTreeMap::new();
    for p in perturbed {
        let ty = resource_type(&p.address).to_string();
        let actual = replaced.get(&p.address).is_some_and(|paths| {
            paths.iter().any(|r| {
                r == &p.path
                    || p.path.starts_with(&format!("{r}."))
                    || r.starts_with(&format!("{}.", p.path))
            })
        });
        // The state holds the changed value, the configuration the applied one.
        let expected = change_forces_new(&ty, &p.path, &p.perturbed, &p.applied);
        let key = (ty.clone(), p.path.clone());
        if let Some((before, at)) = seen.get(&key)
            && *before != actual
        {
            result.mismatches.push(format!(
                "{ty} {}: the provider replaces {} for it and not {}",
                p.path,
                if actual { &p.address } else { at },
                if actual { at } else { &p.address },
            ));
        }
        seen.entry(key.clone())
            .or_insert((actual, p.address.clone()));
        result.checked.insert(key, actual);
        if expected != actual {
            result.mismatches.push(format!(
                "{ty} {}: the table says {}, the provider {} ({})",
                p.path,
                if expected {
                    "it forces a new resource"
                } else {
                    "it updates in place"
                },
                if actual {
                    "replaces the object"
                } else {
                    "does not replace it"
                },
                p.address
            ));
        }
    }
    result.mismatches.sort();
    result.mismatches.dedup();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(address: &str, attributes: Value, refs: Value, ignored: &[&str]) -> Resource {
        Resource {
            address: address.into(),
            attributes: attributes
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            moved_from: vec![],
            refs: serde_json::from_value(refs).unwrap(),
            reads: BTreeMap::new(),
            ignored: ignored.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn perturbs_scalars_nested_blocks_and_lists_not_documents() {
        use serde_json::json;
        let mut v = json!({
            "name": "a", "port": 80, "internal": false, "subnets": ["s1"],
            "health_check": [{"path": "/"}], "policy": "{\"x\":1}", "tags": {"k": "v"},
            "empty": [], "condition": [{"host_header": [{"values": ["a"]}], "path_pattern": []}]
        });
        assert_eq!(perturb(&mut v, &["name"]), Some((json!("a"), json!("a-x"))));
        assert_eq!(perturb(&mut v, &["port"]), Some((json!(80), json!(81))));
        assert!(perturb(&mut v, &["internal"]).is_some());
        assert!(perturb(&mut v, &["subnets"]).is_some());
        assert_eq!(
            perturb(&mut v, &["health_check", "path"]),
            Some((json!("/"), json!("/-x")))
        );
        for path in [
            &["policy", "x"][..],
            &["tags"],
            &["empty", "x"],
            &["empty"],
            &["condition", "host_header"],
            &["condition", "path_pattern"],
            &["missing"],
        ] {
            assert_eq!(perturb(&mut v, path), None, "{path:?}");
        }
        assert_eq!(v["name"], "a-x");
        assert_eq!(v["port"], 81);
        assert_eq!(v["internal"], true);
        assert_eq!(v["subnets"], serde_json::json!(["s1", "perturbed"]));
        assert_eq!(v["health_check"][0]["path"], "/-x");
    }

    #[test]
    fn perturbs_the_inventoried_instances_and_skips_ignored_arguments() {
        let state = serde_json::json!({"resources": [
            {"module": "module.alb", "mode": "managed", "type": "aws_lb_listener", "name": "this",
             "instances": [{"index_key": "public.https", "attributes":
                {"port": 443, "load_balancer_arn": "arn:lb", "protocol": "HTTPS"}}]},
            {"module": "module.ecs", "mode": "managed", "type": "aws_ecs_service", "name": "this",
             "instances": [{"index_key": "api", "attributes": {"desired_count": 2, "name": "api"}}]},
            {"mode": "data", "type": "aws_iam_policy_document", "name": "x",
             "instances": [{"attributes": {"json": "{}"}}]}
        ]});
        let inventory: BTreeMap<String, Resource> = [
            resource(
                "module.alb.aws_lb_listener.this[\"public.https\"]",
                serde_json::json!({"port": 443, "load_balancer": "public", "protocol": "HTTPS"}),
                serde_json::json!({"load_balancer_arn": ["module.alb.aws_lb.this[\"public\"]"]}),
                &[],
            ),
            resource(
                "module.ecs.aws_ecs_service.this[\"api\"]",
                serde_json::json!({"desired_count": 2, "name": "api"}),
                serde_json::json!({}),
                &["desired_count"],
            ),
        ]
        .into_iter()
        .map(|r| (r.address.clone(), r))
        .collect();
        let (after, changed) = perturb_state(&state, &inventory);
        let names: Vec<String> = changed
            .iter()
            .map(|p| format!("{} {}", p.address, p.path))
            .collect();
        assert_eq!(
            names,
            [
                "module.alb.aws_lb_listener.this[\"public.https\"] load_balancer_arn",
                "module.alb.aws_lb_listener.this[\"public.https\"] port",
                "module.alb.aws_lb_listener.this[\"public.https\"] protocol",
                "module.ecs.aws_ecs_service.this[\"api\"] name",
            ]
        );
        let listener = &after["resources"][0]["instances"][0]["attributes"];
        assert_eq!(listener["load_balancer_arn"], "arn:lb-x");
        assert_eq!(
            after["resources"][1]["instances"][0]["attributes"]["desired_count"],
            2
        );
    }

    #[test]
    fn the_cover_takes_the_fewest_roots_that_hold_every_pair() {
        let set = |items: &[u8]| items.iter().copied().collect::<BTreeSet<u8>>();
        // The third root holds what the first two do; the fourth adds one more pair.
        let roots = [
            set(&[1, 2]),
            set(&[3]),
            set(&[1, 2, 3]),
            set(&[3, 4]),
            set(&[]),
        ];
        assert_eq!(cover(&roots), vec![2, 3]);
        // Equal roots: the first is taken.
        assert_eq!(cover(&[set(&[1]), set(&[1])]), vec![0]);
        assert_eq!(cover::<u8>(&[set(&[]), set(&[])]), Vec::<usize>::new());
    }

    #[test]
    fn pairs_are_the_types_and_arguments_the_check_would_change() {
        let inventory: BTreeMap<String, Resource> = [
            resource(
                "module.a.aws_lb.this[\"x\"]",
                serde_json::json!({"name": "n", "internal": null, "idle_timeout": 60}),
                serde_json::json!({"subnets": ["module.n.aws_subnet.a"]}),
                &["idle_timeout"],
            ),
            resource(
                "module.b.aws_lb.this",
                serde_json::json!({"name": "m"}),
                serde_json::json!({}),
                &[],
            ),
        ]
        .into_iter()
        .map(|r| (r.address.clone(), r))
        .collect();
        let want: BTreeSet<(String, String)> = [("aws_lb", "name"), ("aws_lb", "subnets")]
            .into_iter()
            .map(|(t, a)| (t.to_string(), a.to_string()))
            .collect();
        assert_eq!(pairs(&inventory), want);
    }

    #[test]
    fn compares_replace_paths_with_the_table() {
        let lb = "module.alb.aws_lb_listener.this[\"public.https\"]";
        let tg = "module.alb.aws_lb_target_group.this[\"api.public\"]";
        let rg = "module.elasticache.aws_elasticache_replication_group.this[\"session\"]";
        let changed = |address: &str, path: &str, perturbed: Value, applied: Value| Perturbed {
            address: address.into(),
            path: path.into(),
            perturbed,
            applied,
        };
        let perturbed = [
            changed(lb, "load_balancer_arn", "arn:lb-x".into(), "arn:lb".into()),
            changed(lb, "port", 444.into(), 443.into()),
            changed(tg, "health_check.path", "/-x".into(), "/".into()),
            changed(tg, "port", 81.into(), 80.into()),
            // Redis to Valkey in place, back to Redis replaces: the table decides by the values.
            changed(rg, "engine", "redis".into(), "valkey".into()),
        ];
        let plan = serde_json::json!({"resource_changes": [
            {"address": lb, "change": {"replace_paths": [["load_balancer_arn"]]}},
            {"address": tg, "change": {"replace_paths": [["port"], ["health_check", 0, "path"]]}},
            {"address": rg, "change": {"replace_paths": []}}
        ]});
        let result = compare(&perturbed, &replace_paths(&plan));
        assert_eq!(result.checked.len(), 5);
        assert_eq!(
            result.mismatches,
            [
                "aws_lb_target_group health_check.path: the table says it updates in place, the provider replaces the object (module.alb.aws_lb_target_group.this[\"api.public\"])"
            ]
        );
    }
}
