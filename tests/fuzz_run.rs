//! The long fuzz run: FUZZ_CASES (default 50,000) mutated blueprints through the loader, and
//! through the model and the renderer when accepted, each watched for a panic and for a hang
//! (FUZZ_CASE_LIMIT_S seconds, default 10). Deterministic for a FUZZ_SEED (default 1), so a
//! failure can be replayed. Not part of the default `cargo test` (it takes minutes):
//!
//!   cargo test --release --test fuzz_run -- --ignored --nocapture
//!
//! Mutations, applied one to six at a time (one or two for half of the inputs) to a blueprint of `blueprints/`, `tests/blueprints/`
//! or `tests/blueprints/bad/`: a byte range deleted, a token of the language (or an odd
//! literal, an empty string, a control character) inserted, a line duplicated or swapped, a
//! quoted value emptied or replaced by an odd one, a span spliced in from another seed.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tfblueprint::render::Renderer;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "=",
    ",",
    ".",
    "\n",
    " ",
    "#",
    "//",
    "/*",
    "*/",
    "0",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "99999999999999999999",
    "65536",
    "4294967296",
    "true",
    "null",
    "var.x",
    "upper(\"a\")",
    "1 + 2",
    "a ? b : c",
    "[for x in y : x]",
    "\"${x}\"",
    "\"%{if x}y%{endif}\"",
    "<<EOT\nx\nEOT\n",
    "\"\\u00e9\"",
    "\"\\q\"",
    "service \"s\" {}",
    "environment \"e\" {}",
    "network {}",
    "database \"d\" {}",
    "cache \"c\" {}",
    "dns {}",
    "bastion {}",
    "allow {}",
    "route {}",
    "autoscaling {}",
    "container \"c\" {}",
    "serverless {}",
    "\"service.web\"",
    "\"10.0.0.0/8\"",
    "\"10.10.0.0/016\"",
    "\"+10.0.0.0/16\"",
    "\"\"",
    "\" \"",
    "é",
    "🚀",
    "\u{0}",
    "\r",
    "\t",
    "\u{feff}",
    "\u{1b}[2J",
    "``",
    "<!--",
    "-->",
    "|",
];

const ODD_VALUES: &[&str] = &[
    "",
    " ",
    "0",
    "-",
    "--",
    "a--b",
    "10.0.0.0/016",
    "0.0.0.0/0",
    "256.0.0.0/8",
    "db.serverless",
    "db.",
    "cache.",
    "eu-west-1",
    "eu-west-1z",
    "16.4\n<!-- END_TF_DOCS -->",
    "``<b>``",
    "a|b",
    "ssm:",
    "ssm:x",
    "secretsmanager:",
    "arn:aws:acm:eu-west-1:1:certificate/",
    "/",
    "\\",
    "service.",
    "service.web",
    "load_balancer.public",
    "${x}",
    "%{x}",
    "\u{202e}evil",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut Rng, seeds: &[String]) -> String {
    // Three in four from the valid seeds (the first ones), so that many inputs get past the
    // loader to the model and the renderer.
    let valid = seeds
        .iter()
        .take_while(|s| !s.starts_with("# expect: "))
        .count();
    let pick = if rng.below(4) > 0 {
        rng.below(valid)
    } else {
        rng.below(seeds.len())
    };
    let mut s = seeds[pick].clone();
    let most = if rng.below(2) == 0 { 2 } else { 6 };
    for _ in 0..1 + rng.below(most) {
        match rng.below(7) {
            0 => {
                let a = boundary(&s, rng.below(s.len() + 1));
                let b = boundary(&s, a + rng.below(40));
                s.replace_range(a..b.max(a), "");
            }
            1 => {
                let a = boundary(&s, rng.below(s.len() + 1));
                s.insert_str(a, TOKENS[rng.below(TOKENS.len())]);
            }
            2 | 3 => {
                let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
                if !lines.is_empty() {
                    let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                    if rng.below(2) == 0 {
                        let l = lines[i].clone();
                        lines.insert(j, l);
                    } else {
                        lines.swap(i, j);
                    }
                }
                s = lines.join("\n");
            }
            4 | 5 => {
                // A quoted value emptied or replaced.
                let quotes: Vec<usize> = s.match_indices("= \"").map(|(i, _)| i + 3).collect();
                if !quotes.is_empty() {
                    let start = quotes[rng.below(quotes.len())];
                    if let Some(len) = s[start..].find('"') {
                        let v = ODD_VALUES[rng.below(ODD_VALUES.len())];
                        let v = v
                            .replace('\\', "\\\\")
                            .replace('"', "\\\"")
                            .replace('\n', "\\n");
                        s.replace_range(start..start + len, &v);
                    }
                }
            }
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let a = boundary(other, rng.below(other.len() + 1));
                let b = boundary(other, a + rng.below(200));
                let at = boundary(&s, rng.below(s.len() + 1));
                s.insert_str(at, &other[a..b.max(a)]);
            }
        }
    }
    s
}

fn seeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["blueprints", "tests/blueprints", "tests/blueprints/bad"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
            .collect();
        paths.sort();
        for p in paths {
            seeds.push(std::fs::read_to_string(p).unwrap());
        }
    }
    seeds
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "minutes long: run with --ignored (see the module documentation)"]
fn fifty_thousand_mutated_blueprints_neither_panic_nor_hang() {
    let cases = env_num("FUZZ_CASES", 50_000) as usize;
    let limit = Duration::from_secs(env_num("FUZZ_CASE_LIMIT_S", 10));
    let seed = env_num("FUZZ_SEED", 1).max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let seeds = Arc::new(seeds());
    let renderer = Arc::new(Renderer::new());
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let slowest = Arc::new(AtomicU64::new(0));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    // Per worker: (case it is on, when it started).
    type Running = Vec<Option<(usize, Instant)>>;
    let current: Arc<Mutex<Running>> = Arc::new(Mutex::new(vec![None; threads]));
    std::panic::set_hook(Box::new(|_| {})); // panics are caught and reported below
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|w| {
            let (seeds, renderer, next, accepted, slowest, failures, current) = (
                seeds.clone(),
                renderer.clone(),
                next.clone(),
                accepted.clone(),
                slowest.clone(),
                failures.clone(),
                current.clone(),
            );
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= cases {
                        break;
                    }
                    // Each case has its own generator: the inputs do not depend on threads.
                    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i as u64 + 1));
                    for _ in 0..4 {
                        rng.next();
                    }
                    let src = mutate(&mut rng, &seeds);
                    let t = Instant::now();
                    current.lock().unwrap()[w] = Some((i, t));
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        match tfblueprint::blueprint::load_str(&src, "fuzz.hcl") {
                            Ok(bp) => {
                                let model = tfblueprint::model::build(&bp);
                                tfblueprint::generate::render_model(&renderer, &model, 1)
                                    .map(|_| true)
                                    .map_err(|e| {
                                        format!("an accepted blueprint does not render: {e:#}")
                                    })
                            }
                            Err(d) if d.is_empty() => Err("rejected with no diagnostic".into()),
                            Err(_) => Ok(false),
                        }
                    }));
                    current.lock().unwrap()[w] = None;
                    slowest.fetch_max(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                    match result {
                        Ok(Ok(true)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Ok(false)) => {}
                        Ok(Err(e)) => failures
                            .lock()
                            .unwrap()
                            .push(format!("case {i}: {e}\n{src}")),
                        Err(p) => {
                            let what = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("case {i}: panic: {what}\n{src}"));
                        }
                    }
                }
            })
        })
        .collect();
    // The watchdog: a case that runs past the limit is a hang.
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if let Some((i, t)) = current
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .find(|(_, t)| t.elapsed() > limit)
        {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (*i as u64 + 1));
            for _ in 0..4 {
                rng.next();
            }
            panic!(
                "case {i} runs for {:?} (a hang):\n{}",
                t.elapsed(),
                mutate(&mut rng, &seeds)
            );
        }
        if workers.iter().all(|w| w.is_finished()) {
            break;
        }
    }
    for w in workers {
        w.join().unwrap();
    }
    let _ = std::panic::take_hook();
    let took = started.elapsed();
    let failures = failures.lock().unwrap();
    println!(
        "fuzz run: {cases} mutated blueprints (seed {seed}, {threads} threads) in {:.1} s ({:.0} per second): {} accepted and rendered, {} rejected with diagnostics, {} panics or failures, slowest case {:.1} ms (hang limit {} s)",
        took.as_secs_f64(),
        cases as f64 / took.as_secs_f64(),
        accepted.load(Ordering::Relaxed),
        cases - accepted.load(Ordering::Relaxed) - failures.len(),
        failures.len(),
        slowest.load(Ordering::Relaxed) as f64 / 1000.0,
        limit.as_secs()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
