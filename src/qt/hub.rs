//! The delivery hub: one posted drain on the GUI thread serves every worker with events.
//!
//! Design note.
//!
//! A worker's mailbox calls its waker at most once per drain cycle (see `core::mailbox`). The
//! waker pushes the worker's id onto `ready` and, if the hub has no drain posted (`scheduled`
//! false), posts one to the hub's QObject on the GUI thread. So a burst of ten thousand workers
//! costs a handful of posted events, not one per worker.
//!
//! The drain (GUI thread) swaps `ready` out and drains each worker through its driver, looked up
//! in `ENTRIES` (GUI-thread-only map, id -> driver). It stops after `SLICE` and re-posts itself
//! with the ids it did not reach first, then the ones that still had events: input and paint
//! events interleave with a flood, and no worker starves another.
//!
//! Invariants:
//! - `scheduled` is true exactly while a hub drain is posted or running; it is cleared, under
//!   the `ready` lock, only when `ready` is empty, so an id pushed after that posts a new drain.
//! - An id is in `ready` (or being drained) at most once per mailbox wake: its mailbox stays
//!   "scheduled" until its drain reports `Empty`, and the hub re-queues it itself on `More`.
//!   A worker made off the GUI thread is registered by a posted closure; a drain that runs
//!   before it drops the id, so registration queues the id again.
//! - `ENTRIES` holds a weak reference while some owner (a Rust worker value or a `QWorker`)
//!   keeps the driver alive, and a strong one for workers that run on their own (detached, or
//!   created off the GUI thread); strong entries go when `finished` was delivered.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use cxx_qt::casting::Upcast;
use cxx_qt::{CxxQtThread, Threading};

use super::driver::{Driver, SLICE};
use super::qobject::{QWorkerHub, ffi};
use crate::core::Drained;

struct Ready {
    ids: Vec<u64>,
    scheduled: bool,
}

/// The thread-safe half of the hub: where wakes go.
pub(crate) struct Hub {
    ready: Mutex<Ready>,
    thread: CxxQtThread<QWorkerHub>,
}

enum Entry {
    Weak(Weak<dyn Driver>),
    Strong(Rc<dyn Driver>),
}

impl Entry {
    fn get(&self) -> Option<Rc<dyn Driver>> {
        match self {
            Entry::Weak(w) => w.upgrade(),
            Entry::Strong(s) => Some(s.clone()),
        }
    }
}

thread_local! {
    /// The drivers of the GUI thread, by worker id.
    static ENTRIES: RefCell<HashMap<u64, Entry>> = RefCell::new(HashMap::new());
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh worker id.
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The hub, created on first use (its QObject lives on the GUI thread forever).
pub(crate) fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| {
        let mut obj = ffi::new_hub();
        if !ffi::on_gui_thread() {
            let o: Pin<&mut cxx_qt::QObject> = obj.pin_mut().upcast_pin();
            ffi::move_to_gui_thread(o);
        }
        let thread = obj.qt_thread();
        // The hub serves every worker until the process ends.
        let _ = obj.into_raw();
        Hub {
            ready: Mutex::new(Ready {
                ids: Vec::new(),
                scheduled: false,
            }),
            thread,
        }
    })
}

impl Hub {
    /// Worker `id` has events: queue it and post a drain unless one is posted.
    pub(crate) fn wake(&self, id: u64) {
        let mut r = self.ready.lock().unwrap_or_else(|p| p.into_inner());
        r.ids.push(id);
        let post = !std::mem::replace(&mut r.scheduled, true);
        drop(r);
        if post {
            let _ = self.thread.queue(drain);
        }
    }

    /// Runs `f` on the GUI thread, after everything posted to the hub before it.
    pub(crate) fn run_on_gui(&self, f: impl FnOnce() + Send + 'static) {
        let _ = self.thread.queue(move |_| f());
    }

    fn requeue_and_repost(&self, first: Vec<u64>) {
        let mut r = self.ready.lock().unwrap_or_else(|p| p.into_inner());
        let later = std::mem::replace(&mut r.ids, first);
        r.ids.extend(later);
        drop(r);
        let _ = self.thread.queue(drain);
    }
}

/// Registers a driver of the GUI thread: weakly (an owner keeps it alive) or strongly (it
/// runs on its own until `finished`).
pub(crate) fn register(driver: &Rc<dyn Driver>, strong: bool) {
    let entry = if strong {
        Entry::Strong(driver.clone())
    } else {
        Entry::Weak(Rc::downgrade(driver))
    };
    ENTRIES.with(|e| e.borrow_mut().insert(driver.id(), entry));
}

/// Registers a driver made on another thread (it runs on its own). Its worker may already
/// have woken the hub, and a drain that ran before this registration could not find it and
/// dropped the id; so the id is queued again (a drain with nothing to deliver is harmless).
pub(crate) fn register_from_elsewhere(driver: Rc<dyn Driver>) {
    register(&driver, true);
    hub().wake(driver.id());
}

/// Forgets worker `id` (its owner let go).
pub(crate) fn unregister(id: u64) {
    let gone = ENTRIES.with(|e| e.borrow_mut().remove(&id));
    drop(gone); // outside the borrow: dropping a driver may run user code
}

/// The driver of worker `id`, if it is registered and alive.
pub(crate) fn lookup(id: u64) -> Option<Rc<dyn Driver>> {
    ENTRIES.with(|e| e.borrow().get(&id).and_then(Entry::get))
}

/// The posted drain: delivers for every ready worker, within one time slice.
fn drain(_: Pin<&mut QWorkerHub>) {
    let hub = hub();
    let start = Instant::now();
    let mut again = Vec::new();
    loop {
        let ids = {
            let mut r = hub.ready.lock().unwrap_or_else(|p| p.into_inner());
            if r.ids.is_empty() {
                if again.is_empty() {
                    r.scheduled = false;
                    return;
                }
                drop(r);
                hub.requeue_and_repost(again);
                return;
            }
            std::mem::take(&mut r.ids)
        };
        let mut rest = ids.into_iter();
        while let Some(id) = rest.next() {
            let Some(driver) = lookup(id) else { continue };
            let left = SLICE
                .saturating_sub(start.elapsed())
                .max(Duration::from_micros(50));
            match driver.drain(left) {
                Drained::More => again.push(id),
                Drained::Finished => finished(id, &driver),
                Drained::Empty => {}
            }
            drop(driver);
            if start.elapsed() >= SLICE {
                // Out of time: the ones not reached go first next time.
                let mut first: Vec<u64> = rest.collect();
                first.append(&mut again);
                hub.requeue_and_repost(first);
                return;
            }
        }
    }
}

fn finished(id: u64, driver: &Rc<dyn Driver>) {
    let strong = ENTRIES.with(|e| matches!(e.borrow().get(&id), Some(Entry::Strong(_))));
    if strong {
        unregister(id);
    }
    driver.after_finished();
}
