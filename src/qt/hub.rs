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
//!    (GUI-thread only, id -> entry: a table indexed by the id for ids made on the GUI
//!    thread, a map for the others; see [`Entries`]).
//! 3. It stops after [`SLICE`] and re-posts itself with the ids it did not reach first, then
//!    the ids that became ready meanwhile, then the ones it drained that still had events:
//!    input and paint events interleave with a flood, no worker starves another, and an entry
//!    that stopped for its consumer (step 5) still comes after that consumer.
//! 4. **Linger.** A drain that finds no more ids, while a callback or a future it ran started
//!    a worker on the GUI thread, watches `ready` for up to [`LINGER`] (within its slice)
//!    before it ends. A short worker started from a callback or an `.await` (a chain: each
//!    result starts the next) then reports within the same drain, instead of the GUI thread
//!    going to sleep and a posted drain waking it (a wake-up of an idle thread costs tens of
//!    microseconds on a VM, more than such a worker). A drain lingers again only after
//!    another start: a worker that takes longer costs the GUI thread [`LINGER`] once, and a
//!    drain that started nothing never lingers.
//!
//! 5. **Behind.** An entry that stopped before its time was up, because what it delivers
//!    to waits for its consumer (a stream's port holding a chunk, `futures.rs`), is drained
//!    again in the same slice, after the ids that became ready meanwhile: the consumer, woken
//!    by that chunk, runs first, and the values it takes are still in the cache.
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
//! - An entry that stopped early (step 5) is in `behind` until the next ids are taken, or,
//!   when the slice runs out first, re-posted after the ids that became ready meanwhile: none
//!   is dropped, and its mailbox stays "scheduled" throughout, as for an entry that ran out of
//!   time.
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

/// An id with this bit is kept in [`Entries`]' map; one without it names a slot of its table
/// (see [`Entries`]).
const MAPPED: u64 = 1 << 63;

/// The GUI thread's entries. An id made on the GUI thread ([`next_id`], once the thread is
/// known) names a slot of `slots`: its index in the low 32 bits and the slot's generation
/// above, so registering, finding and forgetting it index a vector (a short worker does each
/// at least once; a hash map cost about 350 instructions per worker). Ids made elsewhere
/// (with [`MAPPED`]), and an id registered again after it was forgotten, go to `map`.
///
/// # Invariants
///
/// - A slot is named by one id at a time: `reserve` moves its generation on whenever it
///   reuses it, so a stale id (one still in the ready list, say) names nothing and finds
///   nothing in `map` either.
/// - An id is in the table or in `map`, never both: `insert` puts it in its slot only while
///   the slot is named by it and not free.
/// - A free slot is on `free` exactly once: only `remove` frees a slot, and only one that is
///   named and not free.
#[derive(Default)]
struct Entries {
    slots: Vec<Slot>,
    /// The free slots, the last freed on top.
    free: Vec<u32>,
    map: IdMap<Entry>,
}

struct Slot {
    /// The id that names the slot (the last one, while it is free).
    id: u64,
    state: SlotState,
}

enum SlotState {
    Free,
    /// Named by an id that has no entry yet.
    Reserved,
    Used(Entry),
}

/// The generation's bits of a slot id (31: `MAPPED` is the top bit).
const GENERATION: u64 = (MAPPED - 1) >> 32;

impl Entries {
    /// A fresh id naming a slot of its own (reserved until an entry is registered under it).
    fn reserve(&mut self) -> u64 {
        if let Some(i) = self.free.pop() {
            let slot = &mut self.slots[i as usize];
            let generation = (((slot.id >> 32) & GENERATION) % GENERATION) + 1;
            slot.id = (generation << 32) | u64::from(i);
            slot.state = SlotState::Reserved;
            return slot.id;
        }
        let Ok(i) = u32::try_from(self.slots.len()) else {
            return MAPPED | NEXT_ID.fetch_add(1, Ordering::Relaxed);
        };
        let id = (1 << 32) | u64::from(i);
        self.slots.push(Slot {
            id,
            state: SlotState::Reserved,
        });
        id
    }

    /// The index of the slot `id` names, if it is not free.
    fn index_of(&self, id: u64) -> Option<usize> {
        if id & MAPPED != 0 {
            return None;
        }
        let i = id as u32 as usize;
        let slot = self.slots.get(i)?;
        (slot.id == id && !matches!(slot.state, SlotState::Free)).then_some(i)
    }

    /// The slot `id` names, if it is not free.
    fn named(&mut self, id: u64) -> Option<&mut Slot> {
        let i = self.index_of(id)?;
        Some(&mut self.slots[i])
    }

    /// Registers `entry` under `id`; returns the entry it replaced.
    fn insert(&mut self, id: u64, entry: Entry) -> Option<Entry> {
        match self.named(id) {
            Some(slot) => match std::mem::replace(&mut slot.state, SlotState::Used(entry)) {
                SlotState::Used(old) => Some(old),
                SlotState::Free | SlotState::Reserved => None,
            },
            None => self.map.insert(id, entry),
        }
    }

    /// Forgets `id` (freeing its slot); returns its entry.
    fn remove(&mut self, id: u64) -> Option<Entry> {
        if let Some(slot) = self.named(id) {
            let old = std::mem::replace(&mut slot.state, SlotState::Free);
            self.free.push(id as u32);
            return match old {
                SlotState::Used(e) => Some(e),
                SlotState::Free | SlotState::Reserved => None,
            };
        }
        self.map.remove(&id)
    }

    fn get(&self, id: u64) -> Option<&Entry> {
        // A slot id not naming its slot (stale, or freed and registered again) may be in the map.
        match self.index_of(id).map(|i| &self.slots[i].state) {
            Some(SlotState::Used(e)) => Some(e),
            Some(SlotState::Free | SlotState::Reserved) => None,
            None => self.map.get(&id),
        }
    }
}

thread_local! {
    /// The entries of the GUI thread, by id.
    static ENTRIES: RefCell<Entries> = RefCell::new(Entries::default());
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

/// A fresh entry id: on the GUI thread (once it is known), one naming a slot of the entry
/// table, reserved until its entry is registered (see [`Entries`]); elsewhere one for the map.
pub(crate) fn next_id() -> u64 {
    next_id_on(glue::known_gui_thread())
}

/// [`next_id`] for a caller that has just asked whether this is the known GUI thread
/// (`glue::known_gui_thread`, or `app::gui_thread_with_quit_hook`), so the hot path of
/// building a worker asks once.
pub(crate) fn next_id_on(gui: bool) -> u64 {
    if gui {
        ENTRIES.with(|e| e.borrow_mut().reserve())
    } else {
        MAPPED | NEXT_ID.fetch_add(1, Ordering::Relaxed)
    }
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

/// The waker a worker's mailbox calls with its id, the entry's (creates the hub on first use,
/// usually on the GUI thread, not at a first wake on a pool thread).
pub(crate) fn waker() -> WakeBy {
    hub();
    WakeBy::Id(wake)
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
    fn requeue_and_repost(&self, first: Vec<u64>, after: Vec<u64>) -> Vec<u64> {
        let spare = self.ready.requeue(first, after);
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
    let gone = ENTRIES.with(|e| e.borrow_mut().remove(id));
    drop(gone); // outside the borrow: dropping an entry may run user code
}

/// The entry `id`, if it is registered and alive.
pub(crate) fn lookup(id: u64) -> Option<Rc<dyn Drain>> {
    lookup_owned(id).map(|(entry, _)| entry)
}

/// The entry `id`, if it is registered and alive, and whether it runs on its own (strong).
fn lookup_owned(id: u64) -> Option<(Rc<dyn Drain>, bool)> {
    ENTRIES.with(|e| match e.borrow().get(id)? {
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
    // Entries that stopped early for a consumer (step 5), drained again after what is ready.
    let mut behind = Vec::new();
    let mut since_clock = 0u32;
    loop {
        // `scheduled` stays set here; only the last call below, finding none, clears it.
        hub.ready.take_into(true, ids);
        ids.append(&mut behind);
        if ids.is_empty() {
            if !again.is_empty() {
                *ids = hub.requeue_and_repost(std::mem::take(ids), again);
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
                    late = Instant::now() >= until;
                    if late {
                        again.push(id);
                    } else {
                        behind.push(id);
                    }
                }
                Drained::Finished => {
                    // An entry that ran on its own is done; an owned one stays its owner's.
                    // A strong entry stays strong; a weak one may have been detached by one
                    // of its own callbacks during this drain, so only that one is looked up.
                    let strong = strong
                        || ENTRIES.with(|e| matches!(e.borrow().get(id), Some(Entry::Strong(_))));
                    if strong {
                        unregister(id);
                    }
                    entry.after_finished();
                }
                Drained::Empty => {}
            }
            drop(entry);
            since_clock += 1;
            // `late` is already read from the clock when it is set (`More` above).
            if !late && since_clock >= CLOCK_EVERY {
                since_clock = 0;
                late = Instant::now() >= until;
            }
            if late {
                // Out of time: the ones not reached go first next time, the ones that still
                // had events after what became ready meanwhile (a stream's consumer, woken by
                // the chunk its driver stopped for, among them: step 5).
                ids.drain(..next);
                behind.append(&mut again);
                let first = std::mem::take(ids);
                *ids = hub.requeue_and_repost(first, behind);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Drain, Entries, Entry, MAPPED};
    use crate::core::Drained;
    use std::any::Any;
    use std::rc::Rc;
    use std::time::Instant;

    /// An entry that only says who it is.
    struct Named(u32);

    impl Drain for Named {
        fn drain(&self, _: Instant) -> Drained {
            Drained::Empty
        }
        fn after_finished(&self) {}
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn entry(n: u32) -> Entry {
        Entry::Strong(Rc::new(Named(n)))
    }

    /// Which `Named` the entry of `id` is, if any.
    fn who(e: &Entries, id: u64) -> Option<u32> {
        match e.get(id)? {
            Entry::Strong(d) => d.as_any().downcast_ref::<Named>().map(|n| n.0),
            Entry::Weak(_) => None,
        }
    }

    #[test]
    fn a_reused_slot_is_named_by_a_new_id_and_the_old_one_finds_nothing() {
        let mut e = Entries::default();
        let a = e.reserve();
        assert_eq!(a & MAPPED, 0);
        assert!(e.get(a).is_none(), "reserved, no entry yet");
        assert!(e.insert(a, entry(1)).is_none());
        assert_eq!(who(&e, a), Some(1));
        assert_eq!(e.remove(a).map(|_| ()), Some(()));
        assert!(e.get(a).is_none());
        let b = e.reserve();
        assert_ne!(a, b, "the slot's generation moved on");
        assert_eq!(a as u32, b as u32, "the freed slot is reused");
        e.insert(b, entry(2));
        assert!(e.get(a).is_none(), "a stale id finds nothing");
        assert!(e.remove(a).is_none(), "a stale id frees nothing");
        assert_eq!(who(&e, b), Some(2));
        assert!(e.free.is_empty());
        assert!(e.map.is_empty());
    }

    #[test]
    fn an_id_forgotten_twice_frees_its_slot_once() {
        let mut e = Entries::default();
        let a = e.reserve();
        e.insert(a, entry(1));
        assert!(e.remove(a).is_some());
        assert!(e.remove(a).is_none());
        assert_eq!(e.free.len(), 1);
        let (b, c) = (e.reserve(), e.reserve());
        assert_ne!(b as u32, c as u32, "two live ids never share a slot");
    }

    #[test]
    fn an_id_registered_again_after_it_was_forgotten_is_kept_in_the_map() {
        let mut e = Entries::default();
        let a = e.reserve();
        e.insert(a, entry(1));
        e.remove(a);
        assert!(e.insert(a, entry(3)).is_none());
        assert_eq!(who(&e, a), Some(3), "found in the map");
        let b = e.reserve(); // reuses the slot with another id
        e.insert(b, entry(4));
        assert_eq!((who(&e, a), who(&e, b)), (Some(3), Some(4)));
        assert!(e.remove(a).is_some());
        assert_eq!((who(&e, a), who(&e, b)), (None, Some(4)));
    }

    #[test]
    fn ids_made_elsewhere_live_in_the_map_and_replacing_an_entry_returns_the_old_one() {
        let mut e = Entries::default();
        let x = MAPPED | 7;
        assert!(e.insert(x, entry(1)).is_none());
        assert!(e.insert(x, entry(2)).is_some());
        assert_eq!(who(&e, x), Some(2));
        let a = e.reserve();
        assert!(e.insert(a, entry(5)).is_none());
        assert!(
            e.insert(a, entry(6)).is_some(),
            "a weak entry made strong replaces it"
        );
        assert_eq!(who(&e, a), Some(6));
        assert!(e.remove(x).is_some() && e.remove(a).is_some());
        assert!(e.map.is_empty());
    }

    #[test]
    fn a_slot_generation_wraps_without_reaching_zero() {
        let mut e = Entries::default();
        let a = e.reserve();
        e.remove(a);
        e.slots[0].id = super::GENERATION << 32; // the last generation, slot 0
        let b = e.reserve();
        assert_eq!(b >> 32, 1);
        assert_ne!(b, 0);
    }
}
