//! Input that once passed when it should not, was reported at the wrong place, or was
//! reported in words that were wrong: items 6 to 10 of the second hardening pass (the bad-input
//! catalog holds one file per mistake as well).

use crate::support::{repo, run_in, tree};
use std::fs;

fn minimal() -> String {
    fs::read_to_string(repo().join("tests/blueprints/minimal.hcl")).unwrap()
}

fn validate(text: &[u8]) -> crate::support::Run {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("b.hcl"), text).unwrap();
    run_in(dir.path(), &["validate", "b.hcl"])
}

/// Items 6 and 8: no empty required string reaches generate; every problem of a file is
/// reported in one run, those of decoding and those of the rules together.
#[test]
fn empty_strings_are_errors_and_one_run_reports_every_problem() {
    let text = minimal()
        .replace(
            "region = \"eu-west-1\"",
            "region = \"eu-west-1\"\n  colour = \"red\"",
        )
        .replace(
            "image         = \"nginx:1.27\"",
            "image         = \"nginx:1.27\"\n    cpu_typo = 1",
        )
        .replace("cidr = \"10.10.0.0/16\"", "cidr = \"\"");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("b.hcl"), &text).unwrap();
    let run = run_in(dir.path(), &["generate", "b.hcl", "--out", "out"]).expect(2);
    assert!(
        run.stderr.contains("unknown attribute `colour`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`cidr` cannot be empty"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("unknown attribute `cpu_typo`"),
        "{}",
        run.stderr
    );
    assert!(tree(&dir.path().join("out")).is_empty());
    // A decoding error and a rule's error in different parts: both at once.
    let text = minimal()
        .replace(
            "region = \"eu-west-1\"",
            "region = \"eu-west-1\"\n  colour = \"red\"",
        )
        .replace(
            "azs  = [\"eu-west-1a\", \"eu-west-1b\"]",
            "azs  = [\"eu-west-1a\", \"eu-west-1a\"]",
        );
    let run = validate(text.as_bytes()).expect(2);
    assert!(
        run.stderr.contains("unknown attribute `colour`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("listed twice"), "{}", run.stderr);
}

/// Item 8: a byte order mark is accepted, CR-only line endings are named, text that is not
/// UTF-8 is reported at its first bad byte.
#[test]
fn encodings_and_line_endings_are_named_at_their_position() {
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(minimal().as_bytes());
    validate(&bom).expect(0);

    let cr = minimal().replace('\n', "\r");
    let run = validate(cr.as_bytes()).expect(2);
    assert!(run.stderr.starts_with("b.hcl:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("carriage return"), "{}", run.stderr);
    let crlf = minimal().replace('\n', "\r\n");
    validate(crlf.as_bytes()).expect(0);

    let text = minimal().replace(
        "image         = \"nginx:1.27\"",
        "image         = \"nginx:1.27\"\n    environment = { A = \"caf\u{1}\" }",
    );
    let mut latin1 = text.replace('\u{1}', "").into_bytes();
    let at = latin1.windows(4).position(|w| w == b"caf\"").unwrap() + 3;
    latin1.insert(at, 0xe9);
    let run = validate(&latin1).expect(2);
    let line = text.lines().position(|l| l.contains("caf")).unwrap() + 1;
    let col = text.lines().nth(line - 1).unwrap().find("caf").unwrap() + 4;
    assert!(
        run.stderr.starts_with(&format!(
            "b.hcl:{line}:{col}: the file is not UTF-8: byte 0xe9"
        )),
        "{}",
        run.stderr
    );
}

/// Item 9: the valid choices are listed once each.
#[test]
fn choices_are_listed_once() {
    let text = minimal().replace(
        "protocol = \"HTTPS\"",
        "protocol = \"HTTPS\"\n      zzzzzz = 1",
    );
    let run = validate(text.as_bytes()).expect(2);
    let first = run.stderr.lines().next().unwrap();
    assert!(first.contains("expected one of"), "{first}");
    let list = first.split("expected one of ").nth(1).unwrap();
    let mut names: Vec<&str> = list
        .split(['"'])
        .filter(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !s.is_empty())
        .collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "{first}");
    assert!(n >= 3, "{first}");
}

/// Item 9: tag limits count characters, not bytes; the default `instance_class` is valid
/// without a `serverless` block (it comes with the default capacity).
#[test]
fn tag_lengths_count_characters_and_the_default_instance_class_is_valid() {
    let key = "é".repeat(128);
    let value = "ü".repeat(256);
    let text = minimal().replace(
        "region = \"eu-west-1\"",
        &format!("region = \"eu-west-1\"\n  tags = {{ \"{key}\" = \"{value}\" }}"),
    );
    validate(text.as_bytes()).expect(0);
    let long = minimal().replace(
        "region = \"eu-west-1\"",
        &format!("region = \"eu-west-1\"\n  tags = {{ \"{key}é\" = \"x\" }}"),
    );
    validate(long.as_bytes()).expect(2);

    let db = minimal().replace(
        "    desired_count = 2\n  }\n",
        "    desired_count = 2\n  }\n\n  database \"main\" {\n    engine  = \"aurora-postgresql\"\n    version = \"16.4\"\n  }\n",
    );
    validate(db.as_bytes()).expect(0);
}

/// Item 9: paths that are not blueprint files are named for what they are; a linked `.hcl` in
/// a folder is read, not skipped.
#[cfg(unix)]
#[test]
fn paths_are_named_for_what_they_are_and_linked_blueprints_are_read() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["validate", "/dev/null"]).expect(2);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    symlink("loop", dir.path().join("loop")).unwrap();
    let run = run_in(dir.path(), &["validate", "loop"]).expect(2);
    assert!(run.stderr.contains("a loop of links"), "{}", run.stderr);
    let run = run_in(dir.path(), &["validate", "missing.hcl"]).expect(2);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);

    fs::create_dir(dir.path().join("bps")).unwrap();
    let real = dir.path().join("real.hcl");
    fs::write(&real, minimal()).unwrap();
    symlink(&real, dir.path().join("bps/linked.hcl")).unwrap();
    let run = run_in(dir.path(), &["validate", "bps"]).expect(0);
    assert!(run.stdout.contains("bps/linked.hcl: ok"), "{}", run.stdout);
}

/// Item 10: control characters of blueprint values never reach the terminal raw.
#[test]
fn control_characters_of_values_are_escaped_in_messages() {
    let text = minimal().replace(
        "region = \"eu-west-1\"",
        "region = \"eu\\u001b[2J\\u0007-west-1\"",
    );
    let run = validate(text.as_bytes()).expect(2);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(!run.stderr.contains('\u{7}'), "{:?}", run.stderr);
    assert!(run.stderr.contains("\\u{1b}[2J"), "{:?}", run.stderr);
    let text = minimal().replace("service \"web\"", "service \"w\\neb\"");
    let run = validate(text.as_bytes()).expect(2);
    // Each message is one line: no line of a value's own.
    assert!(
        run.stderr
            .lines()
            .all(|l| l.starts_with("b.hcl:") || l.starts_with("error: ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("w\\neb"), "{}", run.stderr);
}

/// Item 12: in the Markdown templates every value goes through the Markdown formatter (inert
/// text, or a code span with a long enough fence); `| raw` is left only on values the tool
/// derives from validated names.
#[test]
fn markdown_templates_escape_every_blueprint_value() {
    let derived = [
        "m.repository_namespace",
        "m.discovery_namespace",
        "m.capacity",
        "m.users | join(\", \")",
        "diagram",
    ];
    let mut found = Vec::new();
    for dir in ["modules", "templates"] {
        for e in walkdir::WalkDir::new(repo().join(dir)) {
            let e = e.unwrap();
            if !e.file_name().to_string_lossy().ends_with(".md.j2") {
                continue;
            }
            let text = fs::read_to_string(e.path()).unwrap();
            for (i, _) in text.match_indices("| raw }}") {
                let start = text[..i].rfind("{{").unwrap() + 2;
                let expr = text[start..i].trim();
                if !derived.contains(&expr) {
                    found.push(format!("{}: {expr}", e.path().display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "raw blueprint values in Markdown: {found:#?}"
    );
}
