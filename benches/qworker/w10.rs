//! W10: a generator yields 1M small integers, consumed on the GUI thread. Variants
//! `stream-All` and `stream-Bounded` (`Bounded(1024)`): a `spawn_local` future takes them
//! from `worker.stream()`. Variant `callback-All`: an `on_yielded` callback counts them (as
//! W1). Reports items/s from the start to the last value handled, process CPU µs per item,
//! peak RSS and its growth over the start.

use std::cell::Cell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use futures_core::Stream;
use qworker::{BoxError, Context, Policy};

use crate::measure::{Report, Stopwatch, peak_rss_mb};

const N: u64 = 1_000_000;

pub fn run(variant: &str) -> i32 {
    let rss_before = peak_rss_mb();
    let policy = if variant.ends_with("Bounded") {
        Policy::Bounded(1024)
    } else {
        Policy::All
    };
    let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
        for i in 0..N {
            cx.yield_(i)?;
        }
        Ok(())
    })
    .policy(policy)
    .named("w10");
    let count = Rc::new(Cell::new(0u64));
    let done = Rc::new(Cell::new(None::<(f64, f64)>));
    let sw = Stopwatch::start();
    let mut _keep_worker = None;
    let mut _keep_handle = None;
    if variant.starts_with("stream") {
        let (c, d) = (count.clone(), done.clone());
        _keep_handle = Some(qworker::spawn_local(async move {
            let mut values = w.stream();
            while let Some(v) = poll_fn(|cx| Pin::new(&mut values).poll_next(cx)).await {
                std::hint::black_box(v);
                c.set(c.get() + 1);
            }
            d.set(Some(sw.read()));
        }));
    } else {
        let c = count.clone();
        w.on_yielded(move |v| {
            std::hint::black_box(v);
            c.set(c.get() + 1);
        });
        let d = done.clone();
        w.on_finished(move || d.set(Some(sw.read())));
        w.start().expect("start");
        _keep_worker = Some(w);
    }
    crate::spin_until(Duration::from_secs(300), || done.get().is_some());
    let (wall, cpu) = done.get().unwrap_or((f64::NAN, f64::NAN));
    let peak = peak_rss_mb();
    Report::new("W10", variant)
        .metric("items_per_s", N as f64 / wall)
        .metric("cpu_us_per_item", cpu * 1e6 / N as f64)
        .metric("peak_rss_mb", peak)
        .metric("rss_growth_mb", peak - rss_before)
        .metric("handled", count.get() as f64)
        .print();
    0
}
