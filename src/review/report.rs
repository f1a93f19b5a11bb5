//! The review as text (a terminal), Markdown (a pull request) or JSON (a machine).

use super::{EnvReview, IgnoredChange, ResourceAction, ResourceChange, Review};
use crate::output::diff;
use crate::output::sync::Action;
use serde_json::{Value, json};

const ORDER: [ResourceAction; 5] = [
    ResourceAction::Create,
    ResourceAction::Update,
    ResourceAction::Replace,
    ResourceAction::Move,
    ResourceAction::Delete,
];

fn summary(e: &EnvReview) -> String {
    if let Some(why) = &e.unknown {
        return format!("no prediction: {why}");
    }
    if e.resources.is_empty() {
        if !e.ignored.is_empty() {
            return "no resource changes: Terraform ignores what changes (below)".into();
        }
        return "no resource changes".into();
    }
    let mut parts = vec![
        format!("{} to create", e.count(ResourceAction::Create)),
        format!("{} to update", e.count(ResourceAction::Update)),
        format!("{} to replace", e.count(ResourceAction::Replace)),
        format!("{} to delete", e.count(ResourceAction::Delete)),
    ];
    let moves = e
        .resources
        .iter()
        .filter(|r| r.moved_from.is_some())
        .count();
    if moves > 0 {
        parts.push(format!("{moves} to move"));
    }
    parts.join(", ")
}

/// What a resource line adds after the address: the old address of a move, the arguments that
/// force a replacement, the referenced resources a change follows from.
fn causes(r: &ResourceChange) -> String {
    let mut out = String::new();
    if let Some(from) = &r.moved_from {
        out.push_str(&format!(" (moved from {from})"));
    }
    let mut parts = Vec::new();
    if !r.forced_by.is_empty() {
        parts.push(format!("forced by {}", r.forced_by.join(", ")));
    }
    if !r.follows.is_empty() {
        parts.push(format!(
            "follows {}",
            first_follows(r, |f| f.describe()).join(", ")
        ));
    }
    if !parts.is_empty() {
        out.push_str(&format!(" ({})", parts.join(", ")));
    }
    out
}

/// How many causes a resource line names before it counts the rest.
const FOLLOWS_SHOWN: usize = 2;

/// The distinct causes of a change, described by `describe`: the first [`FOLLOWS_SHOWN`], then
/// `N more` (the JSON format lists them all).
fn first_follows(r: &ResourceChange, describe: impl Fn(&super::Follow) -> String) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for f in &r.follows {
        let d = describe(f);
        if !seen.contains(&d) {
            seen.push(d);
        }
    }
    if seen.len() > FOLLOWS_SHOWN + 1 {
        let more = seen.len() - FOLLOWS_SHOWN;
        seen.truncate(FOLLOWS_SHOWN);
        seen.push(format!("{more} more"));
    }
    seen
}

/// The note on a change Terraform ignores.
fn ignored_note(i: &IgnoredChange) -> String {
    format!(
        "{}: {} -> {}, ignored by Terraform (lifecycle ignore_changes = [{}])",
        i.attribute,
        show(&i.before),
        show(&i.after),
        i.attribute.split('.').next().unwrap_or_default()
    )
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        v => v.to_string(),
    }
}

fn file_action(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

/// The environments of the apps that change (a file, a resource, or no prediction), and the
/// number of apps left out because nothing of theirs changes.
fn touched(review: &Review) -> (Vec<&EnvReview>, usize) {
    let mut changed: std::collections::BTreeSet<&str> = review
        .files
        .iter()
        .filter_map(|c| c.path.split('/').next())
        .collect();
    changed.extend(
        review
            .envs
            .iter()
            .filter(|e| e.unknown.is_some() || !e.resources.is_empty() || !e.ignored.is_empty())
            .map(|e| e.app.as_str()),
    );
    let all: std::collections::BTreeSet<&str> =
        review.envs.iter().map(|e| e.app.as_str()).collect();
    let envs = review
        .envs
        .iter()
        .filter(|e| changed.contains(e.app.as_str()))
        .collect();
    (envs, all.difference(&changed).count())
}

fn unchanged_apps(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "1 app without changes\n".into(),
        n => format!("{n} apps without changes\n"),
    }
}

/// Text: per environment of every app that changes the resource summary, then the number of
/// apps without changes, then the unified diff of every file.
pub fn text(review: &Review, color: bool) -> String {
    let mut out = String::new();
    let (envs, unchanged) = touched(review);
    for e in envs {
        out.push_str(&format!("{}/{}: {}\n", e.app, e.env, summary(e)));
        for action in ORDER {
            for r in e.resources.iter().filter(|r| r.action == action) {
                out.push_str(&format!(
                    "  {} {}{}\n",
                    action.symbol(),
                    r.address,
                    causes(r)
                ));
                for c in &r.changes {
                    out.push_str(&format!(
                        "      {}: {} -> {}{}\n",
                        c.attribute,
                        show(&c.before),
                        show(&c.after),
                        if c.forces_replacement {
                            " (forces replacement)"
                        } else {
                            ""
                        }
                    ));
                }
            }
        }
        for i in &e.ignored {
            out.push_str(&format!("  = {}\n      {}\n", i.address, ignored_note(i)));
        }
    }
    out.push_str(&unchanged_apps(unchanged));
    if !out.is_empty() && !review.files.is_empty() {
        out.push('\n');
    }
    for c in &review.files {
        out.push_str(&diff::unified(c, color));
    }
    out
}

/// `s` as a code span in a table cell: a backtick fence longer than any run of backticks in
/// it (CommonMark's rule, so no value can close the span and let HTML through), on one line,
/// with `|` escaped so that it cannot end the cell.
fn code(s: &str) -> String {
    crate::render::md_code(s).replace('|', "\\|")
}

fn md_changes(r: &ResourceChange) -> String {
    let mut parts: Vec<String> = r
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}{}",
                code(&c.attribute),
                code(&show(&c.before)),
                code(&show(&c.after)),
                if c.forces_replacement {
                    " **forces replacement**"
                } else {
                    ""
                }
            )
        })
        .collect();
    let mut head = Vec::new();
    if let Some(from) = &r.moved_from {
        head.push(format!("moved from {}", code(from)));
    }
    if !r.forced_by.is_empty() {
        head.push(format!(
            "forced by {}",
            r.forced_by
                .iter()
                .map(|a| code(a))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !r.follows.is_empty() {
        let causes = first_follows(r, |f| match f.cause {
            "reference" => format!("reference to {}", code(&f.address)),
            cause => format!("{cause} of {}", code(&f.address)),
        });
        head.push(format!("follows {}", causes.join(", ")));
    }
    head.append(&mut parts);
    head.join("<br>")
}

/// Markdown: a table per environment of every app that changes, replacements and deletions
/// first, then the number of apps without changes and a table of the files.
pub fn markdown(review: &Review) -> String {
    let mut out = String::from("## tfblueprint diff\n");
    if !review.changed() {
        out.push_str("\nNo changes.\n");
        return out;
    }
    let (envs, unchanged) = touched(review);
    for e in envs {
        out.push_str(&format!("\n### {} / {}\n\n{}\n", e.app, e.env, summary(e)));
        for i in &e.ignored {
            out.push_str(&format!(
                "\n> **Note**: {} of {} changes from {} to {}; Terraform ignores it (`lifecycle {{ ignore_changes = [{}] }}`), so no resource changes for it.\n",
                code(&i.attribute),
                code(&i.address),
                code(&show(&i.before)),
                code(&show(&i.after)),
                i.attribute.split('.').next().unwrap_or_default()
            ));
        }
        if e.resources.is_empty() {
            continue;
        }
        let destructive = e.count(ResourceAction::Replace) + e.count(ResourceAction::Delete);
        if destructive > 0 {
            out.push_str(&format!(
                "\n> **Warning**: {destructive} resource{} will be destroyed (replaced or deleted).\n",
                if destructive == 1 { "" } else { "s" }
            ));
        }
        out.push_str("\n| Action | Resource | Changes |\n|---|---|---|\n");
        let mut rows: Vec<&ResourceChange> = e.resources.iter().collect();
        rows.sort_by(|a, b| a.action.cmp(&b.action).then(a.address.cmp(&b.address)));
        for r in rows {
            let action = match r.action {
                ResourceAction::Replace | ResourceAction::Delete => {
                    format!("**{}**", r.action.as_str())
                }
                a => a.as_str().to_string(),
            };
            out.push_str(&format!(
                "| {action} | {} | {} |\n",
                code(&r.address),
                md_changes(r)
            ));
        }
    }
    if unchanged > 0 {
        out.push('\n');
        out.push_str(&unchanged_apps(unchanged));
    }
    out.push_str("\n### Files\n\n| Action | File |\n|---|---|\n");
    for c in &review.files {
        out.push_str(&format!(
            "| {} | {} |\n",
            file_action(c.action),
            code(&c.path)
        ));
    }
    out
}

/// The smallest `--max-bytes`: room for the heading, some rows and the note on what was left off.
pub const MIN_MARKDOWN_BYTES: usize = 1024;

/// Room kept for the note that ends a truncated report.
const TRUNCATION_NOTE_BYTES: usize = 400;

/// [`markdown`] within `max_bytes` (at least [`MIN_MARKDOWN_BYTES`]): whole lines up to the
/// limit, then a note that counts what was left off.
pub fn markdown_within(review: &Review, max_bytes: usize) -> String {
    truncate_markdown(&markdown(review), max_bytes)
}

/// `report` cut at a line boundary so that it and the note fit in `max_bytes`. A table cut
/// after a row is still a table. The note counts the environments, resource rows and file rows
/// left off.
pub fn truncate_markdown(report: &str, max_bytes: usize) -> String {
    let max_bytes = max_bytes.max(MIN_MARKDOWN_BYTES);
    if report.len() <= max_bytes {
        return report.to_string();
    }
    let budget = max_bytes - TRUNCATION_NOTE_BYTES;
    let mut kept = String::new();
    let mut lines = report.split_inclusive('\n').peekable();
    while let Some(line) = lines.peek() {
        if kept.len() + line.len() > budget {
            break;
        }
        kept.push_str(line);
        lines.next();
    }
    let in_files = kept.contains("\n### Files\n");
    let (mut envs, mut resources, mut files) = (0, 0, 0);
    let mut files_section = in_files;
    for line in lines {
        if line.starts_with("### Files") {
            files_section = true;
        } else if line.starts_with("### ") {
            envs += 1;
        } else if line.starts_with("| ") && !line.starts_with("| Action |") {
            if files_section {
                files += 1;
            } else {
                resources += 1;
            }
        }
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut left = vec![plural(resources, "resource row", "resource rows")];
    if envs > 0 {
        left.insert(0, plural(envs, "environment", "environments"));
    }
    left.push(plural(files, "file row", "file rows"));
    if !kept.ends_with("\n\n") {
        kept.push('\n');
    }
    kept.push_str(&format!(
        "> **Truncated** to stay within {max_bytes} bytes: {} left off. The full report is `tfblueprint diff --format markdown` without `--max-bytes` (the pull-request workflow keeps it as an artifact).\n",
        left.join(", ")
    ));
    kept
}

/// JSON: the documented schema of docs/diff.md.
pub fn json(review: &Review) -> Value {
    let mut envs = serde_json::Map::new();
    for e in &review.envs {
        let resources: Vec<Value> = e
            .resources
            .iter()
            .map(|r| {
                json!({
                    "address": r.address,
                    "resource_type": super::inventory::resource_type(&r.address),
                    "action": r.action.as_str(),
                    "changes": r.changes.iter().map(|c| json!({
                        "attribute": c.attribute,
                        "before": c.before,
                        "after": c.after,
                        "forces_replacement": c.forces_replacement,
                    })).collect::<Vec<_>>(),
                    "forced_by": r.forced_by,
                    "moved_from": r.moved_from,
                    "follows": r.follows.iter().map(|f| json!({
                        "attribute": f.attribute,
                        "address": f.address,
                        "cause": f.cause,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut summary = serde_json::Map::new();
        for a in ORDER {
            summary.insert(a.as_str().into(), json!(e.count(a)));
        }
        envs.insert(
            format!("{}/{}", e.app, e.env),
            json!({
                "app": e.app,
                "environment": e.env,
                "predicted": e.unknown.is_none(),
                "unknown_reason": e.unknown,
                "summary": summary,
                "resources": resources,
                "ignored": e.ignored.iter().map(|i| json!({
                    "address": i.address,
                    "attribute": i.attribute,
                    "before": i.before,
                    "after": i.after,
                })).collect::<Vec<_>>(),
            }),
        );
    }
    json!({
        "schema_version": 1,
        "base": review.base,
        "changed": review.changed(),
        "environments": envs,
        "files": review.files.iter().map(|c| json!({
            "path": c.path,
            "action": file_action(c.action),
            "edited": c.edited,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_markdown_report_is_cut_at_a_line_and_counts_what_it_left_off() {
        let mut report = String::from("## tfblueprint diff\n");
        for env in ["dev", "prod"] {
            report.push_str(&format!(
                "\n### app / {env}\n\n| Action | Resource | Changes |\n|---|---|---|\n"
            ));
            for i in 0..100 {
                report.push_str(&format!("| create | `aws_x.this[\"{i:03}\"]` |  |\n"));
            }
        }
        report.push_str("\n### Files\n\n| Action | File |\n|---|---|\n");
        for i in 0..50 {
            report.push_str(&format!("| create | `envs/dev/f{i}.tf` |\n"));
        }
        assert_eq!(
            truncate_markdown(&report, report.len()),
            report,
            "within the limit: as is"
        );
        let cut = truncate_markdown(&report, 2000);
        assert!(cut.len() <= 2000, "{}", cut.len());
        assert!(report.starts_with(cut.rsplit_once("\n> **Truncated**").unwrap().0));
        let kept = cut.lines().filter(|l| l.starts_with("| create")).count();
        assert!(cut.ends_with(&format!(
            "> **Truncated** to stay within 2000 bytes: 1 environment, {} resource rows, 50 file rows left off. The full report is `tfblueprint diff --format markdown` without `--max-bytes` (the pull-request workflow keeps it as an artifact).\n",
            200 - kept
        )), "{cut}");
        // Below the smallest limit, the smallest applies.
        assert!(truncate_markdown(&report, 10).len() <= MIN_MARKDOWN_BYTES);
    }
    use crate::output::sync::FileChange;

    fn env(app: &str, env: &str, resources: Vec<ResourceChange>) -> EnvReview {
        EnvReview {
            app: app.into(),
            env: env.into(),
            unknown: None,
            resources,
            ignored: Vec::new(),
        }
    }

    fn update(address: &str) -> ResourceChange {
        ResourceChange {
            address: address.into(),
            action: ResourceAction::Update,
            changes: Vec::new(),
            forced_by: Vec::new(),
            moved_from: None,
            follows: Vec::new(),
        }
    }

    fn file(path: &str) -> FileChange {
        FileChange {
            path: path.into(),
            action: Action::Update,
            old: Some("a\n".into()),
            new: Some("b\n".into()),
            edited: false,
        }
    }

    /// The first code span of `cell`: (fence length, content); None when it is not closed.
    fn span(cell: &str) -> Option<(usize, &str)> {
        let n = cell.find(|c| c != '`')?;
        let rest = &cell[n..];
        let b = rest.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'`' {
                let run = b[i..].iter().take_while(|&&c| c == b'`').count();
                if run == n {
                    return Some((n, &rest[..i]));
                }
                i += run;
            } else {
                i += 1;
            }
        }
        None
    }

    /// Item 13: a value holding backticks, `|`, HTML or a line break stays inside its code
    /// span and its cell in the Markdown diff.
    #[test]
    fn markdown_values_stay_inside_their_code_span_and_cell() {
        let hostile = "a``<img src=x onerror=alert(1)>``b|c`\n<script>";
        let mut r = update("module.ecs.aws_ecs_service.this[\"api\"]");
        r.changes.push(crate::review::AttributeChange {
            attribute: "tags".into(),
            before: Value::String("x".into()),
            after: Value::String(hostile.into()),
            forces_replacement: false,
        });
        let review = Review {
            base: "disk".into(),
            envs: vec![env("billing", "dev", vec![r])],
            files: vec![file("billing/envs/dev/main.tf")],
        };
        let md = markdown(&review);
        let row = md
            .lines()
            .find(|l| l.starts_with("| update |"))
            .unwrap_or_else(|| panic!("{md}"));
        // Three cells: four unescaped `|`.
        let bars = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .count();
        assert_eq!(bars, 4, "{row}");
        let after = row.split(" → ").nth(1).unwrap_or_else(|| panic!("{row}"));
        let (fence, content) = span(after).unwrap_or_else(|| panic!("unclosed span: {row}"));
        assert!(fence >= 3, "{row}");
        let json = serde_json::to_string(hostile).unwrap();
        assert_eq!(content.trim().replace("\\|", "|"), json, "{row}");
        assert!(!row.contains('\n'));
    }

    /// Apps of which nothing changes are counted, not listed; every environment of an app that
    /// changes is listed, its unchanged ones too.
    #[test]
    fn apps_without_changes_are_folded_into_a_count() {
        let review = Review {
            base: "disk".into(),
            envs: vec![
                env(
                    "billing",
                    "dev",
                    vec![update("module.ecs.aws_ecs_service.this[\"api\"]")],
                ),
                env("billing", "prod", Vec::new()),
                env("docs", "dev", Vec::new()),
                env("quiet", "dev", Vec::new()),
                env("quiet", "prod", Vec::new()),
                env("shop", "dev", Vec::new()),
            ],
            files: vec![file("billing/envs/dev/main.tf"), file("docs/README.md")],
        };
        let text = text(&review, false);
        let listed: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(": ") && !l.starts_with(' '))
            .collect();
        assert_eq!(
            listed,
            [
                "billing/dev: 0 to create, 1 to update, 0 to replace, 0 to delete",
                "billing/prod: no resource changes",
                "docs/dev: no resource changes",
            ],
            "{text}"
        );
        assert!(text.contains("\n2 apps without changes\n"), "{text}");
        let md = markdown(&review);
        assert!(md.contains("### docs / dev"), "{md}");
        assert!(!md.contains("### quiet"), "{md}");
        assert!(md.contains("\n2 apps without changes\n"), "{md}");

        let quiet = Review {
            base: "disk".into(),
            envs: vec![env("quiet", "dev", Vec::new())],
            files: Vec::new(),
        };
        assert_eq!(super::text(&quiet, false), "1 app without changes\n");
    }

    #[test]
    fn causes_and_ignored_changes_are_reported_in_every_format() {
        let lb = "module.alb.aws_lb.this[\"public\"]";
        let listener = "module.alb.aws_lb_listener.this[\"public.https\"]";
        let mut l = update(listener);
        l.action = ResourceAction::Replace;
        l.forced_by = vec!["load_balancer_arn".into()];
        l.follows = vec![super::super::Follow {
            attribute: "load_balancer_arn".into(),
            address: lb.into(),
            cause: "replacement",
        }];
        let mut e = env("shop", "dev", vec![l]);
        e.ignored = vec![IgnoredChange {
            address: "module.ecs.aws_ecs_service.autoscaled[\"api\"]".into(),
            attribute: "desired_count".into(),
            before: serde_json::json!(1),
            after: serde_json::json!(3),
        }];
        let review = Review {
            base: "disk".into(),
            envs: vec![e],
            files: vec![file("shop/envs/dev/main.tf")],
        };
        let t = text(&review, false);
        assert!(
            t.contains(&format!(
                "  -/+ {listener} (forced by load_balancer_arn, follows replacement of {lb})\n"
            )),
            "{t}"
        );
        assert!(t.contains("ignore_changes = [desired_count]"), "{t}");
        let md = markdown(&review);
        assert!(md.contains("follows replacement of"), "{md}");
        assert!(md.contains("ignore_changes = [desired_count]"), "{md}");
        let j = json(&review);
        let env = &j["environments"]["shop/dev"];
        assert_eq!(
            env["resources"][0]["follows"],
            serde_json::json!([{"attribute": "load_balancer_arn", "address": lb, "cause": "replacement"}])
        );
        assert_eq!(env["ignored"][0]["attribute"], "desired_count");
        assert_eq!(j["schema_version"], 1);
    }
}
