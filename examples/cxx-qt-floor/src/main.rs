//! A cxx-qt app with no qworker: prints its RSS right after `QGuiApplication::new()`, the
//! point where examples/lean and the benchmarks read `rss_start_mb`. It shows what any
//! cxx-qt-lib app carries before qworker adds anything (docs/BENCHMARKS.md, "Lean build").

use cxx_qt_lib::QGuiApplication;

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: at the start of main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    let app = QGuiApplication::new();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    println!("rss_start_mb {:.1}", kb / 1024.0);
    drop(app);
}
