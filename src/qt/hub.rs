//! The delivery hub: one posted drain on the GUI thread serves every worker with events.
//! The hub knows its entries only as [`Drain`]s (drain for a while, say when finished).
//!
//! # Protocol
//!
//! 1. A worker's mailbox calls its waker at most once per drain cycle (see `core::mailbox`).
//!    The waker ([`waker`], a [`HubWaker`]) pushes the worker's id onto `ready` and, if the
//!    hub has no drain posted (`scheduled` false), posts one to the hub's QObject on the GUI
//!    thread. A burst of ten thousand workers costs a handful of posted events, not one each.
//! 2. The drain (GUI thread) swaps `ready` out and drains each entry, looked up in `ENTRIES`
//!    (a GUI-thread-only map, id -> entry).
//! 3. It stops after [`SLICE`] and re-posts itself with the ids it did not reach first, then
//!    the ones that still had events: input and paint events interleave with a flood, and no
//!    worker starves another.
//! 4. **Linger.** A drain that finds no more ids, while a callback or a future it ran started
//!    a worker on the GUI thread, watches `ready` for up to [`LINGER`] (within its slice)
//!    before it ends. A short worker started from a callback or an `.await` (a chain: each
//!    result starts the next) then reports within the same drain, instead of the GUI thread
//!    going to sleep and a posted drain waking it (a wake-up of an idle thread costs tens of
//!    microseconds on a VM, more than such a worker). A drain lingers again only after
//!    another start: a worker that takes longer costs the GUI thread [`LINGER`] once, and a
//!    drain that started nothing never lingers.
//!
//! # Invariants
//!
//! - `scheduled` is true exactly while a hub drain is posted or running; it is cleared, under
//!   the `ready` lock, only when `ready` is empty, so an id pushed after that posts a new drain.
//!   The list and its flag are `core::ready::Ready` (Qt-free, model-checked by loom).
//! - An id is in `ready` (or being drained) at most once per mailbox wake: its mailbox stays
//!   "scheduled" until its drain reports `Empty`, and the hub re-queues it itself on `More`.
//!   An entry made off the GUI thread is registered by a posted closure; a drain that runs
//!   before it drops the id, so registration queues the id again.
//! - Lingering changes no order and loses no wake: `scheduled` stays set while the drain
//!   lingers (it is running), a push meanwhile posts nothing, and the drain then takes the ids
//!   as in step 2; when it ends, it clears `scheduled` under the lock as before.
//! - `ENTRIES` holds a weak reference while some owner (a Rust worker value or a `QWorker`)
//!   keeps the entry alive, and a strong one for entries that run on their own (detached
//!   workers, workers created off the GUI thread); strong entries go when `finished` was
//!   delivered.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cxx_qt::casting::Upcast;
use cxx_qt::{CxxQtThread, Threading};

use super::glue;
use crate::core::ready::Ready;
use crate::core::{Drained, WakeBy, Waker};

#[cxx_qt::bridge]
mod ffi {
    unsafe extern "RustQt" {
        /// The delivery hub's object: drains of all workers are posted to it (one at a time).
        #[qobject]
        type QWorkerHub = super::QWorkerHubRust;
    }

    impl cxx_qt::Threading for QWorkerHub {}

    #[namespace = "rust::cxxqtlib1"]
    unsafe extern "C++" {
        include!("cxx-qt-lib/common.h");
        #[rust_name = "new_hub"]
        fn make_unique() -> UniquePtr<QWorkerHub>;
    }
}

use ffi::QWorkerHub;

/// The Rust side of the hub's object (no state: the hub is the static below).
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct QWorkerHubRust;

/// How long one drain may deliver before it re-posts itself.
pub(crate) const SLICE: Duration = Duration::from_millis(4);

/// How long a drain that started a worker waits for its events before it ends (step 4).
pub(crate) const LINGER: Duration = Duration::from_micros(50);

/// The drain looks at the clock after this many entries (and after any entry that ran out
/// of time itself).
const CLOCK_EVERY: u32 = 8;

/// What the hub needs from an entry (a worker's driver).
pub(crate) trait Drain {
    /// Delivers events until `until` (at least a few, whatever the clock says).
    fn drain(&self, until: Instant) -> Drained;
    /// Called once `finished` was delivered.
    fn after_finished(&self);
    /// For callers that registered a concrete type and want it back.
    fn as_any(&self) -> &dyn Any;
}

/// The thread-safe half of the hub: where wakes go.
pub(crate) struct Hub {
    ready: Ready,
    thread: CxxQtThread<QWorkerHub>,
}

enum Entry {
    Weak(Weak<dyn Drain>),
    Strong(Rc<dyn Drain>),
}

/// Hashes the hub's ids with one multiplication, not SipHash: they come from our own counter,
/// not from outside, and SipHash was a few per cent of a short worker's time on the GUI
/// thread (an id is hashed four times: register, two lookups, unregister). The odd factor
/// keeps consecutive ids in distinct buckets and spreads them over the high bits too.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by hub id ([`IdHasher`]).
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

thread_local! {
    /// The entries of the GUI thread, by id.
    static ENTRIES: RefCell<IdMap<Entry>> = RefCell::new(IdMap::default());
    /// A worker was started by what the running drain ran, since it last lingered (step 4).
    static STARTED: Cell<bool> = const { Cell::new(false) };
    /// The drain's buffer of ids between drains (`core::ready`, `# Buffers`).
    static SPARE: Cell<Vec<u64>> = const { Cell::new(Vec::new()) };
}

/// A buffer of ids larger than this (in ids) is not kept between drains.
const SPARE_MAX: usize = 1 << 16;

/// Tells the running drain that a worker was started on this thread (by a callback or a
/// future it ran): it lingers before it ends (step 4). Outside a drain this does nothing that
/// matters: each drain forgets the starts made before it began.
pub(crate) fn started_a_worker() {
    STARTED.with(|s| s.set(true));
}

/// Step 4: waits, up to [`LINGER`] and never past `until`, for an id to be queued; `true` when
/// one was. Only after a worker was started since the last linger.
fn linger(hub: &Hub, until: Instant) -> bool {
    if !STARTED.with(|s| s.replace(false)) {
        return false;
    }
    let end = (Instant::now() + LINGER).min(until);
    loop {
        // A look every 4 pauses (one atomic load), the clock every 16 looks. What a pause
        // costs differs between CPUs and VMs: a look every 64 pauses made W9's await chain
        // wait for it on an EPYC VM (docs/BENCHMARKS.md, "Latest").
        for _ in 0..16 {
            for _ in 0..4 {
                std::hint::spin_loop();
            }
            if hub.ready.has_ids() {
                return true;
            }
        }
        if Instant::now() >= end {
            return false;
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh entry id.
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The hub, created on first use (its QObject lives on the GUI thread forever).
pub(crate) fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| {
        let mut obj = ffi::new_hub();
        if !glue::on_gui_thread() {
            let o: Pin<&mut cxx_qt::QObject> = obj.pin_mut().upcast_pin();
            glue::move_to_gui_thread(o);
        }
        let thread = obj.qt_thread();
        // The hub serves every worker until the process ends.
        let _ = obj.into_raw();
        Hub {
            ready: Ready::new(),
            thread,
        }
    })
}

/// The waker of entry `id`: step 1 of the protocol.
pub(crate) struct HubWaker {
    hub: &'static Hub,
    id: u64,
}

/// The waker a worker's mailbox calls for entry `id` (creates the hub on first use, usually
/// on the GUI thread, not at a first wake on a pool thread).
pub(crate) fn waker(id: u64) -> WakeBy {
    hub();
    WakeBy::Id(wake, id)
}

/// The waker's call: wakes entry `id` (no allocation per worker: see `WakeBy`).
fn wake(id: u64) {
    HubWaker { hub: hub(), id }.wake();
}

impl Waker for HubWaker {
    /// Queues the id and posts a drain unless one is posted.
    fn wake(&self) {
        if self.hub.ready.push(self.id) {
            let _ = self.hub.thread.queue(drain);
        }
    }
}

impl Hub {
    /// Runs `f` on the GUI thread, after everything posted to the hub before it.
    pub(crate) fn run_on_gui(&self, f: impl FnOnce() + Send + 'static) {
        let _ = self.thread.queue(move |_| f());
    }

    /// Returns the emptied buffer the ready list gave back.
    fn requeue_and_repost(&self, first: Vec<u64>) -> Vec<u64> {
        let spare = self.ready.requeue(first);
        let _ = self.thread.queue(drain);
        spare
    }
}

/// Registers an entry of the GUI thread: weakly (an owner keeps it alive) or strongly (it
/// runs on its own until `finished`).
pub(crate) fn register(id: u64, entry: &Rc<dyn Drain>, strong: bool) {
    let entry = if strong {
        Entry::Strong(entry.clone())
    } else {
        Entry::Weak(Rc::downgrade(entry))
    };
    let old = ENTRIES.with(|e| e.borrow_mut().insert(id, entry));
    drop(old); // outside the borrow: dropping an entry may run user code
}

/// Registers an entry made on another thread (it runs on its own). Its worker may already
/// have woken the hub, and a drain that ran before this registration could not find it and
/// dropped the id; so the id is queued again (a drain with nothing to deliver is harmless).
pub(crate) fn register_from_elsewhere(id: u64, entry: Rc<dyn Drain>) {
    register(id, &entry, true);
    wake(id);
}

/// Forgets entry `id` (its owner let go).
pub(crate) fn unregister(id: u64) {
    let gone = ENTRIES.with(|e| e.borrow_mut().remove(&id));
    drop(gone); // outside the borrow: dropping an entry may run user code
}

/// The entry `id`, if it is registered and alive.
pub(crate) fn lookup(id: u64) -> Option<Rc<dyn Drain>> {
    lookup_owned(id).map(|(entry, _)| entry)
}

/// The entry `id`, if it is registered and alive, and whether it runs on its own (strong).
fn lookup_owned(id: u64) -> Option<(Rc<dyn Drain>, bool)> {
    ENTRIES.with(|e| match e.borrow().get(&id)? {
        Entry::Weak(w) => Some((w.upgrade()?, false)),
        Entry::Strong(s) => Some((s.clone(), true)),
    })
}

/// The posted drain (steps 2 and 3): delivers for every ready entry, within one time slice.
fn drain(_: Pin<&mut QWorkerHub>) {
    // The buffer the ready list and the drain swap (`core::ready`, `# Buffers`). A drain
    // nested in a callback (one that runs the event loop) finds none and makes its own.
    let mut ids = SPARE.take();
    drain_slice(hub(), &mut ids);
    ids.clear();
    if ids.capacity() <= SPARE_MAX {
        SPARE.set(ids);
    }
}

fn drain_slice(hub: &Hub, ids: &mut Vec<u64>) {
    // One clock read per slice, and one per few entries: an entry reads the clock itself
    // only every few dozen events, so a thousand drains of one progress event each do not
    // cost a thousand clock reads.
    let until = Instant::now() + SLICE;
    // Only starts made by what this drain runs count for its linger (step 4).
    STARTED.with(|s| s.set(false));
    let mut again = Vec::new();
    let mut since_clock = 0u32;
    loop {
        // `scheduled` stays set here; only the last call below, finding none, clears it.
        hub.ready.take_into(true, ids);
        if ids.is_empty() {
            if !again.is_empty() {
                *ids = hub.requeue_and_repost(again);
                return;
            }
            if linger(hub, until) {
                continue;
            }
            // Nothing came: the drain ends, unless an id came after the linger looked.
            hub.ready.take_into(false, ids);
            if ids.is_empty() {
                return;
            }
        }
        let mut next = 0;
        while next < ids.len() {
            let id = ids[next];
            next += 1;
            let Some((entry, strong)) = lookup_owned(id) else {
                continue;
            };
            let mut late = false;
            match entry.drain(until) {
                Drained::More => {
                    again.push(id);
                    late = true;
                }
                Drained::Finished => {
                    // An entry that ran on its own is done; an owned one stays its owner's.
                    // A strong entry stays strong; a weak one may have been detached by one
                    // of its own callbacks during this drain, so only that one is looked up.
                    let strong = strong
                        || ENTRIES.with(|e| matches!(e.borrow().get(&id), Some(Entry::Strong(_))));
                    if strong {
                        unregister(id);
                    }
                    entry.after_finished();
                }
                Drained::Empty => {}
            }
            drop(entry);
            since_clock += 1;
            if late || since_clock >= CLOCK_EVERY {
                since_clock = 0;
                late = Instant::now() >= until;
            }
            if late {
                // Out of time: the ones not reached go first next time.
                ids.drain(..next);
                ids.append(&mut again);
                let first = std::mem::take(ids);
                *ids = hub.requeue_and_repost(first);
                return;
            }
        }
    }
}
