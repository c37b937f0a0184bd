//! Measures two promises of qworker on a real event loop (headless by default):
//! - a paused worker uses no CPU: the worker thread's on-CPU time over one second of pause
//!   (from `/proc/self/task/<tid>/schedstat`, nanoseconds);
//! - `quit()` of a yielding worker reaches `aborted` (and `finished`) on the GUI thread fast;
//! - `resume()` reaches `resumed` on the GUI thread fast.
//!
//! Run: `cargo run --release --example pause_quit`

extern crate qworker;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cxx_qt_lib::QGuiApplication;
use qworker::testing::{process_events, wait_until};
use qworker::{BoxError, Context, WorkerState};

/// Nanoseconds the thread `tid` has spent on a CPU.
fn cpu_ns(tid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("schedstat (Linux only)")
}

fn this_tid() -> String {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name().unwrap().to_string_lossy().into_owned()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: start of main, no other thread yet.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    let forever = Duration::from_secs(30);

    // ---- CPU while paused, and resume() -> resumed ----
    let tid = Arc::new(Mutex::new(String::new()));
    let t = tid.clone();
    let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
        *t.lock().unwrap() = this_tid();
        let mut x = 0u64;
        loop {
            for i in 0..10_000 {
                x = x.wrapping_mul(31).wrapping_add(i); // a little work between yields
            }
            cx.yield_(x)?;
        }
    });
    let resumed_at = Rc::new(Cell::new(None));
    let r = resumed_at.clone();
    w.on_resumed(move || r.set(Some(Instant::now())));
    w.start().unwrap();
    wait_until(forever, || w.state() == WorkerState::Running);
    let mut paused_cpu = vec![];
    let mut resume_us = vec![];
    for _ in 0..3 {
        w.pause();
        wait_until(forever, || w.is_paused());
        let tid = tid.lock().unwrap().clone();
        let before = cpu_ns(&tid);
        process_events(Duration::from_secs(1));
        paused_cpu.push(cpu_ns(&tid) - before);
        resumed_at.set(None);
        let t0 = Instant::now();
        w.resume();
        wait_until(forever, || resumed_at.get().is_some());
        resume_us.push((resumed_at.get().unwrap() - t0).as_secs_f64() * 1e6);
    }
    // The same, right after the worker parked (no long sleep before the resume).
    let mut short_us = vec![];
    for _ in 0..20 {
        w.pause();
        wait_until(forever, || w.is_paused());
        resumed_at.set(None);
        let t0 = Instant::now();
        w.resume();
        wait_until(forever, || resumed_at.get().is_some());
        short_us.push((resumed_at.get().unwrap() - t0).as_secs_f64() * 1e6);
    }
    w.quit();
    wait_until(forever, || w.is_finished());
    println!(
        "resume() -> resumed handled, short pause: median {:.0} µs, max {:.0} µs (20 runs)",
        percentile(&mut short_us.clone(), 0.5),
        short_us.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "paused 1 s, worker thread on-CPU: {} ns (3 runs)",
        paused_cpu
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "resume() -> resumed handled, after 1 s paused: median {:.0} µs, max {:.0} µs",
        percentile(&mut resume_us.clone(), 0.5),
        resume_us.iter().cloned().fold(0.0, f64::max)
    );

    // ---- quit() -> aborted / finished, for a worker that yields with no work between ----
    let mut to_aborted = vec![];
    let mut to_finished = vec![];
    for _ in 0..50 {
        let w = qworker::generator(|cx: &mut Context<u64>| -> Result<(), BoxError> {
            for i in 0.. {
                cx.yield_(i)?;
            }
            Ok(())
        })
        .policy(qworker::Policy::Latest);
        let aborted = Rc::new(Cell::new(None));
        let finished = Rc::new(Cell::new(None));
        let (a, f) = (aborted.clone(), finished.clone());
        w.on_aborted(move || a.set(Some(Instant::now())));
        w.on_finished(move || f.set(Some(Instant::now())));
        let n = Rc::new(Cell::new(0));
        let n2 = n.clone();
        w.on_yielded(move |_| n2.set(n2.get() + 1));
        w.start().unwrap();
        wait_until(forever, || n.get() > 100);
        let t0 = Instant::now();
        w.quit();
        wait_until(forever, || finished.get().is_some());
        to_aborted.push((aborted.get().unwrap() - t0).as_secs_f64() * 1e3);
        to_finished.push((finished.get().unwrap() - t0).as_secs_f64() * 1e3);
    }
    println!(
        "quit() -> aborted handled: median {:.3} ms, p90 {:.3} ms, max {:.3} ms (50 runs)",
        percentile(&mut to_aborted.clone(), 0.5),
        percentile(&mut to_aborted.clone(), 0.9),
        to_aborted.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "quit() -> finished handled: median {:.3} ms, max {:.3} ms",
        percentile(&mut to_finished.clone(), 0.5),
        to_finished.iter().cloned().fold(0.0, f64::max)
    );
}
