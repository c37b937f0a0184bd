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
    let count = Rc::new(Cell::new(0u64));
    let sum = Rc::new(Cell::new(0u64));
    // Wall and process CPU seconds, and the GUI thread's CPU ns, when the last is handled.
    let done = Rc::new(Cell::new(None::<(f64, f64, u64)>));
    let gui = tid();
    let gui_cpu = thread_cpu_ns(gui);
    let sw = Stopwatch::start();
    for i in 0..n {
        let w = qworker::function(move || -> Result<u64, BoxError> { Ok(i) });
        let (c, s, d) = (count.clone(), sum.clone(), done.clone());
        w.on_returned(move |v| {
            s.set(s.get() + v);
            c.set(c.get() + 1);
            if c.get() == n {
                let (wall, cpu) = sw.read();
                d.set(Some((wall, cpu, thread_cpu_ns(gui))));
            }
        });
        w.detach().expect("start");
    }
    crate::spin_until(Duration::from_secs(120), || done.get().is_some());
    let (wall, cpu, gui_end) = done.get().unwrap_or((f64::NAN, f64::NAN, gui_cpu));
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
