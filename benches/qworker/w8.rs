//! W8: 100,000 short function workers started and finished in sequence: each one's `finished`
//! callback starts the next (workers are detached, so each `QWorker` deletes itself). Reports
//! RSS after 10k and after 100k workers (a leak shows as growth) and workers/s.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use qworker::BoxError;

use crate::measure::{Report, Stopwatch, rss_mb};

const N: u64 = 100_000;

struct Chain {
    sw: Stopwatch,
    rss_10k: Cell<f64>,
    rss_100k: Cell<f64>,
    wall: Cell<Option<f64>>,
}

fn launch(k: u64, chain: Rc<Chain>) {
    let w = qworker::function(move || -> Result<u64, BoxError> { Ok(k) });
    w.on_finished(move || {
        let done = k + 1;
        if done == 10_000 {
            chain.rss_10k.set(rss_mb());
        }
        if done == N {
            chain.wall.set(Some(chain.sw.read().0));
            chain.rss_100k.set(rss_mb());
        } else {
            launch(k + 1, chain.clone());
        }
    });
    w.detach().expect("start");
}

pub fn run(variant: &str) -> i32 {
    let chain = Rc::new(Chain {
        sw: Stopwatch::start(),
        rss_10k: Cell::new(0.0),
        rss_100k: Cell::new(0.0),
        wall: Cell::new(None),
    });
    launch(0, chain.clone());
    crate::spin_until(Duration::from_secs(300), || chain.wall.get().is_some());
    let wall = chain.wall.get().unwrap_or(f64::NAN);
    Report::new("W8", variant)
        .metric("workers_per_s", N as f64 / wall)
        .metric("rss_10k_mb", chain.rss_10k.get())
        .metric("rss_100k_mb", chain.rss_100k.get())
        .metric("rss_growth_mb", chain.rss_100k.get() - chain.rss_10k.get())
        .print();
    0
}
