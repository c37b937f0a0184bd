//! W1: a generator yields N small integers; a GUI-thread callback counts them.
//! Reports items/s from `start()` to `finished` handled, process CPU µs per item, peak RSS.
//! Variants: `200k`, `1M` (policy `All`), `1M-bounded` (`Bounded(4096)`).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use qworker::{BoxError, Context, Policy};

use crate::measure::{Report, Stopwatch, peak_rss_mb};

pub fn run(variant: &str) -> i32 {
    // `...-bounded`: the same with Policy::Bounded(4096) (memory/throughput trade-off).
    let policy = if variant.ends_with("-bounded") {
        Policy::Bounded(4096)
    } else {
        Policy::All
    };
    let n: u64 = if variant.starts_with("1M") {
        1_000_000
    } else {
        200_000
    };
    let count = Rc::new(Cell::new(0u64));
    let done = Rc::new(Cell::new(None::<(f64, f64)>));
    let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
        for i in 0..n {
            cx.yield_(i)?;
        }
        Ok(())
    })
    .policy(policy)
    .named("w1");
    let c = count.clone();
    w.on_yielded(move |_| c.set(c.get() + 1));
    let d = done.clone();
    let sw = Rc::new(Cell::new(Stopwatch::start()));
    let sw2 = sw.clone();
    w.on_finished(move || d.set(Some(sw2.get().read())));
    sw.set(Stopwatch::start());
    w.start().expect("start");
    crate::spin_until(Duration::from_secs(300), || done.get().is_some());
    let (wall, cpu) = done.get().unwrap_or((f64::NAN, f64::NAN));
    Report::new("W1", variant)
        .metric("items_per_s", n as f64 / wall)
        .metric("cpu_us_per_item", cpu * 1e6 / n as f64)
        .metric("peak_rss_mb", peak_rss_mb())
        .metric("handled", count.get() as f64)
        .print();
    0
}
