//! W7: a generator (100 µs of work per yield) is paused at t = 0.2 s for 1 s, then resumed.
//! Reports the CPU time its thread used while paused (`/proc/self/task/<tid>/schedstat`), its
//! context switches meanwhile (any polling shows here), and `resume()` → `resumed` handled, µs.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use qworker::{BoxError, Context};

use crate::measure::{Report, mono_ns, spin_us, thread_cpu_ns, thread_switches, tid};

pub fn run(variant: &str) -> i32 {
    let worker_tid = Arc::new(AtomicI32::new(0));
    let wt = worker_tid.clone();
    let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
        wt.store(tid(), Ordering::Release);
        let mut i = 0u64;
        loop {
            cx.yield_(i)?;
            i += 1;
            spin_us(100);
        }
    })
    .name("w7");
    let paused = Rc::new(Cell::new(false));
    let t_resumed = Rc::new(Cell::new(0u64));
    let finished = Rc::new(Cell::new(false));
    let (p, tr, f) = (paused.clone(), t_resumed.clone(), finished.clone());
    w.on_yielded(|_| {});
    w.on_paused(move || p.set(true));
    w.on_resumed(move || tr.set(mono_ns()));
    w.on_finished(move || f.set(true));
    w.start().expect("start");
    crate::spin_for(Duration::from_millis(200));
    w.pause();
    crate::spin_until(Duration::from_secs(10), || paused.get());
    let t = worker_tid.load(Ordering::Acquire);
    let (cpu0, sw0) = (thread_cpu_ns(t), thread_switches(t));
    crate::spin_for(Duration::from_secs(1));
    let (cpu1, sw1) = (thread_cpu_ns(t), thread_switches(t));
    let t_resume = mono_ns();
    w.resume();
    crate::spin_until(Duration::from_secs(10), || t_resumed.get() != 0);
    w.quit();
    crate::spin_until(Duration::from_secs(10), || finished.get());
    Report::new("W7", variant)
        .metric("paused_cpu_us", (cpu1 - cpu0) as f64 / 1e3)
        .metric("paused_wakeups", (sw1 - sw0) as f64)
        .metric(
            "resume_to_resumed_us",
            (t_resumed.get() - t_resume) as f64 / 1e3,
        )
        .print();
    0
}
