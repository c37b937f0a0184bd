//! Counts heap allocations per worker (W3's shape: short detached function workers, one
//! `on_returned` callback each) on a real event loop, split by thread: the GUI thread (create,
//! start, deliver) and the pool threads (run). A diagnostic for `docs/BENCHMARKS.md`, not a
//! benchmark: the counts do not depend on the machine.
//!
//! It also sums the bytes requested per worker and lists the most common sizes (8-byte
//! buckets), to see what a live worker costs in memory.
//!
//! Run: `cargo run --release --example alloc_probe [-- N]`

extern crate qworker;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cxx_qt_lib::QGuiApplication;
use qworker::BoxError;
use qworker::testing::wait_until;

/// Counts every allocation, and those of the thread that set `GUI` separately.
struct Counting;

static ALL: AtomicU64 = AtomicU64::new(0);
static GUI: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Allocations by requested size, in 8-byte steps up to 4 KiB (the last bucket: larger).
static SIZES: [AtomicU64; 513] = [const { AtomicU64::new(0) }; 513];

thread_local! {
    static ON_GUI: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALL.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        SIZES[layout.size().div_ceil(8).min(512)].fetch_add(1, Ordering::Relaxed);
        if ON_GUI.try_with(|g| g.get()).unwrap_or(false) {
            GUI.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Per worker: allocations, those on the GUI thread, bytes requested, and the most common
/// sizes (bytes, allocations per worker).
fn run(n: u64) -> (f64, f64, f64, Vec<(usize, f64)>) {
    let done = Rc::new(Cell::new(0u64));
    let (all0, gui0) = (ALL.load(Ordering::Relaxed), GUI.load(Ordering::Relaxed));
    let bytes0 = BYTES.load(Ordering::Relaxed);
    let sizes0: Vec<u64> = SIZES.iter().map(|s| s.load(Ordering::Relaxed)).collect();
    for i in 0..n {
        let w = qworker::function(move || -> Result<u64, BoxError> { Ok(i) });
        let d = done.clone();
        w.on_returned(move |_| d.set(d.get() + 1));
        w.detach().expect("start");
    }
    assert!(wait_until(Duration::from_secs(60), || done.get() == n));
    // Let the last flush of the task list and the pool's bookkeeping settle.
    qworker::testing::process_events(Duration::from_millis(200));
    let all = (ALL.load(Ordering::Relaxed) - all0) as f64 / n as f64;
    let gui = (GUI.load(Ordering::Relaxed) - gui0) as f64 / n as f64;
    let bytes = (BYTES.load(Ordering::Relaxed) - bytes0) as f64 / n as f64;
    let mut sizes: Vec<(usize, f64)> = SIZES
        .iter()
        .zip(sizes0)
        .enumerate()
        .map(|(i, (s, s0))| (i * 8, (s.load(Ordering::Relaxed) - s0) as f64 / n as f64))
        .filter(|(_, per)| *per >= 0.05)
        .collect();
    sizes.sort_by(|a, b| b.1.total_cmp(&a.1));
    (all, gui, bytes, sizes)
}

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: start of main, no other thread yet.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    ON_GUI.set(true);
    run(1000); // warm up: pool threads, hub, registries
    let (all, gui, bytes, sizes) = run(n);
    println!(
        "{n} workers: {all:.1} allocations per worker ({gui:.1} on the GUI thread, {:.1} elsewhere), {bytes:.0} bytes",
        all - gui
    );
    let sizes: Vec<String> = sizes
        .iter()
        .map(|(b, per)| format!("{}-{b} B: {per:.2}", b.saturating_sub(7)))
        .collect();
    println!("by size (per worker): {}", sizes.join(", "));
}
