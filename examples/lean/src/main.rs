//! The smallest qworker program: a generator on a `QGuiApplication`, built with
//! `default-features = false` (no Qt Quick, no Qt Widgets). Prints its RSS once the
//! application exists (as the benchmarks' `rss_start_mb`, also as a JSON result line that
//! `scripts/bench.py` reads), what it received, and ends with `N passed, N failed`.

use std::cell::RefCell;
use std::rc::Rc;

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

/// This process's resident set size in MB (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
