"""The speed benchmark of issue 8 (run it through bench/run.sh, which builds the binary first).

Makes N variants of tests/blueprints/full-stack.hcl (Aurora, a cache, EFS, DNS, a bastion, three
services, two routes, three environments), each with its own app name, host names and VPC CIDR,
then measures with the page cache warm:

  generate   `tfblueprint generate` into an empty folder
  check      `tfblueprint check` on the tree generate produced (in sync)
  diff       `tfblueprint diff` with one blueprint changed
  one        `tfblueprint generate` of a single blueprint into an empty folder

and, on the same tree, the floors: `cp -r` of the tree, `diff -r` of two copies of it, and
`terraform fmt -check -recursive` when terraform is on PATH. Wall time is the median of the
runs; peak memory is the child's maximum resident set size as the kernel reports it to wait4
(the figure `/usr/bin/time -v` prints). Runs of a command and of its floors are interleaved so
that a busy disk hurts both alike. Growth: check over N/4, N/2 and N blueprints, interleaved, to
show that the time per blueprint stays flat.

Large: with BENCH_LARGE=K (bench/run.sh sets 10000; 0 leaves it out), K blueprints more are
generated into an empty folder and checked once each, next to `cp -r` and `diff -r` of the same
tree, with the peak memory of each: memory must not grow with the number of files, and the
ratios show how close generate and check come to copying and comparing the tree. Then one
blueprint with 100,000 tags, which the loader refuses (a body, object or list holds at most
2,000 items) in linear time.
"""

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "tfblueprint")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run(cmd, cwd, prep=None, ok=(0,)):
    """Runs `cmd` once after `prep`; returns (seconds, peak RSS in MB).

    The peak RSS comes from GNU time when it is installed (the "Maximum resident set size" of
    `/usr/bin/time -v`); without it, from wait4, where Linux counts the pages of the process
    that forked the child (this Python, some 15 MB) too, so small figures are overstated."""
    if prep:
        prep()
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        full = [TIME, "-f", "%M", "-o", rss.name, *cmd] if TIME else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if code not in ok:
            sys.exit(f"{' '.join(cmd)} exited {code}:\n{err}")
        kb = usage.ru_maxrss
        if TIME:
            lines = [l for l in rss.read().split() if l.isdigit()]
            kb = int(lines[-1]) if lines else kb
    return elapsed, kb / 1024


SPREAD = {}


def measure(named, cwd, runs=RUNS):
    """`named`: {name: (cmd, prep, ok)}. Interleaves the runs; returns name -> (median s, MB).
    The fastest and slowest run of each go to SPREAD."""
    times = {n: [] for n in named}
    mem = {n: 0.0 for n in named}
    for _ in range(runs):
        for name, (cmd, prep, ok) in named.items():
            t, m = run(cmd, cwd, prep, ok)
            times[name].append(t)
            mem[name] = max(mem[name], m)
    SPREAD.update({n: (min(times[n]), max(times[n])) for n in named})
    return {n: (statistics.median(times[n]), mem[n]) for n in named}


def rm(path):
    """Removes `path` before a run, and lets the disk settle: the dirty pages of the removal
    are written before the clock starts, so that the run does not pay for them."""
    def prep():
        shutil.rmtree(path, ignore_errors=True)
        os.sync()
    return prep


def count_files(tree):
    return sum(len(files) for _, _, files in os.walk(tree))


def make_blueprints(folder, n, changed=None):
    src = open(os.path.join(ROOT, "tests", "blueprints", "full-stack.hcl")).read()
    cidr = 'cidr         = "10.90.0.0/16"'
    assert cidr in src, "tests/blueprints/full-stack.hcl changed: update bench/bench.py"
    os.makedirs(folder)
    for i in range(n):
        name = f"app-{i:05d}" if n > 9999 else f"app-{i:04d}"
        text = (
            src.replace("full-stack", name)
            .replace("example.com", f"{name}.example.com")
            .replace(cidr, f'cidr         = "10.{(i % 1024) // 4}.{(i % 4) * 64}.0/18"')
        )
        if i == changed:
            text = text.replace("desired_count = 4", "desired_count = 5")
        with open(os.path.join(folder, f"{name}.hcl"), "w") as f:
            f.write(text)


def machine():
    cpu = platform.processor() or "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores (nproc), {mem} memory, {platform.system()} {platform.release()}"


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    base = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="tfblueprint-bench-")
    own = not os.environ.get("BENCH_DIR")
    os.makedirs(base, exist_ok=True)
    for d in ["bps", "bps-changed", "bps-quarter", "bps-half", "one", "tree", "tree2", "gen", "copy", "gen1"]:
        shutil.rmtree(os.path.join(base, d), ignore_errors=True)
    try:
        make_blueprints(os.path.join(base, "bps"), n)
        make_blueprints(os.path.join(base, "bps-changed"), n, changed=n // 2)
        make_blueprints(os.path.join(base, "bps-quarter"), max(1, n // 4))
        make_blueprints(os.path.join(base, "bps-half"), max(1, n // 2))
        make_blueprints(os.path.join(base, "one"), 1)
        tfb = BIN
        run([tfb, "generate", "bps", "--out", "tree"], base)
        subprocess.run(["cp", "-r", "tree", "tree2"], cwd=base, check=True)
        files = count_files(os.path.join(base, "tree"))
        size = subprocess.run(["du", "-sm", "--apparent-size", "tree"], cwd=base, check=True,
                              capture_output=True, text=True).stdout.split()[0]
        terraform = shutil.which("terraform")

        floors = {
            "cp -r": (["cp", "-r", "tree", "copy"], rm(os.path.join(base, "copy")), (0,)),
            "diff -r": (["diff", "-r", "tree", "tree2"], None, (0,)),
        }
        if terraform:
            floors["terraform fmt"] = ([terraform, "fmt", "-check", "-recursive", "tree"], None, (0,))

        results = {}
        gen = measure({"generate": ([tfb, "generate", "bps", "--out", "gen"], rm(os.path.join(base, "gen")), (0,)),
                       **floors}, base)
        results.update(gen)
        results.update({k: v for k, v in measure(
            {"check": ([tfb, "check", "bps", "--out", "tree"], None, (0,))}, base).items()})
        results.update(measure(
            {"diff": ([tfb, "diff", "bps-changed", "--out", "tree"], None, (0,))}, base))
        one = measure({"one": ([tfb, "generate", "one", "--out", "gen1"], rm(os.path.join(base, "gen1")), (0,))},
                      base, runs=max(RUNS, 11))
        growth = measure({
            "quarter": ([tfb, "check", "bps-quarter", "--out", "tree"], None, (0, 1)),
            "half": ([tfb, "check", "bps-half", "--out", "tree"], None, (0, 1)),
            "full": ([tfb, "check", "bps", "--out", "tree"], None, (0,)),
        }, base)
        shutil.rmtree(os.path.join(base, "gen"), ignore_errors=True)

        floor_names = list(floors)
        print(f"Machine: {machine()}\n")
        print(f"Tree: {n} blueprints -> {files} files, {size} MB; medians of {RUNS} runs, page cache warm.\n")
        print("| Command | Wall time | Runs from .. to | Files/s | Peak memory | " + " | ".join(f"vs `{f}`" for f in floor_names) + " |")
        print("|---|---:|---:|---:|---:|" + "---:|" * len(floor_names))
        for name, cmd in [("generate", f"tfblueprint generate bps --out gen (empty)"),
                          ("check", f"tfblueprint check bps --out tree (in sync)"),
                          ("diff", f"tfblueprint diff bps-changed --out tree (1 blueprint changed)")]:
            t, m = results[name]
            ratios = " | ".join(f"{t / results[f][0]:.2f}x" for f in floor_names)
            lo, hi = SPREAD[name]
            print(f"| `{cmd}` | {t:.2f} s | {lo:.2f} .. {hi:.2f} s | {files / t:,.0f} | {m:.0f} MB | {ratios} |")
        for f in floor_names:
            t, m = results[f]
            lo, hi = SPREAD[f]
            print(f"| `{' '.join(floors[f][0]).replace(terraform or '@', 'terraform')}` | {t:.2f} s | {lo:.2f} .. {hi:.2f} s | {files / t:,.0f} | {m:.0f} MB |" + " |" * len(floor_names))
        t, m = one["one"]
        lo, hi = SPREAD["one"]
        print(f"\nOne blueprint, `tfblueprint generate one --out gen1` (empty), process start to exit: "
              f"median {t * 1000:.1f} ms of {max(RUNS, 11)} runs (from {lo * 1000:.1f} to {hi * 1000:.1f} ms), "
              f"peak memory {m:.0f} MB.\n")
        per = [(max(1, n // 4), growth["quarter"][0]), (max(1, n // 2), growth["half"][0]), (n, growth["full"][0])]
        print("Growth, `check` over the first k blueprints of the same tree (runs interleaved): " + ", ".join(
            f"{k}: {t:.2f} s ({t / k * 1000:.1f} ms per blueprint)" for k, t in per) + ".")
        large = int(os.environ.get("BENCH_LARGE", "0"))
        if large:
            for d in ["bps-large", "large", "large2", "large-gen", "large-copy"]:
                shutil.rmtree(os.path.join(base, d), ignore_errors=True)
            make_blueprints(os.path.join(base, "bps-large"), large)
            run([tfb, "generate", "bps-large", "--out", "large"], base)
            subprocess.run(["cp", "-r", "large", "large2"], cwd=base, check=True)
            lfiles = count_files(os.path.join(base, "large"))
            lsize = subprocess.run(["du", "-sm", "--apparent-size", "large"], cwd=base, check=True,
                                   capture_output=True, text=True).stdout.split()[0]
            runs = int(os.environ.get("BENCH_LARGE_RUNS", "1"))
            big = measure({
                "generate": ([tfb, "generate", "bps-large", "--out", "large-gen"], rm(os.path.join(base, "large-gen")), (0,)),
                "cp -r": (["cp", "-r", "large", "large-copy"], rm(os.path.join(base, "large-copy")), (0,)),
            }, base, runs=runs)
            big.update(measure({
                "check": ([tfb, "check", "bps-large", "--out", "large"], None, (0,)),
                "diff -r": (["diff", "-r", "large", "large2"], None, (0,)),
            }, base, runs=runs))
            print(f"\nLarge: {large} blueprints -> {lfiles} files, {lsize} MB; {runs} run(s) each, interleaved.\n")
            print("| Command | Wall time | Peak memory | Ratio |")
            print("|---|---:|---:|---:|")
            g, c = big["generate"], big["check"]
            print(f"| `tfblueprint generate` (empty) | {g[0]:.1f} s | {g[1]:.0f} MB | {g[0] / big['cp -r'][0]:.2f}x `cp -r` |")
            print(f"| `cp -r` | {big['cp -r'][0]:.1f} s | {big['cp -r'][1]:.0f} MB | |")
            print(f"| `tfblueprint check` (in sync) | {c[0]:.1f} s | {c[1]:.0f} MB | {c[0] / big['diff -r'][0]:.2f}x `diff -r` |")
            print(f"| `diff -r` | {big['diff -r'][0]:.1f} s | {big['diff -r'][1]:.0f} MB | |")
            for d in ["bps-large", "large", "large2", "large-gen", "large-copy"]:
                shutil.rmtree(os.path.join(base, d), ignore_errors=True)

            tags_dir = os.path.join(base, "tags")
            shutil.rmtree(tags_dir, ignore_errors=True)
            os.makedirs(tags_dir)
            src = open(os.path.join(ROOT, "tests", "blueprints", "minimal.hcl")).read()
            tags = "\n".join(f'    "k{i}" = "v{i}"' for i in range(100000))
            with open(os.path.join(tags_dir, "tags.hcl"), "w") as f:
                f.write(src.replace('region = "eu-west-1"', 'region = "eu-west-1"\n  tags = {\n' + tags + '\n  }'))
            t, m = run([tfb, "validate", "tags"], base, ok=(2,))
            print(f"\nOne blueprint with 100,000 tags: `tfblueprint validate` refuses it in {t * 1000:.0f} ms, peak memory {m:.0f} MB.")
    finally:
        if own:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
