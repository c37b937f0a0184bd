//! Measurement helpers shared by every workload: clocks, process and thread CPU time, memory,
//! thread counts, percentiles, and the one-line JSON each run prints.
//!
//! The C++ baselines (`benches/cpp/measure.h`) read the same kernel sources the same way, so
//! both systems are measured alike.

use std::fmt::Write as _;
use std::time::Instant;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    fn gettid() -> i32;
}

const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;

fn clock_ns(clock: i32) -> u64 {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer with the kernel's x86_64/aarch64 layout.
    unsafe { clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CLOCK_MONOTONIC in ns: the clock Rust's `Instant`, C++'s `steady_clock` and Python's
/// `time.monotonic_ns()` all read, so the runner can compare stamps across processes.
pub fn mono_ns() -> u64 {
    clock_ns(CLOCK_MONOTONIC)
}

/// CPU time of the whole process (all threads, also those that exited), ns.
pub fn process_cpu_ns() -> u64 {
    clock_ns(CLOCK_PROCESS_CPUTIME_ID)
}

/// The calling thread's kernel id.
pub fn tid() -> i32 {
    // SAFETY: gettid has no preconditions (glibc >= 2.30).
    unsafe { gettid() }
}

/// Time thread `tid` of this process has spent on a CPU, ns (`/proc/.../schedstat`).
pub fn thread_cpu_ns(tid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Voluntary + involuntary context switches of thread `tid` (wake-ups show polling).
pub fn thread_switches(tid: i32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap_or_default();
    s.lines()
        .filter(|l| {
            l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches")
        })
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

fn status_field(name: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Peak resident set size so far, MB (VmHWM).
pub fn peak_rss_mb() -> f64 {
    status_field("VmHWM:") as f64 / 1024.0
}

/// Resident set size now, MB (VmRSS).
pub fn rss_mb() -> f64 {
    status_field("VmRSS:") as f64 / 1024.0
}

/// OS threads of this process now.
pub fn os_threads() -> u64 {
    status_field("Threads:")
}

/// Samples the process's OS thread count every millisecond on a thread of its own until
/// dropped; `max()` excludes the sampler itself.
pub struct ThreadSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    max: std::sync::Arc<std::sync::atomic::AtomicU64>,
    join: Option<std::thread::JoinHandle<()>>,
}

impl ThreadSampler {
    /// With `BENCH_NO_SAMPLER` set (profiling runs), samples once now and never again.
    pub fn start() -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let max = std::sync::Arc::new(AtomicU64::new(0));
        if std::env::var_os("BENCH_NO_SAMPLER").is_some() {
            max.store(os_threads(), Ordering::Relaxed);
            return ThreadSampler {
                stop,
                max,
                join: None,
            };
        }
        let (s, m) = (stop.clone(), max.clone());
        let join = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                m.fetch_max(os_threads().saturating_sub(1), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        // Let the sampler take its first sample before the measured work starts.
        while max.load(Ordering::Relaxed) == 0 {
            std::thread::yield_now();
        }
        ThreadSampler {
            stop,
            max,
            join: Some(join),
        }
    }

    pub fn max(&self) -> u64 {
        self.max.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for ThreadSampler {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Wall and process-CPU stopwatch.
#[derive(Clone, Copy)]
pub struct Stopwatch {
    wall: Instant,
    cpu: u64,
}

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu: process_cpu_ns(),
        }
    }

    /// (wall seconds, process CPU seconds) since `start`.
    pub fn read(&self) -> (f64, f64) {
        (
            self.wall.elapsed().as_secs_f64(),
            (process_cpu_ns() - self.cpu) as f64 / 1e9,
        )
    }
}

/// Busy-works (spins on the clock) for `us` microseconds.
pub fn spin_us(us: u64) {
    let t = Instant::now();
    while t.elapsed().as_micros() < us as u128 {
        std::hint::spin_loop();
    }
}

/// The value at quantile `q` (0..=1) of `v` (sorted in place), nearest rank.
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

static RSS_START: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// Records the RSS of the process once the application object exists (reported by every run
/// as `rss_start_mb`, so peak RSS can be read as start + growth).
pub fn mark_rss_start() {
    let _ = RSS_START.set(rss_mb());
}

/// One result line: `{"workload":..,"variant":..,"system":"qworker","metrics":{..}}`.
pub struct Report {
    workload: String,
    variant: String,
    metrics: Vec<(String, f64)>,
    notes: Vec<(String, String)>,
}

impl Report {
    pub fn new(workload: &str, variant: &str) -> Self {
        Report {
            workload: workload.into(),
            variant: variant.into(),
            metrics: vec![],
            notes: vec![],
        }
    }

    pub fn metric(&mut self, name: &str, value: f64) -> &mut Self {
        self.metrics.push((name.into(), value));
        self
    }

    pub fn note(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.notes.push((name.into(), value.to_string()));
        self
    }

    pub fn print(&self) {
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"workload\":\"{}\",\"variant\":\"{}\",\"system\":\"qworker\",\"metrics\":{{",
            self.workload, self.variant
        );
        let start = RSS_START.get().copied().unwrap_or(f64::NAN);
        let mut metrics = self.metrics.clone();
        metrics.push(("rss_start_mb".into(), start));
        for (i, (k, v)) in metrics.iter().enumerate() {
            let v = if v.is_finite() {
                format!("{v}")
            } else {
                "null".into()
            };
            let _ = write!(s, "{}\"{k}\":{v}", if i > 0 { "," } else { "" });
        }
        s.push_str("},\"notes\":{");
        for (i, (k, v)) in self.notes.iter().enumerate() {
            let v = v.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = write!(s, "{}\"{k}\":\"{v}\"", if i > 0 { "," } else { "" });
        }
        s.push_str("}}");
        println!("{s}");
    }
}
