#!/usr/bin/env python3
"""qworker's benchmark runner: builds the Rust benchmark program and the C++ Qt baselines,
runs every workload of docs/BENCHMARKS.md with the systems alternating (A B A B ...), and
writes target/bench/results.json, target/bench/results.md (the table) and target/bench/env.json.

    scripts/bench.py                 # everything (installs missing Debian packages first)
    scripts/bench.py --runs 7        # more runs per workload (W6 always gets at least 10)
    scripts/bench.py --only W1,W3    # some workloads
    scripts/bench.py --no-build      # reuse the last build
    scripts/bench.py --update-docs   # also replace the table in docs/BENCHMARKS.md
    scripts/bench.py --also patched=/path/to/qworker_bench   # A/B: a second qworker build runs
                                     # in every qworker arm too (system "qworker:patched")

The programs print one JSON line per run and never judge time; medians, min/max, ratios and
the target checks are computed here. Exit status is 0 when every run completed (targets that
are missed do not fail the run: they are reported in the table).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
CPP_BUILD = os.path.join(OUT, "cpp")
SUPERQT_W3 = 15_000  # superqt thread_worker, W3, workers/s on this machine kind (13-17k/s)


# ---- what runs ------------------------------------------------------------------------------

class Arm:
    """One system's program for one case: `argv` after the executable."""

    def __init__(self, system, argv):
        self.system = system
        self.argv = argv


class Case:
    """A workload variant, run `runs` times per arm, arms alternating."""

    def __init__(self, workload, variant, arms, runs=None, timeout=120, exit_timing=False):
        self.workload = workload
        self.variant = variant
        self.arms = arms
        self.runs = runs
        self.timeout = timeout
        self.exit_timing = exit_timing


LEAN = "start, default-features = false"
# W3 in the lean build (examples/lean, `qworker-lean W3`), which links the Qt modules the C++
# baseline links: the like-for-like peak RSS beside the pool's.
LEAN_W3 = "10k, default-features = false"


def q(*argv):
    return Arm("qworker", list(argv))


def cpp(system, *argv):
    return Arm(system, list(argv) + [system])


CASES = [
    Case("W1", "200k", [q("W1", "200k"), cpp("cpp-qthread", "W1", "200k"),
                        cpp("cpp-pool", "W1", "200k-concurrent")]),
    Case("W1", "1M", [q("W1", "1M"), cpp("cpp-qthread", "W1", "1M"),
                      cpp("cpp-pool", "W1", "1M-concurrent")]),
    Case("W1", "1M, Bounded(4096)", [q("W1", "1M-bounded")]),
    # Start-up RSS of an app built with default-features = false (examples/lean) beside the
    # C++ QThread program's (read at the same point: right after the application object).
    Case("W1", LEAN, [Arm("qworker-lean", []), cpp("cpp-qthread", "W1", "200k")]),
    Case("W2", "idle", [q("W2", "idle"), cpp("cpp-qthread", "W2", "idle")]),
    Case("W2", "loaded", [q("W2", "loaded-qml"), cpp("cpp-qthread", "W2", "loaded-qml")]),
    Case("W2", "loaded (C++ QTimer)", [cpp("cpp-qthread", "W2", "loaded-qtimer")]),
    # W3 and W5 (a) are short and their runs spread widely (W5 (a) is bimodal: a quit either
    # catches the GUI thread between slices or behind a backlog), so they get 11 runs.
    Case("W3", "10k", [q("W3", "10k"), cpp("cpp-pool", "W3", "10k"),
                       cpp("cpp-qthread", "W3", "10k")], runs=11),
    Case("W3", "10k, pool grace 100 ms", [q("W3", "10k-grace100")]),
    Case("W3", LEAN_W3, [Arm("qworker-lean", ["W3"]), cpp("cpp-pool", "W3", "10k")], runs=11),
    Case("W4", "fast GUI", [q("W4", "fast-All"), q("W4", "fast-Latest"),
                            cpp("cpp-qthread", "W4", "fast")]),
    Case("W4", "GUI 10 ms/frame", [q("W4", "10ms-All"), q("W4", "10ms-Latest"),
                                   cpp("cpp-qthread", "W4", "10ms")]),
    Case("W5", "(a) yield loop", [q("W5", "a-yield"), cpp("cpp-qthread", "W5", "a-yield")],
         runs=11),
    Case("W5", "(a) yield loop, Bounded(4096)", [q("W5", "a-yield-bounded")]),
    Case("W5", "(b) 2 s loop, check every ms", [q("W5", "b-check"), cpp("cpp-pool", "W5", "b"),
                                                cpp("cpp-qthread", "W5", "b-check")]),
    Case("W6", "quit at 0.5 s", [q("W6", "quit-at-0.5s"), cpp("cpp-qthread", "W6", "quit-at-0.5s")],
         runs=10, exit_timing=True),
    Case("W6", "exit right after finished", [q("W6", "exit-after-finished"),
                                             cpp("cpp-qthread", "W6", "exit-after-finished")],
         runs=10, exit_timing=True),
    Case("W7", "pause 1 s", [q("W7", "pause"), cpp("cpp-qthread", "W7", "pause")]),
    Case("W8", "100k", [q("W8", "100k"), cpp("cpp-pool", "W8", "100k")], timeout=300),
    Case("W9", "10k await", [q("W9", "await"), q("W9", "callbacks"), cpp("cpp-pool", "W9", "chain")]),
    Case("W10", "1M stream", [q("W10", "stream-All"), q("W10", "stream-Bounded"),
                              q("W10", "callback-All")], timeout=300),
    # No C++ arm: Qt has no counterpart of the WorkerPool task model.
    Case("W11", "1k live tasks", [q("W11", "1k")]),
]

# W4 arms of one system differ by policy; the policy becomes part of the reported variant.
# W9 and W10 arms differ by how the values are taken (await/stream or callbacks).
def arm_variant(case, arm):
    if case.workload == "W4" and arm.system.startswith("qworker"):
        return case.variant + ", " + arm.argv[1].split("-", 1)[1]
    if case.workload in ("W9", "W10") and arm.system.startswith("qworker"):
        return case.variant + ", " + arm.argv[1]
    return case.variant


# ---- building -------------------------------------------------------------------------------

def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def cargo_exe(cmd, target):
    """Runs a cargo build that prints JSON messages; the path of `target`'s executable."""
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    exe = None
    for line in proc.stdout.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if (m.get("reason") == "compiler-artifact" and m.get("executable")
                and m["target"]["name"] == target):
            exe = m["executable"]
    if proc.returncode != 0 or not exe:
        sys.exit("bench: cargo build of %s failed" % target)
    return exe


def build(args):
    if not args.no_deps:
        sh([os.path.join(ROOT, "scripts", "install-deps.sh"), "--bench"])
    os.makedirs(OUT, exist_ok=True)
    cargo = shutil.which("cargo")
    if not cargo:
        sys.exit("bench: cargo not found (install Rust with rustup)")
    # The precompiled Qt headers for the release build's C++ (docs/testing.md).
    sh([os.path.join(ROOT, "scripts", "build-pch.sh")])
    exe = cargo_exe([cargo, "build", "--release", "--bench", "qworker_bench",
                     "--message-format=json-render-diagnostics"], "qworker_bench")
    lean = cargo_exe([cargo, "build", "--release", "-p", "qworker-lean",
                      "--message-format=json-render-diagnostics"], "qworker-lean")
    sh(["cmake", "-S", os.path.join(ROOT, "benches", "cpp"), "-B", CPP_BUILD,
        "-DCMAKE_BUILD_TYPE=Release"], stdout=subprocess.DEVNULL)
    sh(["cmake", "--build", CPP_BUILD, "-j", str(os.cpu_count() or 2)], stdout=subprocess.DEVNULL)
    exes = {"qworker": exe, "qworker-lean": lean, "cpp": os.path.join(CPP_BUILD, "qt_baseline")}
    with open(os.path.join(OUT, "programs.json"), "w") as f:
        json.dump(exes, f)
    return exes


# ---- running --------------------------------------------------------------------------------

def env_for_programs():
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    xdg = os.path.join(OUT, "xdg-runtime")
    os.makedirs(xdg, mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = xdg
    return env


def run_once(exes, case, arm, env):
    if arm.system.startswith("qworker"):
        exe = exes[arm.system]
    else:
        exe = exes["cpp"]
    t0 = time.monotonic_ns()
    proc = subprocess.Popen([exe] + arm.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        out, err = proc.communicate(timeout=case.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return {"error": "timeout after %d s" % case.timeout, "stderr": err[-2000:]}
    t_exit = time.monotonic_ns()
    rec = None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except ValueError:
                pass
    res = {"rc": proc.returncode, "wall_s": (t_exit - t0) / 1e9}
    if rec is None:
        res["error"] = "no JSON line (rc %d)" % proc.returncode
        res["stderr"] = err[-2000:]
        return res
    metrics = {k: v for k, v in rec.get("metrics", {}).items() if v is not None}
    if case.exit_timing:
        quit_ns = int(rec.get("notes", {}).get("quit_mono_ns", "0") or 0)
        if quit_ns:
            metrics["quit_to_exit_ms"] = (t_exit - quit_ns) / 1e6
        metrics["exit_code"] = float(proc.returncode)
    elif proc.returncode != 0:
        res["error"] = "exit code %d" % proc.returncode
        res["stderr"] = err[-2000:]
    res["metrics"] = metrics
    return res


def with_also(cases, also):
    """Adds an arm per extra qworker build next to every qworker arm."""
    if not also:
        return cases
    out = []
    for c in cases:
        arms = []
        for a in c.arms:
            arms.append(a)
            if a.system == "qworker":
                arms += [Arm("qworker:" + name, a.argv) for name in also]
        out.append(Case(c.workload, c.variant, arms, c.runs, c.timeout, c.exit_timing))
    return out


AB_METRICS = {
    "items_per_s", "cpu_us_per_item", "peak_rss_mb", "lat_p50_us", "lat_p99_us", "sched_p99_us",
    "workers_per_s", "max_os_threads", "cpu_us_per_worker", "fps", "max_backlog",
    "quit_to_aborted_ms", "backlog_at_quit", "quit_to_exit_ms", "ran", "resume_to_resumed_us",
    "paused_cpu_us", "rss_growth_mb", "round_trips_per_s", "cpu_us_per_round_trip",
    "gui_busy_pct", "rss_per_worker_kb", "model_updates_per_s", "progress_events_per_s",
}


def ab_table(rows, names):
    """qworker against each extra build, for every metric both measured."""
    by = {}
    for r in rows:
        by[(r["workload"], r["variant"], r["system"], r["metric"])] = r
    lines = ["| W | variant | metric | qworker | " + " | ".join("qworker:" + n for n in names) + " |",
             "|---|---|---|---|" + "---|" * len(names)]
    for (w, v, s, m), r in sorted(by.items()):
        if s != "qworker" or m not in AB_METRICS:
            continue
        unit = "/s" if m.endswith("_per_s") else ""
        cells = []
        for n in names:
            o = by.get((w, v, "qworker:" + n, m))
            cells.append("—" if o is None else "%s <sub>%s–%s</sub>" % (
                fmt(o["median"], unit), fmt_bare(o["min"], unit), fmt_bare(o["max"], unit)))
        lines.append("| %s | %s | %s | %s <sub>%s–%s</sub> | %s |" % (
            w, v, m, fmt(r["median"], unit), fmt_bare(r["min"], unit), fmt_bare(r["max"], unit),
            " | ".join(cells)))
    return "\n".join(lines)


def run_all(exes, cases, runs):
    env = env_for_programs()
    samples = {}  # (workload, variant, system) -> metric -> [values]
    failures = []
    for case in cases:
        n = max(case.runs or 0, runs)
        t_case = time.monotonic()
        for r in range(n):
            # A B A B ...; the order flips every round so neither system always goes first.
            arms = case.arms if r % 2 == 0 else list(reversed(case.arms))
            for arm in arms:
                res = run_once(exes, case, arm, env)
                key = (case.workload, arm_variant(case, arm), arm.system)
                if "error" in res:
                    failures.append((key, res))
                    print("  FAILED %s %s %s: %s\n%s" % (key + (res["error"], res.get("stderr", ""))),
                          flush=True)
                    if "metrics" not in res:
                        continue
                for k, v in res["metrics"].items():
                    samples.setdefault(key, {}).setdefault(k, []).append(float(v))
        print("  %s %-30s %d runs x %d systems, %.1f s" % (
            case.workload, case.variant, n, len(case.arms), time.monotonic() - t_case), flush=True)
    return samples, failures


def aggregate(samples):
    out = []
    for (w, v, s), metrics in samples.items():
        for k, vals in metrics.items():
            out.append({"workload": w, "variant": v, "system": s, "metric": k,
                        "median": statistics.median(vals), "min": min(vals), "max": max(vals),
                        "runs": len(vals)})
    return out


# ---- the table ------------------------------------------------------------------------------

class Results:
    def __init__(self, rows):
        self.rows = {(r["workload"], r["variant"], r["system"], r["metric"]): r for r in rows}

    def get(self, w, v, s, m, field="median"):
        r = self.rows.get((w, v, s, m))
        return None if r is None else r[field]


def fmt(x, unit=""):
    if x is None:
        return "—"
    if unit == "/s":
        if x >= 1e6:
            return "%.2fM/s" % (x / 1e6)
        if x >= 1e3:
            return "%.1fk/s" % (x / 1e3)
        return "%.0f/s" % x
    if abs(x) >= 100:
        s = "%.0f" % x
    elif abs(x) >= 10:
        s = "%.1f" % x
    elif abs(x) >= 1:
        s = "%.2f" % x
    else:
        s = "%.3f" % x
    return s + (" " + unit if unit else "")


def fmt_bare(x, unit=""):
    """Like fmt, without the unit (for the min–max range)."""
    if unit == "/s" and x is not None:
        return fmt(x, unit)[:-2]
    return fmt(x)


def cell(res, w, v, s, m, unit):
    med = res.get(w, v, s, m)
    if med is None:
        return "—"
    lo, hi = res.get(w, v, s, m, "min"), res.get(w, v, s, m, "max")
    return "%s <sub>%s–%s</sub>" % (fmt(med, unit), fmt_bare(lo, unit), fmt_bare(hi, unit))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rstr(x):
    return "—" if x is None else "%.2f×" % x


def yes(ok):
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def table(res):
    """Rows: workload, variant, metric, qworker, C++ QThread, C++ pool, ratio, target, met."""
    lines = ["| W | variant | metric | qworker | C++ QThread | C++ pool | ratio | target | met |",
             "|---|---|---|---|---|---|---|---|---|"]

    def row(w, v, m, unit, qv=None, base="cpp-qthread", target="", ok=None, r=None, label=None):
        qv = qv or v
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            w, label or qv, m, cell(res, w, qv, "qworker", m, unit),
            cell(res, w, v, "cpp-qthread", m, unit), cell(res, w, v, "cpp-pool", m, unit),
            rstr(r), target, yes(ok)))

    g = res.get
    for v in ("200k", "1M"):
        r = ratio(g("W1", v, "qworker", "items_per_s"), g("W1", v, "cpp-qthread", "items_per_s"))
        row("W1", v, "items_per_s", "/s", target="≥ 5× QThread", r=r, ok=None if r is None else r >= 5)
        c = g("W1", v, "qworker", "cpu_us_per_item")
        row("W1", v, "cpu_us_per_item", "µs", target="≤ 0.25 µs",
            r=ratio(c, g("W1", v, "cpp-qthread", "cpu_us_per_item")), ok=None if c is None else c <= 0.25)
        a, b = g("W1", v, "qworker", "peak_rss_mb"), g("W1", v, "cpp-qthread", "peak_rss_mb")
        row("W1", v, "peak_rss_mb", "MB", target="≤ QThread", r=ratio(a, b),
            ok=None if a is None or b is None else a <= b)
    row("W1", "200k", "rss_start_mb", "MB", r=ratio(g("W1", "200k", "qworker", "rss_start_mb"),
                                                    g("W1", "200k", "cpp-qthread", "rss_start_mb")))
    a, b = g("W1", LEAN, "qworker-lean", "rss_start_mb"), g("W1", LEAN, "cpp-qthread", "rss_start_mb")
    lines.append("| W1 | %s (`examples/lean`) | rss_start_mb | %s | %s | — | %s | ≤ QThread + 1 MB | %s |" % (
        LEAN, cell(res, "W1", LEAN, "qworker-lean", "rss_start_mb", "MB"),
        cell(res, "W1", LEAN, "cpp-qthread", "rss_start_mb", "MB"),
        "—" if a is None or b is None else "%+.1f MB" % (a - b),
        yes(None if a is None or b is None else a - b <= 1.0)))
    vb = "1M, Bounded(4096)"
    for m, unit in (("items_per_s", "/s"), ("cpu_us_per_item", "µs"), ("peak_rss_mb", "MB")):
        row("W1", vb, m, unit, label=vb + " (diagnostic)")
    a, b = g("W2", "idle", "qworker", "lat_p99_us"), g("W2", "idle", "cpp-qthread", "lat_p99_us")
    row("W2", "idle", "lat_p50_us", "µs", r=ratio(g("W2", "idle", "qworker", "lat_p50_us"),
                                                  g("W2", "idle", "cpp-qthread", "lat_p50_us")))
    row("W2", "idle", "lat_p99_us", "µs", target="≤ QThread", r=ratio(a, b),
        ok=None if a is None or b is None else a <= b)
    row("W2", "idle", "sched_p99_us", "µs", r=ratio(g("W2", "idle", "qworker", "sched_p99_us"),
                                                    g("W2", "idle", "cpp-qthread", "sched_p99_us")))
    for m in ("sched_p50_us", "sched_p99_us", "sched_max_us", "lat_p99_us", "gui_busy_pct"):
        a, b = g("W2", "loaded", "qworker", m), g("W2", "loaded", "cpp-qthread", m)
        tgt, ok = "", None
        if m == "sched_p99_us":
            tgt, ok = "≤ 1.1× QThread", None if a is None or b is None else a <= 1.1 * b
        row("W2", "loaded", m, "%" if m.endswith("pct") else "µs", target=tgt, r=ratio(a, b), ok=ok)
    for m in ("sched_p50_us", "sched_p99_us"):
        row("W2", "loaded (C++ QTimer)", m, "µs")
    a, b = g("W3", "10k", "qworker", "workers_per_s"), g("W3", "10k", "cpp-pool", "workers_per_s")
    row("W3", "10k", "workers_per_s", "/s", target="≥ pool; ≥ 20× superqt (≥ 300k/s)",
        r=ratio(a, b), ok=None if a is None or b is None else (a >= b and a >= 20 * SUPERQT_W3))
    a, b = g("W3", "10k", "qworker", "peak_rss_mb"), g("W3", "10k", "cpp-pool", "peak_rss_mb")
    row("W3", "10k", "peak_rss_mb", "MB", target="≤ pool", r=ratio(a, b),
        ok=None if a is None or b is None else a <= b)
    row("W3", "10k", "max_os_threads", "", r=ratio(g("W3", "10k", "qworker", "max_os_threads"),
                                                  g("W3", "10k", "cpp-pool", "max_os_threads")))
    row("W3", "10k", "cpu_us_per_worker", "µs",
        r=ratio(g("W3", "10k", "qworker", "cpu_us_per_worker"), g("W3", "10k", "cpp-pool", "cpu_us_per_worker")))
    row("W3", "10k", "gui_cpu_us_per_worker", "µs", label="10k, GUI thread alone (diagnostic)",
        r=ratio(g("W3", "10k", "qworker", "gui_cpu_us_per_worker"),
                g("W3", "10k", "cpp-pool", "gui_cpu_us_per_worker")))
    for m, unit in (("peak_rss_mb", "MB"), ("rss_growth_mb", "MB"), ("workers_per_s", "/s")):
        a, b = g("W3", LEAN_W3, "qworker-lean", m), g("W3", LEAN_W3, "cpp-pool", m)
        if m == "rss_growth_mb" and b is None:
            # The C++ program reports its start and peak; the growth is their difference.
            p0, p1 = g("W3", LEAN_W3, "cpp-pool", "rss_start_mb"), g("W3", LEAN_W3, "cpp-pool", "peak_rss_mb")
            b = None if p0 is None or p1 is None else p1 - p0
        tgt, ok, r = "", None, ratio(a, b)
        if m == "peak_rss_mb":
            tgt, ok = "≤ pool + 5 MB (issue 9)", None if a is None or b is None else a <= b + 5
            r = None if a is None or b is None else a - b
        lines.append("| W3 | %s (`examples/lean`, the baseline's Qt modules) | %s | %s | — | %s | %s | %s | %s |" % (
            LEAN_W3, m, cell(res, "W3", LEAN_W3, "qworker-lean", m, unit),
            cell(res, "W3", LEAN_W3, "cpp-pool", m, unit) if m != "rss_growth_mb" else
            ("—" if b is None else fmt(b, "MB")),
            ("%+.1f MB" % r if r is not None else "—") if m == "peak_rss_mb" else rstr(r), tgt, yes(ok)))
    vg = "10k, pool grace 100 ms"
    for m, unit in (("workers_per_s", "/s"), ("peak_rss_mb", "MB"), ("max_os_threads", "")):
        row("W3", vg, m, unit, label=vg + " (diagnostic)")
    fast, slow = "fast GUI", "GUI 10 ms/frame"
    for pol in ("All", "Latest"):
        qv = "%s, %s" % (fast, pol)
        a, b = g("W4", qv, "qworker", "fps"), g("W4", fast, "cpp-qthread", "fps")
        row("W4", fast, "fps", "", qv=qv, target="≥ QThread", r=ratio(a, b),
            ok=None if a is None or b is None else a >= b)
        row("W4", fast, "peak_rss_mb", "MB", qv=qv,
            r=ratio(g("W4", qv, "qworker", "peak_rss_mb"), g("W4", fast, "cpp-qthread", "peak_rss_mb")))
    for pol in ("All", "Latest"):
        qv = "%s, %s" % (slow, pol)
        row("W4", slow, "fps", "", qv=qv, r=ratio(g("W4", qv, "qworker", "fps"), g("W4", slow, "cpp-qthread", "fps")))
        h = g("W4", qv, "qworker", "handled", "min")
        io = g("W4", qv, "qworker", "in_order", "min")
        if pol == "All":
            row("W4", slow, "handled", "", qv=qv, target="all 500, in order",
                ok=None if h is None or io is None else (h == 500 and io == 1))
        else:
            row("W4", slow, "handled", "", qv=qv)
        bl = g("W4", qv, "qworker", "max_backlog", "max")
        row("W4", slow, "max_backlog", "", qv=qv, target="≤ 2 (Latest)" if pol == "Latest" else "",
            ok=(None if bl is None else bl <= 2) if pol == "Latest" else None)
        a = g("W4", qv, "qworker", "peak_rss_mb")
        f = g("W4", "%s, %s" % (fast, pol), "qworker", "peak_rss_mb")
        row("W4", slow, "peak_rss_mb", "MB", qv=qv,
            target="≤ fast + 10 MB (Latest)" if pol == "Latest" else "",
            r=ratio(a, g("W4", slow, "cpp-qthread", "peak_rss_mb")),
            ok=(None if a is None or f is None else a <= f + 10) if pol == "Latest" else None)
        if pol == "Latest":
            ls = g("W4", qv, "qworker", "last_shown", "min")
            row("W4", slow, "last_shown", "", qv=qv, target="newest (499) shown",
                ok=None if ls is None else ls == 499)
    va, vb = "(a) yield loop", "(b) 2 s loop, check every ms"
    a, b = g("W5", va, "qworker", "quit_to_aborted_ms"), g("W5", va, "cpp-qthread", "quit_to_aborted_ms")
    row("W5", va, "quit_to_aborted_ms", "ms", target="≤ QThread", r=ratio(a, b),
        ok=None if a is None or b is None else a <= b)
    row("W5", va, "quit_to_finished_ms", "ms")
    row("W5", va, "backlog_at_quit", "")
    vab = "(a) yield loop, Bounded(4096)"
    for m in ("quit_to_aborted_ms", "backlog_at_quit"):
        row("W5", vab, m, "ms" if m.endswith("ms") else "", label=vab + " (diagnostic)")
    a = g("W5", vb, "qworker", "quit_to_aborted_ms")
    row("W5", vb, "quit_to_aborted_ms", "ms", target="≤ 2 ms", ok=None if a is None else a <= 2)
    row("W5", vb, "quit_to_finished_ms", "ms",
        r=ratio(g("W5", vb, "qworker", "quit_to_finished_ms"), g("W5", vb, "cpp-pool", "quit_to_finished_ms")))
    for v in ("quit at 0.5 s", "exit right after finished"):
        ran_min = g("W6", v, "qworker", "ran", "min")
        if v == "quit at 0.5 s":
            row("W6", v, "ran", "", target="100 of 100", ok=None if ran_min is None else ran_min == 100)
        a = g("W6", v, "qworker", "quit_to_exit_ms")
        row("W6", v, "quit_to_exit_ms", "ms", target="≤ 20 ms", r=ratio(a, g("W6", v, "cpp-qthread", "quit_to_exit_ms")),
            ok=None if a is None else a <= 20)
        rc = g("W6", v, "qworker", "exit_code", "max")
        rc_lo = g("W6", v, "qworker", "exit_code", "min")
        row("W6", v, "exit_code", "", target="0 in every run",
            ok=None if rc is None else (rc == 0 and rc_lo == 0))
    v = "pause 1 s"
    a = g("W7", v, "qworker", "paused_cpu_us")
    wk = g("W7", v, "qworker", "paused_wakeups", "max")
    row("W7", v, "paused_cpu_us", "µs", target="≈ 0 (no polling)",
        ok=None if a is None or wk is None else (a < 100 and wk <= 1))
    row("W7", v, "paused_wakeups", "")
    a = g("W7", v, "qworker", "resume_to_resumed_us")
    row("W7", v, "resume_to_resumed_us", "µs", target="≤ 200 µs", r=ratio(a, g("W7", v, "cpp-qthread", "resume_to_resumed_us")),
        ok=None if a is None else a <= 200)
    a = g("W8", "100k", "qworker", "rss_growth_mb")
    row("W8", "100k", "rss_growth_mb", "MB", target="≤ 2 MB", ok=None if a is None else a <= 2)
    a, b = g("W8", "100k", "qworker", "workers_per_s"), g("W3", "10k", "qworker", "workers_per_s")
    row("W8", "100k", "workers_per_s", "/s", target="≥ qworker's W3 rate (%s)" % fmt(b, "/s"),
        r=ratio(a, g("W8", "100k", "cpp-pool", "workers_per_s")),
        ok=None if a is None or b is None else a >= b)
    w9, aw, cb = "10k await", "10k await, await", "10k await, callbacks"
    a, b, c = (g("W9", aw, "qworker", "round_trips_per_s"), g("W9", cb, "qworker", "round_trips_per_s"),
               g("W9", w9, "cpp-pool", "round_trips_per_s"))
    row("W9", w9, "round_trips_per_s", "/s", qv=aw, base="cpp-pool",
        target="≥ 0.9× on_returned chain; ≥ C++ pool chain", r=ratio(a, b),
        ok=None if a is None or b is None or c is None else (a >= 0.9 * b and a >= c))
    row("W9", w9, "round_trips_per_s", "/s", qv=cb, label=cb + " (the chain it is compared with)")
    for qv in (aw, cb):
        row("W9", w9, "cpu_us_per_round_trip", "µs", qv=qv,
            r=ratio(g("W9", qv, "qworker", "cpu_us_per_round_trip"), g("W9", w9, "cpp-pool", "cpu_us_per_round_trip")))
    w10 = "1M stream"
    sa, sb, ca = w10 + ", stream-All", w10 + ", stream-Bounded", w10 + ", callback-All"
    a, b = g("W10", sa, "qworker", "items_per_s"), g("W10", ca, "qworker", "items_per_s")
    row("W10", w10, "items_per_s", "/s", qv=sa, target="≥ 0.8× on_yielded (All)", r=ratio(a, b),
        ok=None if a is None or b is None else a >= 0.8 * b)
    row("W10", w10, "items_per_s", "/s", qv=sb, r=ratio(g("W10", sb, "qworker", "items_per_s"), b))
    row("W10", w10, "items_per_s", "/s", qv=ca, label=ca + " (the callback it is compared with)")
    for qv in (sa, sb, ca):
        row("W10", w10, "cpu_us_per_item", "µs", qv=qv)
    gr = g("W10", sb, "qworker", "rss_growth_mb", "max")
    row("W10", w10, "rss_growth_mb", "MB", qv=sb, target="≤ 5 MB over the start (Bounded(1024))",
        ok=None if gr is None else gr <= 5)
    for qv in (sa, ca):
        row("W10", w10, "rss_growth_mb", "MB", qv=qv)
    w11 = "1k live tasks"
    a = g("W11", w11, "qworker", "gui_busy_pct")
    row("W11", w11, "gui_busy_pct", "%", target="≤ 5 %", ok=None if a is None else a <= 5,
        label=w11 + " (no C++ equivalent)")
    a = g("W11", w11, "qworker", "rss_per_worker_kb")
    row("W11", w11, "rss_per_worker_kb", "KB", target="≤ 20 KB per live worker",
        ok=None if a is None else a <= 20)
    for m, unit in (("model_updates_per_s", "/s"), ("model_rows_updated_per_s", "/s"),
                    ("progress_events_per_s", "/s"), ("progress_reported_per_s", "/s"),
                    ("gui_us_per_progress_event", "µs"), ("gui_switches_per_s", "/s"),
                    ("frames_per_s", ""), ("process_cpu_pct", "%"), ("qml_rows", ""),
                    ("ramp_s", "s")):
        row("W11", w11, m, unit)
    return "\n".join(lines)


# ---- environment ----------------------------------------------------------------------------

def cmd_out(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def environment(exes):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else "?"
    except OSError:
        pass
    lock = open(os.path.join(ROOT, "Cargo.lock")).read()
    m = re.search(r'name = "cxx-qt"\nversion = "([^"]+)"', lock)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": "%s, %d cores, %s" % (cpu, os.cpu_count() or 0, platform.platform()),
        "load_avg_at_start": os.getloadavg()[0],
        "rustc": cmd_out(["rustc", "--version"]),
        "qt": cmd_out(["qmake6", "-query", "QT_VERSION"]),
        "cxx_qt": m.group(1) if m else "?",
        "cmake": cmd_out(["cmake", "--version"]).splitlines()[0],
        "gxx": cmd_out(["g++", "--version"]).splitlines()[0],
        "git": cmd_out(["git", "rev-parse", "--short", "HEAD"]),
        "programs": exes,
        "command": " ".join(["scripts/bench.py"] + sys.argv[1:]),
    }


def markdown(env, tbl, runs, failures, elapsed):
    head = [
        "Date: %s. Machine: %s (load average %.1f at start)." % (env["date"], env["machine"], env["load_avg_at_start"]),
        "Versions: %s; Qt %s; cxx-qt %s; %s; %s. Commit %s." % (
            env["rustc"], env["qt"], env["cxx_qt"], env["gxx"], env["cmake"], env["git"]),
        "Command: `%s` (%d alternating runs per system, W3 and W5 (a) at least 11, W6 at least 10; %.0f s in all)." % (
            env.get("command", "scripts/bench.py"), runs, elapsed),
        "",
        "Cells: median <sub>min–max</sub> over the runs. ratio = qworker ÷ the baseline column"
        " (C++ QThread, or the C++ pool for W3/W8 and W5 (b)). W11 has no C++ arm: Qt has no"
        " counterpart of qworker's `WorkerPool` task model to compare with.",
        "",
        tbl,
    ]
    if failures:
        head += ["", "Failed runs: %d" % len(failures)]
        for key, res in failures[:10]:
            head.append("- %s: %s" % (" / ".join(key), res["error"]))
    return "\n".join(head) + "\n"


def update_docs(md):
    path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
    begin, end = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"
    text = open(path).read()
    if begin not in text or end not in text:
        sys.exit("bench: %s has no %s ... %s markers" % (path, begin, end))
    pre, rest = text.split(begin, 1)
    _, post = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(pre + begin + "\n" + md + end + post)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs per system and workload (W6: at least 10)")
    ap.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W3")
    ap.add_argument("--no-build", action="store_true", help="reuse the programs of the last build")
    ap.add_argument("--no-deps", action="store_true", help="do not run scripts/install-deps.sh")
    ap.add_argument("--update-docs", action="store_true", help="write the table into docs/BENCHMARKS.md")
    ap.add_argument("--render-only", action="store_true",
                    help="rebuild the table from target/bench/results.json and env.json, run nothing")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=EXE",
                    help="also run another qworker_bench build in every qworker arm (A/B)")
    args = ap.parse_args()
    t0 = time.monotonic()
    if args.render_only:
        with open(os.path.join(OUT, "results.json")) as f:
            rows = json.load(f)
        with open(os.path.join(OUT, "env.json")) as f:
            env = json.load(f)
        md = markdown(env, table(Results(rows)), env.get("runs", args.runs), [], env.get("elapsed_s", 0))
        names = sorted({r["system"].split(":", 1)[1] for r in rows if r["system"].startswith("qworker:")})
        if names:
            md += "\nA/B against other qworker builds (%s):\n\n%s\n" % (
                ", ".join("%s = %s" % (n, env["programs"].get("qworker:" + n, "?")) for n in names),
                ab_table(rows, names))
        with open(os.path.join(OUT, "results.md"), "w") as f:
            f.write(md)
        print(md)
        if args.update_docs:
            update_docs(md)
            print("updated docs/BENCHMARKS.md")
        return 0
    if args.no_build:
        with open(os.path.join(OUT, "programs.json")) as f:
            exes = json.load(f)
    else:
        exes = build(args)
    also = {}
    for spec in args.also:
        name, _, exe = spec.partition("=")
        if not name or not os.path.isfile(exe):
            sys.exit("bench: --also wants NAME=EXECUTABLE, got %r" % spec)
        also[name] = os.path.abspath(exe)
        exes["qworker:" + name] = also[name]
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    cases = with_also([c for c in CASES if not only or c.workload in only], list(also))
    runs = args.runs
    if runs < 5:
        print("bench: fewer than 5 runs per system: medians will be noisy", file=sys.stderr)
    samples, failures = run_all(exes, cases, runs)
    rows = aggregate(samples)
    env = environment(exes)
    elapsed = time.monotonic() - t0
    env["runs"] = runs
    env["elapsed_s"] = round(elapsed)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(OUT, "env.json"), "w") as f:
        json.dump(env, f, indent=1)
    md = markdown(env, table(Results(rows)), runs, failures, elapsed)
    if also:
        md += "\nA/B against other qworker builds (%s):\n\n%s\n" % (
            ", ".join("%s = %s" % kv for kv in also.items()), ab_table(rows, list(also)))
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(md)
    print()
    print(md)
    print("wrote %s/results.json, results.md, env.json (%.0f s)" % (OUT, elapsed))
    if args.update_docs:
        update_docs(md)
        print("updated docs/BENCHMARKS.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
