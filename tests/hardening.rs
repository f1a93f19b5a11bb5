//! The output folder under attack or accident: links planted at temporary names, journals that
//! were not written by a run, changes made between a crash and the next run, two runs at once,
//! runs killed before their commit point, and app folders no blueprint produces any more.

use crate::output::{change_cidr, run_stopped};
use crate::support::{run_in, tree, workspace};
use std::fs;
use std::os::unix::fs::symlink;

const NET: &str = "tests/blueprints/network-three-az.hcl";

/// Item 1: a link planted at a staged file's temporary name, or at the journal's, is removed and
/// never written through; the run writes its files inside the tree.
#[test]
fn links_planted_at_temporary_names_are_not_written_through() {
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    change_cidr(ws.path(), "10.40.0.0/16", "10.41.0.0/16");
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    let journal_victim = outside.path().join("journal-victim");
    fs::write(&victim, "precious\n").unwrap();
    fs::write(&journal_victim, "precious\n").unwrap();
    let out = ws.path().join("out");
    symlink(
        &victim,
        out.join("netcheck/envs/dev/.main.tf.tfblueprint-tmp"),
    )
    .unwrap();
    symlink(
        &journal_victim,
        out.join(".tfblueprint-journal.json.tfblueprint-tmp"),
    )
    .unwrap();
    // A link in a folder the run creates is of no use either: the folder is new.
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(fs::read_to_string(&journal_victim).unwrap(), "precious\n");
    assert!(
        fs::read_to_string(out.join("netcheck/envs/dev/main.tf"))
            .unwrap()
            .contains("10.41.0.0/16")
    );
    assert!(
        !fs::symlink_metadata(out.join("netcheck/envs/dev/main.tf"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    run_in(ws.path(), &["check", "--out", "out"]).expect(0);
    assert!(tree(&out).keys().all(|p| !p.ends_with(".tfblueprint-tmp")));
}

/// Item 1: a FIFO where a generated file goes is refused with a clear error, not waited on.
#[test]
fn a_fifo_in_the_tree_is_refused_not_waited_on() {
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let file = ws.path().join("out/netcheck/envs/dev/main.tf");
    fs::remove_file(&file).unwrap();
    let c = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let run = run_in(ws.path(), &["check", "--out", "out"]).expect(2);
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
}

fn journal_path(ws: &std::path::Path) -> std::path::PathBuf {
    ws.join("out/.tfblueprint-journal.json")
}

/// Item 2: a journal in the tree that the tool did not write (the format older versions
/// trusted, a well-formed one that names a user's file, or a link to one outside) never makes
/// a run remove or replace a user's file.
#[test]
fn a_journal_not_written_by_a_run_is_not_trusted() {
    use tfblueprint::output::manifest::sha256;
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let notes = ws.path().join("out/netcheck/notes.md");
    fs::write(&notes, "my notes\n").unwrap();
    let digest = sha256(b"my notes\n");
    let old_format =
        format!(r#"{{"renames": [], "removals": [["netcheck/notes.md", "{digest}"]]}}"#);

    // The format of older versions, crafted.
    fs::write(journal_path(ws.path()), &old_format).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(2);
    assert!(run.stderr.contains("is not a journal"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&notes).unwrap(), "my notes\n");

    // A link to a journal outside the tree.
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("j.json"), &old_format).unwrap();
    fs::remove_file(journal_path(ws.path())).unwrap();
    symlink(outside.path().join("j.json"), journal_path(ws.path())).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(2);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&notes).unwrap(), "my notes\n");
    fs::remove_file(journal_path(ws.path())).unwrap();

    // A well-formed journal with a matching digest that names the user's file.
    let lines = [
        r#"{"journal":{"version":2}}"#.to_string(),
        format!(r#"{{"remove":{{"target":"netcheck/notes.md","sha256":"{digest}"}}}}"#),
    ];
    let mut body = String::new();
    for l in &lines {
        body.push_str(l);
        body.push('\n');
    }
    let end = format!(
        r#"{{"end":{{"entries":2,"sha256":"{}"}}}}"#,
        sha256(body.as_bytes())
    );
    fs::write(journal_path(ws.path()), format!("{body}{end}\n")).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(2);
    assert!(
        run.stderr
            .contains("not generated files of their app's manifest"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("notes.md"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&notes).unwrap(), "my notes\n");
}

/// Item 3: after a crash past the commit point, a file the journal would replace that was
/// edited, or created by the user where a new file goes, stops the roll forward: nothing is
/// replaced, the message names the file and what to do, and nothing of the run is lost.
#[test]
fn a_roll_forward_never_replaces_a_file_changed_after_the_crash() {
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    change_cidr(ws.path(), "10.40.0.0/16", "10.41.0.0/16");
    assert_eq!(
        run_stopped(ws.path(), "after-commit", &["generate", "--out", "out"]).code,
        86
    );
    let main = ws.path().join("out/netcheck/envs/dev/main.tf");
    let mine = format!(
        "{}# my change after the crash\n",
        fs::read_to_string(&main).unwrap()
    );
    fs::write(&main, &mine).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(1);
    assert!(run.stderr.contains("envs/dev/main.tf"), "{}", run.stderr);
    assert!(run.stderr.contains("Move them away"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&main).unwrap(), mine);
    assert!(journal_path(ws.path()).exists(), "the journal was dropped");
    // Once the user moves the file away the run is finished.
    fs::rename(&main, ws.path().join("mine.tf")).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    assert!(
        run.stderr.contains("finished the interrupted"),
        "{}",
        run.stderr
    );
    run_in(ws.path(), &["check", "--out", "out"]).expect(0);

    // A new file of the run, created by hand in the meantime.
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let bp = ws.path().join("blueprints/network-three-az.hcl");
    let text = fs::read_to_string(&bp).unwrap();
    let with_env = text.replacen(
        "environment \"dev\"",
        "environment \"qa\" {\n  }\n  environment \"dev\"",
        1,
    );
    assert_ne!(with_env, text);
    fs::write(&bp, with_env).unwrap();
    assert_eq!(
        run_stopped(ws.path(), "after-commit", &["generate", "--out", "out"]).code,
        86
    );
    let new_file = ws.path().join("out/netcheck/envs/qa/main.tf");
    assert!(!new_file.exists());
    fs::write(&new_file, "# mine\n").unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(1);
    assert!(run.stderr.contains("envs/qa/main.tf"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&new_file).unwrap(), "# mine\n");
}

/// Item 4: `generate` holds the output folder exclusively, `check` and `diff` share it; a
/// second run waits (saying so), or fails at once with `--no-wait`.
#[test]
fn one_writer_at_a_time_holds_the_output_folder() {
    use tfblueprint::output::lock::{Mode, acquire};
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    change_cidr(ws.path(), "10.40.0.0/16", "10.41.0.0/16");
    let out = ws.path().join("out");
    let before = tree(&out);

    let held = acquire(&out, Mode::Exclusive, false, || {}).unwrap();
    let run = run_in(ws.path(), &["generate", "--out", "out", "--no-wait"]).expect(2);
    assert!(
        run.stderr.contains("another tfblueprint run"),
        "{}",
        run.stderr
    );
    let run = run_in(ws.path(), &["check", "--out", "out", "--no-wait"]).expect(2);
    assert!(
        run.stderr.contains("another tfblueprint run"),
        "{}",
        run.stderr
    );
    run_in(ws.path(), &["diff", "--out", "out", "--no-wait"]).expect(2);
    assert_eq!(tree(&out), before);

    // Without --no-wait the run waits for the lock, then runs.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tfblueprint"))
        .args(["generate", "--out", "out"])
        .current_dir(ws.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        tree(&out),
        before,
        "a run wrote while another held the lock"
    );
    drop(held);
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success());
    assert!(String::from_utf8_lossy(&done.stderr).contains("waiting for another tfblueprint run"));
    assert_ne!(tree(&out), before);

    // Readers share: a check runs while another reader holds the folder, a generate does not.
    let shared = acquire(&out, Mode::Shared, false, || {}).unwrap();
    run_in(ws.path(), &["check", "--out", "out", "--no-wait"]).expect(0);
    run_in(ws.path(), &["generate", "--out", "out", "--no-wait"]).expect(2);
    drop(shared);
}

/// Item 5: a run killed before its commit point leaves folders and temporary files; `check`
/// says so, and the next run removes them, folders included.
#[test]
fn a_run_stopped_before_its_commit_point_leaves_no_folder_behind() {
    let ws = workspace(&[NET]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    let out = ws.path().join("out");
    let before = tree(&out);
    let dirs = |out: &std::path::Path| -> Vec<String> {
        walkdir::WalkDir::new(out)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_dir())
            .map(|e| e.path().display().to_string())
            .collect()
    };
    let before_dirs = dirs(&out);
    // A new environment: new folders.
    let bp = ws.path().join("blueprints/network-three-az.hcl");
    let text = fs::read_to_string(&bp).unwrap();
    fs::write(
        &bp,
        text.replacen(
            "environment \"dev\"",
            "environment \"qa\" {\n  }\n  environment \"dev\"",
            1,
        ),
    )
    .unwrap();
    assert_eq!(
        run_stopped(ws.path(), "before-commit", &["generate", "--out", "out"]).code,
        86
    );
    assert!(out.join("netcheck/envs/qa").is_dir());
    let check = run_in(ws.path(), &["check", "--out", "out"]).expect(1);
    assert!(check.stdout.contains("interrupted"), "{}", check.stdout);
    fs::write(&bp, &text).unwrap();
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    assert_eq!(tree(&out), before);
    assert_eq!(
        dirs(&out),
        before_dirs,
        "folders of the stopped run are left"
    );
    run_in(ws.path(), &["check", "--out", "out"]).expect(0);
}

/// Item 5: an app folder whose blueprint is gone makes `check` fail, naming it; `generate
/// --prune` removes its generated files and manifest, but not a user's file in it, nor a
/// folder without a manifest.
#[test]
fn app_folders_of_no_blueprint_are_reported_and_pruned() {
    let ws = workspace(&[NET, "tests/blueprints/minimal.hcl"]);
    run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    fs::remove_file(ws.path().join("blueprints/minimal.hcl")).unwrap();
    let out = ws.path().join("out");
    fs::create_dir_all(out.join("mine")).unwrap();
    fs::write(out.join("mine/keep.txt"), "mine\n").unwrap();
    let check = run_in(ws.path(), &["check", "--out", "out"]).expect(1);
    assert!(
        check
            .stdout
            .contains("produced by no blueprint of this run: out/shop"),
        "{}",
        check.stdout
    );
    assert!(!check.stdout.contains("out/mine"), "{}", check.stdout);
    let run = run_in(ws.path(), &["generate", "--out", "out"]).expect(0);
    assert!(run.stderr.contains("--prune"), "{}", run.stderr);
    assert!(out.join("shop").is_dir());

    fs::write(out.join("shop/envs/default/override.tf"), "# mine\n").unwrap();
    let edited = out.join("shop/README.md");
    let mut text = fs::read_to_string(&edited).unwrap();
    text.push_str("edited\n");
    fs::write(&edited, &text).unwrap();
    run_in(ws.path(), &["generate", "--out", "out", "--prune"]).expect(1);
    assert_eq!(fs::read_to_string(&edited).unwrap(), text);
    let run = run_in(
        ws.path(),
        &["generate", "--out", "out", "--prune", "--force"],
    )
    .expect(0);
    assert!(run.stdout.contains("1 app folder"), "{}", run.stdout);
    let left: Vec<String> = tree(&out.join("shop")).into_keys().collect();
    assert_eq!(left, vec!["envs/default/override.tf".to_string()]);
    assert_eq!(
        fs::read_to_string(out.join("mine/keep.txt")).unwrap(),
        "mine\n"
    );
    run_in(ws.path(), &["check", "--out", "out"]).expect(0);
    fs::remove_file(out.join("shop/envs/default/override.tf")).unwrap();
}
