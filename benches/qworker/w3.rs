//! W3: start 10,000 short function workers, each returning its index. Reports workers/s until
//! the last `returned` is handled, the CPU per worker (the process's, and the GUI thread's
//! alone: the rest is the pool's), peak RSS, and the most OS threads seen (sampled every ms).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use qworker::{BoxError, Pool};

use crate::measure::{Report, Stopwatch, ThreadSampler, peak_rss_mb, thread_cpu_ns, tid};

pub fn run(variant: &str) -> i32 {
    // `100k`: ten times as many (a diagnostic for profiles; bench.py runs `10k`).
    let n: u64 = if variant.starts_with("100k") {
        100_000
    } else {
        10_000
    };
    // `10k-grace100`: the pool's starvation grace raised from 1 ms to 100 ms (public API), to
    // show what the thread growth costs this burst.
    if variant.ends_with("-grace100") {
        Pool::global().set_grace(Duration::from_millis(100));
    }
    let sampler = ThreadSampler::start();
    let gui = tid();
    let gui_cpu = thread_cpu_ns(gui);
    // One shared tally, as the C++ program's handler shares its state by reference: each
    // worker's callback captures one `Rc` (not a copy of the stopwatch and three counters).
    let tally = Rc::new(Tally {
        n,
        gui,
        count: Cell::new(0),
        sum: Cell::new(0),
        done: Cell::new(None),
        sw: Stopwatch::start(),
    });
    for i in 0..n {
        let w = qworker::function(move || -> Result<u64, BoxError> { Ok(i) });
        let t = tally.clone();
        w.on_returned(move |v| t.returned(*v));
        w.detach().expect("start");
    }
    crate::spin_until(Duration::from_secs(120), || tally.done.get().is_some());
    let (wall, cpu, gui_end) = tally.done.get().unwrap_or((f64::NAN, f64::NAN, gui_cpu));
    let count = &tally.count;
    Report::new("W3", variant)
        .metric("workers_per_s", n as f64 / wall)
        .metric("cpu_us_per_worker", cpu * 1e6 / n as f64)
        .metric(
            "gui_cpu_us_per_worker",
            (gui_end - gui_cpu) as f64 / 1e3 / n as f64,
        )
        .metric("peak_rss_mb", peak_rss_mb())
        .metric("max_os_threads", sampler.max() as f64)
        .metric("pool_peak_threads", Pool::global().peak_threads() as f64)
        .metric("handled", count.get() as f64)
        .print();
    0
}

/// What the workers' callbacks count, and when the last one came.
struct Tally {
    n: u64,
    gui: i32,
    count: Cell<u64>,
    sum: Cell<u64>,
    /// Wall and process CPU seconds, and the GUI thread's CPU ns, when the last is handled.
    done: Cell<Option<(f64, f64, u64)>>,
    sw: Stopwatch,
}

impl Tally {
    fn returned(&self, v: u64) {
        self.sum.set(self.sum.get() + v);
        self.count.set(self.count.get() + 1);
        if self.count.get() == self.n {
            let (wall, cpu) = self.sw.read();
            self.done.set(Some((wall, cpu, thread_cpu_ns(self.gui))));
        }
    }
}
