//! The bad-input catalog: every file in tests/blueprints/bad holds one mistake and says on its
//! first line where the error must point and which words the message must hold:
//! `# expect: LINE:COL word, other words`.

use crate::support::{repo, run_in, tree};

struct Case {
    file: String,
    line_col: String,
    words: Vec<String>,
}

fn cases() -> Vec<Case> {
    let dir = repo().join("tests/blueprints/bad");
    let mut cases = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
    {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let spec = first
            .strip_prefix("# expect: ")
            .unwrap_or_else(|| panic!("{} lacks its `# expect:` line", path.display()));
        let (line_col, words) = spec.split_once(' ').unwrap();
        cases.push(Case {
            file: path.file_name().unwrap().to_string_lossy().into_owned(),
            line_col: line_col.to_string(),
            words: words
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect(),
        });
    }
    assert!(cases.len() >= 100, "the catalog shrank to {}", cases.len());
    cases
}

#[test]
fn every_bad_blueprint_exits_2_at_its_position_and_writes_nothing() {
    let mut failures = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let src = repo().join("tests/blueprints/bad").join(&case.file);
        std::fs::copy(&src, dir.path().join(&case.file)).unwrap();
        let run = run_in(dir.path(), &["generate", &case.file, "--out", "out"]);
        let first = run.stderr.lines().next().unwrap_or_default().to_string();
        let want_prefix = format!("{}:{}: ", case.file, case.line_col);
        let mut problems = Vec::new();
        if run.code != 2 {
            problems.push(format!("exit code {} instead of 2", run.code));
        }
        if !first.starts_with(&want_prefix) {
            problems.push(format!("first line does not start with {want_prefix:?}"));
        }
        for w in &case.words {
            if !first.to_lowercase().contains(&w.to_lowercase()) {
                problems.push(format!("message lacks {w:?}"));
            }
        }
        if !tree(&dir.path().join("out")).is_empty() {
            problems.push("files were written".into());
        }
        if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
            problems.push("a panic".into());
        }
        if ["Some(", "Err(", "Error {", "kind: ", "stack backtrace"]
            .iter()
            .any(|p| run.stderr.contains(p))
        {
            problems.push("a Rust debug dump".into());
        }
        if !run.stderr.contains("nothing was written") {
            problems.push("no `nothing was written` summary".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    got: {first}",
                case.file,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad-input cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_catalog_base_is_valid_so_each_case_fails_for_its_own_reason() {
    let dir = repo();
    run_in(&dir, &["validate", "tests/blueprints/minimal.hcl"]).expect(0);
}

#[test]
fn several_errors_in_one_file_are_all_reported_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("two.hcl"),
        "app \"x\" {\n  region = \"eu-west-1\"\n  colour = \"red\"\n  network {\n    cidr = \"10.0.0.0/16\"\n    azs  = [\"eu-west-1a\"]\n    nat  = \"sometimes\"\n  }\n}\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["validate", "two.hcl"]).expect(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].starts_with("two.hcl:3:3: unknown attribute `colour`"),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with("two.hcl:7:12: `nat` must be"),
        "{}",
        run.stderr
    );
    assert!(
        lines[2].starts_with("error: 2 problems in two.hcl"),
        "{}",
        run.stderr
    );
}

/// Two blueprints of one run that describe the same app would write one output folder (and
/// the same AWS names): the second is an error at its app label, naming the first; validate
/// says so too, and generate writes nothing.
#[test]
fn two_blueprints_with_one_app_name_are_refused_at_the_second_label() {
    let ws = crate::support::workspace(&["tests/blueprints/minimal.hcl"]);
    let dir = ws.path();
    let text = std::fs::read_to_string(dir.join("blueprints/minimal.hcl")).unwrap();
    std::fs::write(dir.join("blueprints/copy.hcl"), &text).unwrap();
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("app \"").map(|c| (i + 1, c + 5)))
        .unwrap();
    for args in [
        &["validate", "blueprints"][..],
        &["generate", "blueprints", "--out", "out"][..],
    ] {
        let run = run_in(dir, args).expect(2);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("blueprints/minimal.hcl:{line}:{col}: app \"")),
            "{}",
            run.stderr
        );
        assert!(
            first.contains(&format!(
                "also described by blueprints/copy.hcl:{line}:{col}"
            )),
            "{}",
            run.stderr
        );
    }
    assert!(!dir.join("out").exists(), "{:?}", tree(&dir.join("out")));
}
