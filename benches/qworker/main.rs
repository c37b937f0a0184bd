//! qworker's benchmark programs, one subcommand per workload of `docs/BENCHMARKS.md`:
//!
//! ```text
//! qworker_bench <W1..W11> <variant>        e.g.  qworker_bench W1 200k
//! ```
//!
//! Each run prints one JSON line (see `measure::Report`); `scripts/bench.py` runs these
//! alternately with the C++ baselines of `benches/cpp/` and aggregates medians. The programs
//! use qworker's public API only, as an application would, and never assert on time.
//!
//! The GUI event loop is driven with `qworker::testing::process_events` (a `QEventLoop::exec`
//! bounded by a timer), because cxx-qt-lib 0.10 offers no `QCoreApplication::quit`; stop times
//! are taken inside the callbacks, so the loop's slice length does not enter any figure. W6 and
//! W8 run under a real `exec()` (W6 needs `aboutToQuit`; W8's deferred deletes should happen as
//! in an application) and quit through `QQmlEngine::quit`.

extern crate qworker;

mod measure;
mod w1;
mod w10;
mod w11;
mod w2;
mod w3;
mod w4;
mod w5;
mod w6;
mod w7;
mod w8;
mod w9;

use std::time::{Duration, Instant};

use cxx_qt_lib::QGuiApplication;

fn slice_ms() -> u64 {
    std::env::var("BENCH_SLICE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

/// Runs the GUI event loop until `cond` holds; `false` after `timeout` (a hang guard only).
pub fn spin_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() >= deadline {
            return false;
        }
        qworker::testing::process_events(Duration::from_millis(slice_ms()));
    }
    true
}

/// Runs the GUI event loop for `d`.
pub fn spin_for(d: Duration) {
    let end = Instant::now() + d;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        qworker::testing::process_events(left.min(Duration::from_millis(5)));
    }
}

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: first thing in main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    cxx_qt::init_crate!(qworker);
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (workload, variant) = match args.as_slice() {
        [w, v, ..] => (*w, *v),
        [w] => (*w, ""),
        [] => {
            eprintln!("usage: qworker_bench <W1..W11> <variant>   (see scripts/bench.py)");
            return;
        }
    };
    let mut app = QGuiApplication::new();
    measure::mark_rss_start();
    let code = match workload {
        "W1" => w1::run(variant),
        "W2" => w2::run(variant),
        "W3" => w3::run(variant),
        "W4" => w4::run(variant),
        "W5" => w5::run(variant),
        "W6" => w6::run(variant, app.pin_mut()),
        "W7" => w7::run(variant),
        "W8" => w8::run(variant, app.pin_mut()),
        "W9" => w9::run(variant),
        "W10" => w10::run(variant),
        "W11" => w11::run(variant),
        other => {
            eprintln!("unknown workload {other}");
            2
        }
    };
    drop(app);
    std::process::exit(code);
}
