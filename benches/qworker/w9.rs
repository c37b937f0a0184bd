//! W9: the await round trip. On the GUI thread, 10,000 times in sequence, start a function
//! worker that returns its index and take its result. Variant `await`: one `spawn_local`
//! future awaits each worker (`worker.await`). Variant `callbacks`: the same chain written
//! with `on_returned`, each callback starting the next worker. Reports round trips/s and
//! process CPU µs per round trip, until the last result is handled.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use qworker::{BoxError, FunctionWorker};

use crate::measure::{Report, Stopwatch, peak_rss_mb};

const N: u64 = 10_000;

fn worker(i: u64) -> FunctionWorker<u64, BoxError> {
    qworker::function(move || -> Result<u64, BoxError> { Ok(i) })
}

/// The callback chain: each `returned` starts the next worker (kept alive in `slot`).
fn chain(
    i: u64,
    sum: Rc<Cell<u64>>,
    slot: Rc<RefCell<Option<FunctionWorker<u64, BoxError>>>>,
    done: Rc<Cell<Option<(f64, f64)>>>,
    sw: Stopwatch,
) {
    let w = worker(i);
    let (s, sl, d) = (sum.clone(), slot.clone(), done.clone());
    w.on_returned(move |v| {
        s.set(s.get() + v);
        if i + 1 == N {
            d.set(Some(sw.read()));
        } else {
            // Started from inside the callback; the finished worker is replaced (dropped
            // later, outside its own delivery).
            chain(i + 1, s.clone(), sl.clone(), d.clone(), sw);
        }
    });
    w.start().expect("start");
    let old = slot.borrow_mut().replace(w);
    if let Some(old) = old {
        // Dropping a worker inside its own callback is allowed; defer it anyway, as an app
        // would keep the last one.
        qworker::spawn_local(async move { drop(old) });
    }
}

pub fn run(variant: &str) -> i32 {
    let sum = Rc::new(Cell::new(0u64));
    let done = Rc::new(Cell::new(None::<(f64, f64)>));
    let sw = Stopwatch::start();
    match variant {
        "await" => {
            let (s, d) = (sum.clone(), done.clone());
            let _h = qworker::spawn_local(async move {
                for i in 0..N {
                    let v = worker(i).await.expect("returned");
                    s.set(s.get() + v);
                }
                d.set(Some(sw.read()));
            });
        }
        "callbacks" => chain(
            0,
            sum.clone(),
            Rc::new(RefCell::new(None)),
            done.clone(),
            sw,
        ),
        other => {
            eprintln!("W9: unknown variant {other}");
            return 2;
        }
    }
    crate::spin_until(Duration::from_secs(120), || done.get().is_some());
    let (wall, cpu) = done.get().unwrap_or((f64::NAN, f64::NAN));
    Report::new("W9", variant)
        .metric("round_trips_per_s", N as f64 / wall)
        .metric("cpu_us_per_round_trip", cpu * 1e6 / N as f64)
        .metric("peak_rss_mb", peak_rss_mb())
        .metric("checksum_ok", f64::from(sum.get() == N * (N - 1) / 2))
        .print();
    0
}
