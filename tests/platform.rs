//! What a platform team needs around the generated code: remote state and account roles, the
//! pre-commit hooks, the pull-request comment, shell completions and the man page, progress on a
//! terminal, and a template overlay.

use crate::support::terraform::Terraform;
use crate::support::{repo, run_in, tree, workspace};

fn generated(
    blueprint: &str,
) -> (
    tempfile::TempDir,
    std::collections::BTreeMap<String, String>,
) {
    let ws = workspace(&[blueprint]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let files = tree(&ws.path().join("out"));
    (ws, files)
}

#[test]
fn state_gives_each_environment_an_s3_backend_and_role_arn_an_assume_role() {
    let (_ws, files) = generated("tests/blueprints/remote-state.hcl");
    let dev = &files["remote-state/envs/dev/backend.tf"];
    for line in [
        "backend \"s3\" {",
        "bucket       = \"acme-terraform-state\"",
        "key          = \"remote-state/dev/terraform.tfstate\"",
        "region       = \"us-east-1\"",
        "encrypt      = true",
        "use_lockfile = true",
    ] {
        assert!(dev.contains(line), "dev backend lacks {line:?}:\n{dev}");
    }
    // prod's own state block replaces the bucket and the region; the key names prod.
    let prod = &files["remote-state/envs/prod/backend.tf"];
    assert!(
        prod.contains("bucket       = \"acme-prod-state\""),
        "{prod}"
    );
    assert!(prod.contains("region       = \"eu-west-1\""), "{prod}");
    assert!(prod.contains("key          = \"remote-state/prod/terraform.tfstate\""));
    let providers = &files["remote-state/envs/prod/providers.tf"];
    assert!(
        providers.contains(
            "  assume_role {\n    role_arn     = \"arn:aws:iam::222222222222:role/terraform\"\n    session_name = \"remote-state-prod\"\n  }\n"
        ),
        "{providers}"
    );
    // use_lockfile needs Terraform 1.10: the root says so.
    assert!(files["remote-state/envs/dev/versions.tf"].contains("required_version = \">= 1.10\""));
    // The manifest owns the new file like every other one.
    assert!(files["remote-state/.tfblueprint.json"].contains("\"envs/dev/backend.tf\""));
}

#[test]
fn without_state_and_role_the_roots_are_as_before() {
    // The committed examples have neither: no backend file, no assume_role, Terraform >= 1.5;
    // `check` on them (in CI and in the output tests) proves the bytes did not move.
    let files = tree(&repo().join("examples"));
    assert!(!files.is_empty());
    for (path, text) in &files {
        assert!(!path.ends_with("/backend.tf"), "{path}");
        if path.ends_with("/providers.tf") {
            assert!(!text.contains("assume_role"), "{path}");
        }
        if path.contains("/envs/") && path.ends_with("/versions.tf") {
            assert!(text.contains("required_version = \">= 1.5\""), "{path}");
        }
    }
    let ws = workspace(&[]);
    let examples = repo().join("examples");
    let blueprints = repo().join("blueprints");
    run_in(
        ws.path(),
        &[
            "check",
            blueprints.to_str().unwrap(),
            "--out",
            examples.to_str().unwrap(),
        ],
    )
    .expect(0);
}

#[test]
fn a_root_with_a_backend_validates_and_plans_offline() {
    let tf = match Terraform::find() {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let (ws, _) = generated("tests/blueprints/remote-state.hcl");
    let report = tf.check_app(&ws.path().join("out/remote-state"));
    for env in ["dev", "prod"] {
        assert!(report.envs[env].count("aws_ecs_service") == 1, "{env}");
    }
}

/// A workspace with the minimal blueprint and an overlay folder holding `files`.
fn overlay_workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let ws = workspace(&["tests/blueprints/minimal.hcl"]);
    for (name, text) in files {
        let path = ws.path().join("overlay").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    ws
}

fn builtin(name: &str) -> String {
    let run = run_in(&repo(), &["templates", "show", name]).expect(0);
    run.stdout
}

#[test]
fn an_overlay_template_replaces_the_built_in_one_of_its_path() {
    let versions = builtin("modules/network/versions.tf.j2");
    assert!(versions.contains(">= 5.100, < 7.0"), "{versions}");
    let ws = overlay_workspace(&[(
        "modules/network/versions.tf.j2",
        &versions.replace(">= 5.100, < 7.0", ">= 6.0, < 7.0"),
    )]);
    let args = ["generate", "--out", "out", "--templates", "overlay"];
    run_in(ws.path(), &args).expect(0);
    let files = tree(&ws.path().join("out/shop"));
    assert!(files["modules/network/versions.tf"].contains("version = \">= 6.0, < 7.0\""));
    // The other modules keep the built-in template.
    assert!(files["modules/ecs/versions.tf"].contains(">= 5.100, < 7.0"));
    // The manifest records the overlay and the digest of each of its templates.
    let manifest: serde_json::Value = serde_json::from_str(&files[".tfblueprint.json"]).unwrap();
    let overlay = &manifest["overlay"];
    assert_eq!(overlay["sha256"].as_str().unwrap().len(), 64, "{manifest}");
    assert!(overlay["templates"]["modules/network/versions.tf.j2"].is_string());
    // In sync with the overlay; out of sync without it, and after any change to it.
    run_in(
        ws.path(),
        &["check", "--out", "out", "--templates", "overlay"],
    )
    .expect(0);
    let without = run_in(ws.path(), &["check", "--out", "out"]).expect(1);
    assert!(
        without.stdout.contains("modules/network/versions.tf"),
        "{}",
        without.stdout
    );
    let path = ws.path().join("overlay/modules/network/versions.tf.j2");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{# a comment renders nothing, yet the overlay changed #}\n");
    std::fs::write(&path, text).unwrap();
    let changed = run_in(
        ws.path(),
        &["check", "--out", "out", "--templates", "overlay"],
    )
    .expect(1);
    assert!(
        changed.stdout.contains(".tfblueprint.json"),
        "{}",
        changed.stdout
    );
}

#[test]
fn an_overlay_template_of_a_new_name_adds_a_file_rendered_like_the_others() {
    let ws = overlay_workspace(&[(
        "templates/root/ownership.tf.j2",
        // `{{ }}` is escaped as an HCL literal, as in every built-in template; the aligner
        // lines up the `=`.
        "locals {\n  owner = {{ app.name ~ \"-\" ~ env.name }}\n  quoted_text = {{ \"a \\\"b\\\" ${c}\" }}\n}\n",
    )]);
    run_in(
        ws.path(),
        &["generate", "--out", "out", "--templates", "overlay"],
    )
    .expect(0);
    let files = tree(&ws.path().join("out/shop"));
    let added = &files["envs/default/ownership.tf"];
    assert_eq!(
        added,
        "# Code generated by tfblueprint from minimal.hcl. DO NOT EDIT.\n\nlocals {\n  owner       = \"shop-default\"\n  quoted_text = \"a \\\"b\\\" $${c}\"\n}\n"
    );
    assert!(files[".tfblueprint.json"].contains("\"envs/default/ownership.tf\""));
    // `templates list` shows what the overlay replaces and adds.
    let list = run_in(ws.path(), &["templates", "list", "--templates", "overlay"]).expect(0);
    assert!(
        list.stdout
            .contains("templates/root/ownership.tf.j2  (added by the overlay)")
    );
    assert!(list.stdout.contains("modules/ecs/main.tf.j2\n"));
}

#[test]
fn a_blueprint_names_its_overlay_relative_to_itself() {
    let ws = overlay_workspace(&[(
        "templates/root/ownership.tf.j2",
        "locals {\n  owner = {{ app.name }}\n}\n",
    )]);
    let bp = ws.path().join("blueprints/minimal.hcl");
    let text = std::fs::read_to_string(&bp).unwrap().replace(
        "  region = \"eu-west-1\"\n",
        "  region    = \"eu-west-1\"\n  templates = \"../overlay\"\n",
    );
    std::fs::write(&bp, text).unwrap();
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    assert!(tree(&ws.path().join("out/shop")).contains_key("envs/default/ownership.tf"));
    // A folder that is not there: an error at the attribute.
    let text = std::fs::read_to_string(&bp)
        .unwrap()
        .replace("../overlay", "../nowhere");
    std::fs::write(&bp, text).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out2"]).expect(2);
    assert!(
        run.stderr
            .starts_with("blueprints/minimal.hcl:6:15: `templates` \"../nowhere\" is not a folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_overlay_template_error_is_reported_at_its_line_and_column_and_nothing_is_written() {
    for (template, at, words) in [
        ("locals {\n  x = {% if %}\n}\n", "2:13", "syntax error"),
        ("locals {\n  x = {{ app.nmae }}\n}\n", "2:10", "undefined"),
    ] {
        let ws = overlay_workspace(&[("templates/root/broken.tf.j2", template)]);
        let run = run_in(
            ws.path(),
            &["generate", "--out", "out", "--templates", "overlay"],
        )
        .expect(2);
        let want = format!("overlay/templates/root/broken.tf.j2:{at}: template error: ");
        assert!(run.stderr.starts_with(&want), "{want}\n{}", run.stderr);
        assert!(run.stderr.contains(words), "{}", run.stderr);
        assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
        assert!(!ws.path().join("out").exists(), "something was written");
    }
    // A template in a folder the tool never renders is refused, with the folders it renders.
    let ws = overlay_workspace(&[("modules/netwrok/main.tf.j2", "locals {}\n")]);
    let run = run_in(
        ws.path(),
        &["generate", "--out", "out", "--templates", "overlay"],
    )
    .expect(2);
    assert!(
        run.stderr.contains("did you mean modules/network/?"),
        "{}",
        run.stderr
    );
    // Output that is not HCL is caught by the self-check, in every build.
    let ws = overlay_workspace(&[("templates/root/open.tf.j2", "locals {\n  x = 1\n")]);
    let run = run_in(
        ws.path(),
        &["generate", "--out", "out", "--templates", "overlay"],
    )
    .expect(2);
    assert!(
        run.stderr
            .contains("overlay/templates/root/open.tf.j2 renders a file that is not valid HCL"),
        "{}",
        run.stderr
    );
    assert!(!ws.path().join("out").exists());
}

#[test]
fn templates_show_prints_a_built_in_template_and_names_the_near_one() {
    let show = run_in(
        &repo(),
        &["templates", "show", "templates/root/providers.tf.j2"],
    )
    .expect(0);
    assert_eq!(
        show.stdout,
        std::fs::read_to_string(repo().join("templates/root/providers.tf.j2")).unwrap()
    );
    let near = run_in(
        &repo(),
        &["templates", "show", "templates/root/provider.tf.j2"],
    )
    .expect(2);
    assert!(
        near.stderr
            .contains("did you mean templates/root/providers.tf.j2?"),
        "{}",
        near.stderr
    );
}

/// The hooks of .pre-commit-hooks.yaml: (id, entry, files regex, pass_filenames).
fn hooks() -> Vec<(String, String, String, bool)> {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let mut hooks = Vec::new();
    for item in text.split("\n- ").skip(1) {
        let field = |key: &str| {
            item.lines()
                .map(|l| l.trim_start_matches("- ").trim())
                .find_map(|l| l.strip_prefix(&format!("{key}: ")))
                .unwrap_or_else(|| panic!("hook without {key}: {item}"))
                .to_string()
        };
        hooks.push((
            field("id"),
            field("entry"),
            field("files"),
            field("pass_filenames") == "true",
        ));
    }
    hooks
}

#[test]
fn the_pre_commit_hooks_run_on_the_staged_blueprints() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(ids, ["tfblueprint-validate", "tfblueprint-check"]);
    let ws = workspace(&["tests/blueprints/minimal.hcl"]);
    run_in(ws.path(), &["generate", "--out", "generated"]).expect(0);
    std::fs::copy(
        repo().join("tests/blueprints/bad/bad-region.hcl"),
        ws.path().join("bad-region.hcl"),
    )
    .unwrap();
    // Run each hook's entry as pre-commit does: the entry's words, then the staged file names.
    let hook = |id: &str, files: &[&str]| {
        let (_, entry, pattern, pass) = hooks.iter().find(|h| h.0 == id).unwrap();
        assert_eq!(pattern, "\\.hcl$");
        assert!(pass, "{id} passes the file names");
        let mut words: Vec<&str> = entry.split_whitespace().collect();
        assert_eq!(words.remove(0), "tfblueprint");
        words.extend(files);
        run_in(ws.path(), &words)
    };
    hook("tfblueprint-validate", &["blueprints/minimal.hcl"]).expect(0);
    let bad = hook(
        "tfblueprint-validate",
        &["blueprints/minimal.hcl", "bad-region.hcl"],
    )
    .expect(2);
    assert!(bad.stderr.starts_with("bad-region.hcl:"), "{}", bad.stderr);
    hook("tfblueprint-check", &["blueprints/minimal.hcl"]).expect(0);
    let bp = ws.path().join("blueprints/minimal.hcl");
    let text = std::fs::read_to_string(&bp)
        .unwrap()
        .replace("desired_count = 2", "desired_count = 3");
    std::fs::write(&bp, text).unwrap();
    let stale = hook("tfblueprint-check", &["blueprints/minimal.hcl"]).expect(1);
    assert!(
        stale
            .stdout
            .contains("stale: generated/shop/envs/default/main.tf"),
        "{}",
        stale.stdout
    );
}

#[test]
fn a_markdown_diff_stays_within_max_bytes_and_counts_what_it_left_off() {
    let ws = workspace(&[
        "tests/blueprints/full-stack.hcl",
        "tests/blueprints/data-tier.hcl",
        "tests/blueprints/minimal.hcl",
    ]);
    // Against an empty output everything is created: a long report.
    let full = run_in(ws.path(), &["diff", "--out", "out", "--format", "markdown"]).expect(0);
    assert!(full.stdout.len() > 20_000, "{}", full.stdout.len());
    let limit = 8_000;
    let args = [
        "diff",
        "--out",
        "out",
        "--format",
        "markdown",
        "--max-bytes",
        "8000",
    ];
    let cut = run_in(ws.path(), &args).expect(0);
    assert!(cut.stdout.len() <= limit, "{} bytes", cut.stdout.len());
    assert!(full.stdout.starts_with(cut.stdout.lines().next().unwrap()));
    let note = cut.stdout.lines().last().unwrap();
    assert!(
        note.starts_with("> **Truncated** to stay within 8000 bytes: "),
        "{note}"
    );
    assert!(
        note.contains("resource rows") && note.contains("file rows"),
        "{note}"
    );
    // The rows kept and the rows counted as left off are all the rows.
    let rows = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| Action"))
            .count()
    };
    let counted: usize = note
        .split(": ")
        .nth(1)
        .unwrap()
        .split(", ")
        .filter(|p| p.contains("rows"))
        .map(|p| p.split(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(rows(&cut.stdout) + counted, rows(&full.stdout), "{note}");
    // A report under the limit is left as it is; the limit applies to Markdown only.
    let whole = run_in(
        ws.path(),
        &[
            "diff",
            "--out",
            "out",
            "--format",
            "markdown",
            "--max-bytes",
            "65536",
        ],
    );
    assert!(whole.stdout.len() < 65536 || whole.stdout.contains("**Truncated**"));
    let text = run_in(ws.path(), &["diff", "--out", "out", "--max-bytes", "100"]).expect(2);
    assert!(text.stderr.contains("--format markdown"), "{}", text.stderr);
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F _tfblueprint"),
        ("zsh", "#compdef tfblueprint"),
        ("fish", "complete -c tfblueprint"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = run_in(&repo(), &["completions", shell]).expect(0);
        assert!(run.stdout.contains(marker), "{shell}:\n{}", run.stdout);
        for sub in ["generate", "check", "diff", "templates"] {
            assert!(run.stdout.contains(sub), "{shell} lacks {sub}");
        }
    }
    let man = run_in(&repo(), &["man"]).expect(0);
    assert!(man.stdout.contains(".TH tfblueprint 1"));
    assert!(man.stdout.contains("generate"));
    let page = run_in(&repo(), &["man", "diff"]).expect(0);
    assert!(
        page.stdout.contains(".TH tfblueprint-diff 1"),
        "{}",
        &page.stdout[..300.min(page.stdout.len())]
    );
    assert!(page.stdout.contains("max\\-bytes"));
    let unknown = run_in(&repo(), &["man", "difff"]).expect(2);
    assert!(
        unknown.stderr.contains("the commands are"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn the_pull_request_workflow_runs_commands_the_tool_accepts() {
    use clap::Parser;
    let text = std::fs::read_to_string(repo().join("docs/workflows/tfblueprint-pull-request.yml"))
        .unwrap();
    let bytes: usize = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("COMMENT_BYTES: "))
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap();
    assert!(bytes < 65_536, "a comment holds at most 65,536 characters");
    let mut commands = 0;
    for line in text.lines() {
        let line = line.replace("$COMMENT_BYTES", &bytes.to_string());
        let line = line.trim().trim_start_matches("run: ");
        if !line.starts_with("tfblueprint ") {
            continue;
        }
        // The words before a redirection, shell variables as plain words.
        let words: Vec<String> = line
            .split(" > ")
            .next()
            .unwrap()
            .split_whitespace()
            .map(|w| w.trim_matches('"').to_string())
            .collect();
        if let Err(e) = tfblueprint::cli::Cli::try_parse_from(&words) {
            panic!("{line}: {e}");
        }
        commands += 1;
    }
    assert!(
        commands >= 4,
        "{commands} tfblueprint commands in the workflow"
    );
    assert!(text.contains("--max-bytes \"$COMMENT_BYTES\""));
}
