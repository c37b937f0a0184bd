//! W5: `quit()` at t = 0.5 s, from a timer in the running event loop. Variant `a-yield`: a generator that yields with no work in
//! between. Variant `b-check`: a function worker in a 2 s loop of 1 ms busy steps that calls
//! `cx.check()` every step. Reports ms from `quit()` to `aborted` and to `finished` handled.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use qworker::{BoxError, Context, Policy};

use crate::measure::{Report, mono_ns, peak_rss_mb, spin_us};

pub fn run(variant: &str) -> i32 {
    let t_aborted = Rc::new(Cell::new(0u64));
    let t_finished = Rc::new(Cell::new(0u64));
    let handled = Rc::new(Cell::new(0u64));
    let produced = Arc::new(AtomicU64::new(0));
    // When the body saw the quit (its `yield_` returned the error): splits quit → `aborted`
    // into the worker's part and the delivery's.
    let t_body_quit = Arc::new(AtomicU64::new(0));
    let (ta, tf) = (t_aborted.clone(), t_finished.clone());
    let quit: Box<dyn Fn()>;
    let _keep: Box<dyn std::any::Any>;
    if variant.starts_with("a-yield") {
        // `a-yield-bounded`: the same generator with Policy::Bounded(4096).
        let policy = if variant.ends_with("-bounded") {
            Policy::Bounded(4096)
        } else {
            Policy::All
        };
        let p = produced.clone();
        let seen = t_body_quit.clone();
        let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
            let mut i = 0u64;
            loop {
                if let Err(e) = cx.yield_(i) {
                    seen.store(mono_ns(), Ordering::Relaxed);
                    return Err(e.into());
                }
                i += 1;
                p.store(i, Ordering::Relaxed);
            }
        })
        .policy(policy)
        .named("w5a");
        let h = handled.clone();
        w.on_yielded(move |_| h.set(h.get() + 1));
        w.on_aborted(move || ta.set(mono_ns()));
        w.on_finished(move || tf.set(mono_ns()));
        w.start().expect("start");
        let w = Rc::new(w);
        let w2 = w.clone();
        quit = Box::new(move || w2.quit());
        _keep = Box::new(w);
    } else {
        let w = qworker::function_with_context(|cx: &mut Context| -> Result<(), BoxError> {
            for _ in 0..2000 {
                cx.check()?;
                spin_us(1000);
            }
            Ok(())
        })
        .named("w5b");
        w.on_aborted(move || ta.set(mono_ns()));
        w.on_finished(move || tf.set(mono_ns()));
        w.start().expect("start");
        let w = Rc::new(w);
        let w2 = w.clone();
        quit = Box::new(move || w2.quit());
        _keep = Box::new(w);
    }
    // The quit comes from a timer inside the running event loop, as the C++ baseline's
    // `QTimer::singleShot` does: what follows it (the drain that delivers `aborted`) runs in
    // the same loop, not after the harness has left one loop slice and entered the next.
    let at_quit = Rc::new(Cell::new(None::<(u64, u64, u64)>));
    {
        let (at_quit, produced, handled) = (at_quit.clone(), produced.clone(), handled.clone());
        qworker::spawn_local(async move {
            qworker::sleep(Duration::from_millis(500)).await;
            let t = mono_ns();
            at_quit.set(Some((t, produced.load(Ordering::Relaxed), handled.get())));
            quit();
        });
    }
    crate::spin_until(Duration::from_secs(10), || t_finished.get() != 0);
    let (t_quit, produced_at_quit, handled_at_quit) = at_quit.get().expect("the quit timer ran");
    let ms = |t: u64| {
        if t == 0 {
            f64::NAN
        } else {
            (t - t_quit) as f64 / 1e6
        }
    };
    let mut r = Report::new("W5", variant);
    r.metric("quit_to_aborted_ms", ms(t_aborted.get()))
        .metric("quit_to_finished_ms", ms(t_finished.get()));
    if variant.starts_with("a-yield") {
        r.metric(
            "backlog_at_quit",
            produced_at_quit as f64 - handled_at_quit as f64,
        )
        .metric(
            "quit_to_body_return_ms",
            ms(t_body_quit.load(Ordering::Relaxed)),
        );
    }
    r.metric("peak_rss_mb", peak_rss_mb()).print();
    0
}
