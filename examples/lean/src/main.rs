//! The smallest qworker program: a generator on a `QGuiApplication`, built with
//! `default-features = false` (no Qt Quick, no Qt Widgets). Prints its RSS once the
//! application exists (as the benchmarks' `rss_start_mb`, also as a JSON result line that
//! `scripts/bench.py` reads), what it received, and ends with `N passed, N failed`.
//!
//! `qworker-lean W3` runs the benchmarks' W3 instead (10,000 short function workers, one
//! `on_returned` callback each, all started before any is delivered) in this build, which
//! links the Qt modules the C++ baseline links (Core, Gui, Qml): its peak RSS is the
//! like-for-like figure beside the C++ pool's (the benchmark binary also links Qt Quick and
//! Qt Widgets for the image workloads, about 3.2 MB more at start). It checks that every
//! worker's value arrived once and prints a W3 result line.

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Instant;

use cxx_qt_lib::QGuiApplication;
use qworker::{BoxError, Context};

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: at the start of main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    cxx_qt::init_crate!(qworker);
    let mut app = QGuiApplication::new();
    // The same point the benchmarks read `rss_start_mb` at (right after the application).
    let rss = rss_mb();
    println!("rss_start_mb {rss:.1}");
    // The same figure as a result line for scripts/bench.py (W1, "start, default-features =
    // false", beside the C++ QThread program's `rss_start_mb`).
    println!(
        "{{\"workload\":\"W1\",\"variant\":\"start\",\"system\":\"qworker-lean\",\"metrics\":{{\"rss_start_mb\":{rss}}},\"notes\":{{}}}}"
    );
    if std::env::args().nth(1).as_deref() == Some("W3") {
        let ok = app.as_mut().is_some_and(|app| w3(app, rss));
        println!("{} passed, {} failed", u8::from(ok), u8::from(!ok));
        std::process::exit(if ok { 0 } else { 1 });
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let worker = qworker::generator(|cx: &mut Context<u32>| -> Result<&str, BoxError> {
        for i in 0..5 {
            cx.yield_(i * i)?;
        }
        Ok("done")
    })
    .named("squares");
    let s = seen.clone();
    worker
        .on_yielded(move |v| s.borrow_mut().push(*v))
        .on_finished(|| qworker::exit_application(0));
    worker.start().expect("started");
    let rc = app.as_mut().map_or(1, |app| app.exec());
    let ok = rc == 0 && *seen.borrow() == [0, 1, 4, 9, 16];
    println!("received {:?}, exec returned {rc}", seen.borrow());
    println!("{} passed, {} failed", u8::from(ok), u8::from(!ok));
    std::process::exit(if ok { 0 } else { 1 });
}

/// W3 (see the module's text) on the running application; `rss_start` is its RSS at start.
/// Prints the result line and returns whether all 10,000 values arrived, each once.
fn w3(app: Pin<&mut QGuiApplication>, rss_start: f64) -> bool {
    const N: u64 = 10_000;
    // One shared tally, as in the benchmark program: each callback captures one `Rc`.
    let tally = Rc::new(Tally {
        start: Instant::now(),
        count: Cell::new(0),
        sum: Cell::new(0),
        elapsed: Cell::new(0.0),
    });
    for i in 0..N {
        let w = qworker::function(move || -> Result<u64, BoxError> { Ok(i) });
        let t = tally.clone();
        w.on_returned(move |v| {
            t.sum.set(t.sum.get() + v);
            t.count.set(t.count.get() + 1);
            if t.count.get() == N {
                t.elapsed.set(t.start.elapsed().as_secs_f64());
                qworker::exit_application(0);
            }
        });
        w.detach().expect("start");
    }
    let rc = app.exec();
    let peak = status_mb("VmHWM:");
    let count = tally.count.get();
    println!(
        "{{\"workload\":\"W3\",\"variant\":\"10k\",\"system\":\"qworker-lean\",\"metrics\":{{\"workers_per_s\":{},\"peak_rss_mb\":{peak},\"rss_start_mb\":{rss_start},\"rss_growth_mb\":{},\"handled\":{count}}},\"notes\":{{}}}}",
        N as f64 / tally.elapsed.get(),
        peak - rss_start,
    );
    rc == 0 && count == N && tally.sum.get() == N * (N - 1) / 2
}

/// What W3's callbacks count, and when the last one came.
struct Tally {
    start: Instant,
    count: Cell<u64>,
    sum: Cell<u64>,
    elapsed: Cell<f64>,
}

/// This process's resident set size in MB (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A `kB` line of `/proc/self/status` (`VmRSS:`, `VmHWM:`) in MB (Linux; 0 elsewhere).
fn status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
