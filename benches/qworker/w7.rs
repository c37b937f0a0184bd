//! W7: a generator (100 µs of work per yield) is paused at t = 0.2 s for 1 s, then resumed.
//! Reports the CPU time its thread used while paused (`/proc/self/task/<tid>/schedstat`), its
//! context switches meanwhile (any polling shows here), and `resume()` → `resumed` handled:
//! the median (and max) of 21 resumes, the first after the 1 s pause, then 20 more after
//! 20 ms pauses, so one scheduling hiccup on a shared machine does not decide the figure.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use qworker::{BoxError, Context};

use crate::measure::{Report, mono_ns, quantile, spin_us, thread_cpu_ns, thread_switches, tid};

const RESUMES: usize = 21;

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
    .named("w7");
    let paused = Rc::new(Cell::new(0usize));
    let resumed = Rc::new(RefCell::new(Vec::<u64>::new()));
    let finished = Rc::new(Cell::new(false));
    let (p, r, f) = (paused.clone(), resumed.clone(), finished.clone());
    w.on_yielded(|_| {});
    w.on_paused(move || p.set(p.get() + 1));
    w.on_resumed(move || r.borrow_mut().push(mono_ns()));
    w.on_finished(move || f.set(true));
    w.start().expect("start");
    crate::spin_for(Duration::from_millis(200));
    let mut samples = Vec::new();
    let (mut cpu_us, mut wakeups) = (f64::NAN, f64::NAN);
    for k in 0..RESUMES {
        w.pause();
        crate::spin_until(Duration::from_secs(10), || paused.get() > k);
        if k == 0 {
            let t = worker_tid.load(Ordering::Acquire);
            let (cpu0, sw0) = (thread_cpu_ns(t), thread_switches(t));
            crate::spin_for(Duration::from_secs(1));
            let (cpu1, sw1) = (thread_cpu_ns(t), thread_switches(t));
            cpu_us = (cpu1 - cpu0) as f64 / 1e3;
            wakeups = (sw1 - sw0) as f64;
        } else {
            crate::spin_for(Duration::from_millis(20));
        }
        let t_resume = mono_ns();
        w.resume();
        crate::spin_until(Duration::from_secs(10), || resumed.borrow().len() > k);
        let t_resumed = resumed.borrow()[k];
        samples.push((t_resumed - t_resume) as f64 / 1e3);
        crate::spin_for(Duration::from_millis(20));
    }
    w.quit();
    crate::spin_until(Duration::from_secs(10), || finished.get());
    let first = samples[0];
    Report::new("W7", variant)
        .metric("paused_cpu_us", cpu_us)
        .metric("paused_wakeups", wakeups)
        .metric("resume_to_resumed_us", quantile(&mut samples, 0.5))
        .metric("resume_to_resumed_max_us", quantile(&mut samples, 1.0))
        .metric("first_resume_us", first)
        .print();
    0
}
