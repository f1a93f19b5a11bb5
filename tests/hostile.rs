//! Hostile values: blueprint strings holding quotes, backslashes, line breaks, `${` / `%{`,
//! non-ASCII or HCL-shaped text reach the generated Terraform exactly and inject nothing.
//! Property tests check the rendered files with an independent HCL implementation (hcl-rs);
//! the hostile blueprint is also planned offline with Terraform.

use crate::support::terraform::Terraform;
use crate::support::{repo, run_in, workspace};
use hcl::eval::{Context, Evaluate};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use tfblueprint::render::Renderer;

static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

/// Strings biased towards what breaks HCL strings and Markdown.
fn hostile_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just("${".to_string()),
        Just("%{".to_string()),
        Just("$${".to_string()),
        Just("%%{".to_string()),
        Just("$".to_string()),
        Just("%".to_string()),
        Just("}".to_string()),
        Just("\\n".to_string()),
        Just("<<EOT\n".to_string()),
        Just("\n}\nresource \"aws_iam_user\" \"x\" {\n".to_string()),
        Just("<script>|*_`[x](y)".to_string()),
        Just("# // /* -->".to_string()),
        Just("Zürich 東京 🚀".to_string()),
        "[a-z ]{0,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// `s` as an HCL string literal, written independently of the code under test (and of hcl-rs's
/// formatter, which writes the text `$${` unescaped): `$`, `%`, control characters and
/// everything outside ASCII as `\u` / `\U` escapes, which no template parser reads as `${`.
fn literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Strings AWS takes as tags (letters, digits, spaces and `_ . : / = + - @` in any script),
/// biased towards what is still special to HCL or Markdown among them.
fn tag_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("=".to_string()),
        Just(":".to_string()),
        Just("/".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
        Just("@".to_string()),
        Just("_".to_string()),
        Just(".".to_string()),
        Just(" ".to_string()),
        Just("\u{a0}".to_string()),
        Just("\u{2028}".to_string()),
        Just("\u{3000}".to_string()),
        Just("Zürich 東京 Ελληνικά".to_string()),
        Just("EOT".to_string()),
        "[a-zA-Z0-9 ]{0,4}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

#[derive(Debug, Clone)]
struct Values {
    description: String,
    tag_key: String,
    tag: String,
    env_tag: String,
    variable: String,
    command: String,
}

fn values() -> impl Strategy<Value = Values> {
    (
        hostile_string(),
        tag_string(),
        tag_string(),
        tag_string(),
        hostile_string(),
        hostile_string(),
    )
        .prop_map(
            |(description, key, tag, env_tag, variable, command)| Values {
                description,
                // AWS tag keys are 1-128 characters and do not start with "aws:".
                tag_key: format!("k{}", key.chars().take(100).collect::<String>()),
                tag: tag.chars().take(200).collect(),
                env_tag: env_tag.chars().take(200).collect(),
                variable,
                command,
            },
        )
        .prop_filter("tag values are at most 256 characters", |v| {
            v.tag.chars().count() <= 256 && v.env_tag.chars().count() <= 256
        })
}

fn blueprint(v: &Values) -> String {
    format!(
        r#"app "prop" {{
  description = {description}
  region      = "eu-west-1"
  tags = {{
    {tag_key} = {tag}
  }}

  network {{
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }}

  service "web" {{
    image       = "nginx:1.27"
    cpu         = 256
    memory      = 512
    command     = ["sh", "-c", {command}]
    environment = {{
      HOSTILE = {variable}
    }}
  }}

  environment "dev" {{
    tags = {{
      note = {env_tag}
    }}
  }}
}}
"#,
        description = literal(&v.description),
        tag_key = literal(&v.tag_key),
        tag = literal(&v.tag),
        command = literal(&v.command),
        variable = literal(&v.variable),
        env_tag = literal(&v.env_tag),
    )
}

/// Every rendered file of `src`, path -> content.
fn render(src: &str) -> BTreeMap<String, String> {
    let bp = tfblueprint::blueprint::load_str(src, "prop.hcl").unwrap_or_else(|d| {
        panic!(
            "{}\n{src}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let model = tfblueprint::model::build(&bp);
    tfblueprint::generate::render_model(&RENDERER, &model, 1)
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.content))
        .collect()
}

/// Evaluates an attribute found by walking `path` (block names, then the attribute) in `file`.
fn value_at(file: &str, path: &[&str]) -> hcl::Value {
    let body: hcl::Body = hcl::from_str(file).unwrap();
    let (attr, blocks) = path.split_last().unwrap();
    let mut body = &body;
    for b in blocks {
        body = &body
            .blocks()
            .find(|x| x.identifier() == *b)
            .unwrap_or_else(|| panic!("no block {b}"))
            .body;
    }
    let a = body
        .attributes()
        .find(|a| a.key() == *attr)
        .unwrap_or_else(|| panic!("no attribute {attr}"));
    a.expr.evaluate(&Context::new()).unwrap()
}

fn get<'a>(v: &'a hcl::Value, path: &[&str]) -> &'a hcl::Value {
    path.iter().fold(v, |v, p| match v {
        hcl::Value::Object(m) => m.get(*p).unwrap_or_else(|| panic!("no key {p} in {v:?}")),
        hcl::Value::Array(a) => &a[p.parse::<usize>().unwrap()],
        _ => panic!("{p} in {v:?}"),
    })
}

fn string(s: &str) -> hcl::Value {
    hcl::Value::String(s.to_string())
}

/// What a Markdown line of the README must not hold for `s` to be inert text.
fn inert_markdown(line: &str) -> bool {
    let unescaped = |c: char| {
        line.char_indices().any(|(i, x)| {
            x == c && {
                let backslashes = line[..i].chars().rev().take_while(|b| *b == '\\').count();
                backslashes % 2 == 0
            }
        })
    };
    let chars: Vec<char> = line.chars().collect();
    // `_` between letters or digits opens no emphasis.
    let loose_underscore = chars.iter().enumerate().any(|(i, c)| {
        *c == '_'
            && !(i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()))
            && !(i > 0 && chars[i - 1] == '\\')
    });
    !loose_underscore
        && !['<', '>', '|', '`', '[', ']', '*', '&']
            .into_iter()
            .any(unescaped)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hostile_blueprint_values_reach_the_rendered_terraform_exactly(v in values()) {
        let files = render(&blueprint(&v));
        for (path, content) in &files {
            if path.ends_with(".tf") {
                hcl::from_str::<hcl::Body>(content)
                    .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{content}"));
                // Nothing from the blueprint turns into a block of its own.
                let body: hcl::Body = hcl::from_str(content).unwrap();
                for b in body.blocks() {
                    prop_assert!(
                        ["locals", "resource", "data", "module", "variable", "output", "terraform", "provider", "moved"]
                            .contains(&b.identifier()),
                        "{path}: unexpected block {}", b.identifier()
                    );
                    prop_assert!(
                        b.labels().iter().all(|l| !l.as_str().contains("aws_iam_user")),
                        "{path}: injected block"
                    );
                }
            }
            prop_assert!(!content.lines().next().unwrap_or_default().contains('\r'));
        }

        let tags = value_at(&files["envs/dev/providers.tf"], &["provider", "default_tags", "tags"]);
        prop_assert_eq!(get(&tags, &[v.tag_key.as_str()]), &string(&v.tag));
        prop_assert_eq!(get(&tags, &["note"]), &string(&v.env_tag));

        let services = value_at(&files["modules/ecs/main.tf"], &["locals", "services"]);
        let container = get(&services, &["web", "containers", "0"]);
        prop_assert_eq!(get(container, &["environment", "HOSTILE"]), &string(&v.variable));
        prop_assert_eq!(
            get(container, &["command"]),
            &hcl::Value::Array(vec![string("sh"), string("-c"), string(&v.command)])
        );

        let readme = &files["README.md"];
        prop_assert!(readme.lines().filter(|l| l.starts_with("# ")).count() == 1, "{}", readme);
        if !v.description.trim().is_empty() {
            let description_line = readme.lines().nth(4).unwrap();
            prop_assert!(inert_markdown(description_line), "{}", description_line);
        }
    }
}

#[test]
fn the_hostile_blueprint_renders_every_value_unchanged() {
    let src = std::fs::read_to_string(repo().join("tests/blueprints/hostile.hcl")).unwrap();
    let written: hcl::Body = hcl::from_str(&src).unwrap();
    let app = written.blocks().next().unwrap();
    let expected_tags = app
        .body
        .attributes()
        .find(|a| a.key() == "tags")
        .unwrap()
        .expr
        .evaluate(&Context::new())
        .unwrap();
    let service = app
        .body
        .blocks()
        .find(|b| b.identifier() == "service")
        .unwrap();
    let attr = |name: &str| {
        service
            .body
            .attributes()
            .find(|a| a.key() == name)
            .unwrap()
            .expr
            .evaluate(&Context::new())
            .unwrap()
    };

    let files = render(&src);
    let tags = value_at(
        &files["envs/dev/providers.tf"],
        &["provider", "default_tags", "tags"],
    );
    let hcl::Value::Object(expected_tags) = expected_tags else {
        panic!()
    };
    for (k, want) in &expected_tags {
        assert_eq!(get(&tags, &[k]), want, "tag {k}");
    }
    let services = value_at(&files["modules/ecs/main.tf"], &["locals", "services"]);
    let container = get(&services, &["echo", "containers", "0"]);
    assert_eq!(get(container, &["environment"]), &attr("environment"));
    assert_eq!(get(container, &["command"]), &attr("command"));
}

/// The hostile blueprint plans offline: the container environment and command in the task
/// definition JSON and the tags are exactly the blueprint's strings, and every planned
/// resource is one the app's modules declare (nothing injected).
#[test]
fn the_hostile_blueprint_plans_offline_with_every_value_unchanged() {
    let Some(tf) = Terraform::or_skip() else {
        return;
    };
    let src = std::fs::read_to_string(repo().join("tests/blueprints/hostile.hcl")).unwrap();
    let written: hcl::Body = hcl::from_str(&src).unwrap();
    let app = written.blocks().next().unwrap();
    let eval = |body: &hcl::Body, name: &str| {
        body.attributes()
            .find(|a| a.key() == name)
            .unwrap()
            .expr
            .evaluate(&Context::new())
            .unwrap()
    };
    let service = app
        .body
        .blocks()
        .find(|b| b.identifier() == "service")
        .unwrap();
    let env_block = app
        .body
        .blocks()
        .find(|b| b.identifier() == "environment")
        .unwrap();
    let to_json = |v: hcl::Value| serde_json::to_value(v).unwrap();
    let want_env = to_json(eval(&service.body, "environment"));
    let want_command = to_json(eval(&service.body, "command"));
    let mut want_tags = to_json(eval(&app.body, "tags"));
    let env_tags = to_json(eval(&env_block.body, "tags"));
    for (k, v) in env_tags.as_object().unwrap() {
        want_tags[k] = v.clone();
    }

    let ws = workspace(&["tests/blueprints/hostile.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let report = tf.check_app(&ws.path().join("out/hostile"));
    let plan = report.env("dev");

    let task = plan
        .changes
        .iter()
        .find(|c| c.resource_type == "aws_ecs_task_definition")
        .expect("a task definition");
    let defs: serde_json::Value =
        serde_json::from_str(task.after["container_definitions"].as_str().unwrap()).unwrap();
    let echo = &defs[0];
    let environment: serde_json::Map<String, serde_json::Value> = echo["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv["name"].as_str().unwrap().to_string(),
                kv["value"].clone(),
            )
        })
        .collect();
    // ECS drops empty values from the definition; every other value is exact.
    let want_env: serde_json::Map<String, serde_json::Value> = want_env
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.as_str() != Some(""))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let environment: serde_json::Map<String, serde_json::Value> = environment
        .into_iter()
        .filter(|(_, v)| v.as_str() != Some(""))
        .collect();
    assert_eq!(
        serde_json::Value::Object(environment),
        serde_json::Value::Object(want_env)
    );
    assert_eq!(echo["command"], want_command);

    // default_tags land in tags_all of every taggable resource.
    let cluster = plan
        .changes
        .iter()
        .find(|c| c.resource_type == "aws_ecs_cluster")
        .expect("a cluster");
    for (k, v) in want_tags.as_object().unwrap() {
        assert_eq!(&cluster.after["tags_all"][k], v, "tag {k}");
    }

    // Only the resource types the network, security and ecs modules declare.
    let mut declared = std::collections::BTreeSet::new();
    for m in ["network", "security", "ecs"] {
        let main =
            std::fs::read_to_string(ws.path().join(format!("out/hostile/modules/{m}/main.tf")))
                .unwrap();
        let body: hcl::Body = hcl::from_str(&main).unwrap();
        for b in body.blocks().filter(|b| b.identifier() == "resource") {
            declared.insert(b.labels()[0].as_str().to_string());
        }
    }
    for c in &plan.changes {
        assert!(
            c.address.starts_with("module.network.")
                || c.address.starts_with("module.security.")
                || c.address.starts_with("module.ecs."),
            "unexpected resource {}",
            c.address
        );
        assert!(
            c.mode == "data" || declared.contains(&c.resource_type),
            "unexpected resource type {}",
            c.address
        );
        assert!(!c.address.contains("pwned") && !c.address.contains("null_resource"));
    }
}
