//! Blueprints are rendered, compared and staged in parallel: the output must not depend on it.

use crate::support::{run_in, tree, workspace};
use std::path::Path;
use std::process::Command;

/// `tfblueprint args...` in `dir` on `threads` worker threads; returns the exit code.
fn run_threads(dir: &Path, threads: usize, args: &[&str]) -> i32 {
    Command::new(env!("CARGO_BIN_EXE_tfblueprint"))
        .args(args)
        .current_dir(dir)
        .env("TFBLUEPRINT_THREADS", threads.to_string())
        .output()
        .expect("binary runs")
        .status
        .code()
        .unwrap_or(-1)
}

#[test]
fn parallel_output_is_byte_identical_to_a_serial_run() {
    let ws = workspace(&[
        "blueprints/websight.hcl",
        "blueprints/ecs-platform.hcl",
        "blueprints/accurate-video.hcl",
        "blueprints/magento.hcl",
        "blueprints/fargate-api.hcl",
        "tests/blueprints/full-stack.hcl",
        "tests/blueprints/data-tier.hcl",
        "tests/blueprints/spot-api.hcl",
    ]);
    let dir = ws.path();
    let full = std::fs::read_to_string(dir.join("blueprints/full-stack.hcl")).unwrap();
    for i in 0..3 {
        let text = full
            .replace("full-stack", &format!("variant-{i}"))
            .replace("10.90.0.0/16", &format!("10.{}.0.0/16", 100 + i));
        std::fs::write(dir.join(format!("blueprints/variant-{i}.hcl")), text).unwrap();
    }
    assert_eq!(
        run_threads(dir, 1, &["generate", "blueprints", "--out", "serial"]),
        0
    );
    for threads in [2, 5] {
        let out = format!("parallel-{threads}");
        assert_eq!(
            run_threads(dir, threads, &["generate", "blueprints", "--out", &out]),
            0
        );
        assert!(
            tree(&dir.join("serial")) == tree(&dir.join(&out)),
            "{threads} threads wrote other files than one"
        );
        assert_eq!(
            run_threads(dir, threads, &["check", "blueprints", "--out", "serial"]),
            0
        );
    }
    // The report of a stale tree does not depend on the threads either, and check writes
    // nothing, not even a temporary file.
    std::fs::remove_file(dir.join("serial/variant-2/envs/prod/main.tf")).unwrap();
    std::fs::write(
        dir.join("serial/variant-1/modules/ecs/main.tf"),
        "# edited\n",
    )
    .unwrap();
    let before = tree(&dir.join("serial"));
    let serial = run_in(dir, &["check", "blueprints", "--out", "serial"]).expect(1);
    for threads in [1, 5] {
        let out = Command::new(env!("CARGO_BIN_EXE_tfblueprint"))
            .args(["check", "blueprints", "--out", "serial"])
            .current_dir(dir)
            .env("TFBLUEPRINT_THREADS", threads.to_string())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), serial.stdout);
    }
    assert!(
        tree(&dir.join("serial")) == before,
        "check changed the output folder"
    );
}

/// One blueprint renders its modules and environments on every thread: the files, and what
/// `diff` says of them, are the same on one thread as on several.
#[test]
fn one_blueprint_on_several_threads_gives_the_files_of_one() {
    let ws = workspace(&["tests/blueprints/full-stack.hcl"]);
    let dir = ws.path();
    assert_eq!(
        run_threads(dir, 1, &["generate", "blueprints", "--out", "serial"]),
        0
    );
    let serial = tree(&dir.join("serial"));
    assert!(serial.len() > 40, "{} files", serial.len());
    let bp = dir.join("blueprints/full-stack.hcl");
    let text = std::fs::read_to_string(&bp).unwrap();
    std::fs::write(&bp, text.replace("desired_count = 2", "desired_count = 3")).unwrap();
    let diff = |threads: usize| {
        let out = Command::new(env!("CARGO_BIN_EXE_tfblueprint"))
            .args(["diff", "blueprints", "--out", "serial", "--format", "json"])
            .current_dir(dir)
            .env("TFBLUEPRINT_THREADS", threads.to_string())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let serial_diff = diff(1);
    assert!(serial_diff.contains("desired_count"), "{serial_diff}");
    std::fs::write(&bp, &text).unwrap();
    for threads in [2, 4, 16] {
        let out = format!("parallel-{threads}");
        assert_eq!(
            run_threads(dir, threads, &["generate", "blueprints", "--out", &out]),
            0
        );
        assert!(
            tree(&dir.join(&out)) == serial,
            "{threads} threads wrote other files than one"
        );
        std::fs::write(&bp, text.replace("desired_count = 2", "desired_count = 3")).unwrap();
        assert_eq!(diff(threads), serial_diff, "{threads} threads");
        std::fs::write(&bp, &text).unwrap();
    }
}
