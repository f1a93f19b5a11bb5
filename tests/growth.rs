//! No quadratic step: the work of a run grows linearly with its input.
//!
//! Time is no fit measure in a test, so this binary counts what the process allocates (bytes
//! and allocations, through a counting global allocator) while `tfblueprint check` runs
//! in-process over growing input: more blueprints, and more services in one blueprint. For
//! linear work the growth from n to 4n is 4 times the growth from n/4 to n; a quadratic step
//! makes it 16 times. Work that allocates nothing (a linear search, say) is not seen here; the
//! benchmark (`bench/run.sh`) reports the time per blueprint at three sizes for that.
//!
//! The same allocator keeps the peak of live bytes: `generate`, `check` and `diff` over many
//! blueprints hold the differences, never the whole rendered output.
//!
//! A dedicated test binary, so that no other test allocates while one is measured; its tests
//! run one after the other (a lock), for the same reason.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static BYTES: AtomicU64 = AtomicU64::new(0);
static COUNT: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated and not yet freed, and the most of them since the last reset.
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grew(bytes: u64) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        grew(layout.size() as u64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        grew(new_size as u64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const FULL_STACK: &str = include_str!("blueprints/full-stack.hcl");

/// `n` distinct variants of the full-stack blueprint.
fn blueprints(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let name = format!("app-{i:04}");
        let text = FULL_STACK
            .replace("full-stack", &name)
            .replace("example.com", &format!("{name}.example.com"))
            .replace(
                "cidr         = \"10.90.0.0/16\"",
                &format!("cidr         = \"10.{}.0.0/16\"", i % 256),
            );
        std::fs::write(dir.join(format!("{name}.hcl")), text).unwrap();
    }
}

/// One blueprint with `n` services, each with its own repository and a flow to the next.
fn services(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::from(
        r#"app "many" {
  region = "eu-west-1"
  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }
  environment "dev" {}
  environment "prod" {}
"#,
    );
    for i in 0..n {
        text.push_str(&format!(
            "  service \"svc{i}\" {{\n    repository = true\n    port       = 8080\n    cpu        = 256\n    memory     = 512\n  }}\n"
        ));
        if i > 0 {
            text.push_str(&format!(
                "  allow {{\n    from  = \"service.svc{}\"\n    to    = \"service.svc{i}\"\n    ports = \"8080\"\n  }}\n",
                i - 1
            ));
        }
    }
    text.push_str("}\n");
    std::fs::write(dir.join("many.hcl"), text).unwrap();
}

/// (bytes, allocations) of one in-process `tfblueprint check` of `bps` against an empty folder.
fn measure(bps: &Path, out: &Path) -> (f64, f64) {
    let args = [
        "tfblueprint",
        "check",
        bps.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let (b0, c0) = (BYTES.load(Ordering::SeqCst), COUNT.load(Ordering::SeqCst));
    let code = tfblueprint::run(args);
    let (b1, c1) = (BYTES.load(Ordering::SeqCst), COUNT.load(Ordering::SeqCst));
    assert_eq!(
        code,
        1,
        "check of {} against an empty folder",
        bps.display()
    );
    ((b1 - b0) as f64, (c1 - c0) as f64)
}

/// Asserts that the growth from sizes[1] to sizes[2] is about sizes ratio times the growth from
/// sizes[0] to sizes[1] (both 4 here): linear, not quadratic.
fn assert_linear(what: &str, sizes: [usize; 3], make: impl Fn(&Path, usize)) {
    let root = tempfile::tempdir().unwrap();
    let mut m = Vec::new();
    for &n in &sizes {
        let bps = root.path().join(format!("bp{n}"));
        make(&bps, n);
        measure(&bps, &root.path().join("out")); // warm up: one-time setup is not growth
        m.push(measure(&bps, &root.path().join("out")));
    }
    let expected = (sizes[2] - sizes[1]) as f64 / (sizes[1] - sizes[0]) as f64;
    for (name, pick) in [
        ("bytes", (|x: &(f64, f64)| x.0) as fn(&(f64, f64)) -> f64),
        ("allocations", |x| x.1),
    ] {
        let (a, b, c) = (pick(&m[0]), pick(&m[1]), pick(&m[2]));
        let ratio = (c - b) / (b - a) / expected;
        eprintln!("{what}: {name} {a} {b} {c}: growth ratio {ratio:.3} of linear");
        assert!(
            (0.75..1.3).contains(&ratio),
            "{what}: {name} allocated grow {ratio:.2}x faster than linear over {sizes:?} ({a}, {b}, {c})"
        );
    }
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The peak of live bytes while `tfblueprint args` runs in-process; the exit code must be `code`.
fn peak(args: &[&str], code: i32) -> u64 {
    let live = LIVE.load(Ordering::SeqCst);
    PEAK.store(live, Ordering::SeqCst);
    let got = tfblueprint::run(std::iter::once("tfblueprint").chain(args.iter().copied()));
    assert_eq!(got, code, "{args:?}");
    PEAK.load(Ordering::SeqCst) - live
}

/// Per blueprint added to a run, the peak memory of `generate`, `check` and `diff` (one
/// blueprint changed) grows by far less than one app's rendered output: no command holds every
/// app's files at once.
#[test]
fn memory_does_not_hold_the_whole_output() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let root = tempfile::tempdir().unwrap();
    let path = |p: &str| root.path().join(p).to_str().unwrap().to_string();
    let sizes = [4, 16];
    let mut peaks: Vec<[u64; 3]> = Vec::new();
    let mut output_per_app = 0;
    for n in sizes {
        let (bps, out) = (path(&format!("bp{n}")), path(&format!("out{n}")));
        blueprints(Path::new(&bps), n);
        let generate = peak(&["generate", &bps, "--out", &out], 0);
        let check = peak(&["check", &bps, "--out", &out], 0);
        let one = Path::new(&bps).join("app-0001.hcl");
        let text = std::fs::read_to_string(&one).unwrap();
        std::fs::write(&one, text.replace("desired_count = 4", "desired_count = 5")).unwrap();
        let diff = peak(&["diff", &bps, "--out", &out], 0);
        peaks.push([generate, check, diff]);
        let bytes: u64 = walkdir::WalkDir::new(&out)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().unwrap().len())
            .sum();
        output_per_app = bytes / n as u64;
    }
    for (i, name) in ["generate", "check", "diff"].iter().enumerate() {
        let per_blueprint = peaks[1][i].saturating_sub(peaks[0][i]) / (sizes[1] - sizes[0]) as u64;
        eprintln!(
            "{name}: peak {} -> {} bytes, {per_blueprint} a blueprint; output {output_per_app} bytes an app",
            peaks[0][i], peaks[1][i]
        );
        assert!(
            per_blueprint * 2 < output_per_app,
            "{name}: the peak grows by {per_blueprint} bytes a blueprint, near the {output_per_app} bytes of an app's output"
        );
    }
}

#[test]
fn work_grows_linearly() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    assert_linear("blueprints", [2, 8, 32], blueprints);
    assert_linear("services in one blueprint", [10, 40, 160], services);
}
