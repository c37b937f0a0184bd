//! Counts heap allocations per worker (W3's shape: short detached function workers, one
//! `on_returned` callback each) on a real event loop, split by thread: the GUI thread (create,
//! start, deliver) and the pool threads (run). A diagnostic for `docs/BENCHMARKS.md`, not a
//! benchmark: the counts do not depend on the machine.
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

thread_local! {
    static ON_GUI: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALL.fetch_add(1, Ordering::Relaxed);
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

fn run(n: u64) -> (f64, f64) {
    let done = Rc::new(Cell::new(0u64));
    let (all0, gui0) = (ALL.load(Ordering::Relaxed), GUI.load(Ordering::Relaxed));
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
    (all, gui)
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
    let (all, gui) = run(n);
    println!(
        "{n} workers: {all:.1} allocations per worker ({gui:.1} on the GUI thread, {:.1} elsewhere)",
        all - gui
    );
}
