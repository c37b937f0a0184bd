//! The ready list: the ids of entries with events waiting, and whether a drain of them is
//! posted. The hub (`qt/hub.rs`) keeps one; this is its Qt-free half, so loom can check it.
//!
//! # Protocol
//!
//! 1. A wake calls [`Ready::push`]: the id is queued, and the caller posts a drain only when
//!    `push` says so (no drain was posted or running).
//! 2. The drain calls [`Ready::take_into`] until it gets no ids: each call takes every id
//!    queued so far; the call that finds none clears `scheduled` (unless the drain keeps it to
//!    re-post), which ends the drain.
//! 3. A drain that stops early (its time slice) calls [`Ready::requeue`] with the ids it did
//!    not reach, to go first, and the ids it drained that still had events, to go after the
//!    ids pushed meanwhile; then it re-posts itself; `scheduled` stays set.
//!
//! # Invariants
//!
//! - `scheduled` is true exactly while a drain is posted or running. It is cleared only under
//!   the lock and only when no id is queued, so an id pushed after that posts a new drain: no
//!   wake is lost, and at most one drain is posted at a time.
//! - Ids come out in the order they were pushed; requeued ids not reached go before those
//!   pushed meanwhile, and requeued ids that had their turn go after them.
//! - `queued` is `!ids.is_empty()` whenever the lock is free: every change of the ids stores
//!   it under the lock. [`Ready::has_ids`] reads it without the lock, so it may be late; only
//!   the linger's look uses it, and what the drain does next is decided under the lock: a
//!   late "no" costs another look, or, at the linger's end, `take_into(false)` finds the id;
//!   a late "yes" makes the drain take an empty list and end as it would have.
//!
//! # Buffers
//!
//! The drain hands in an empty buffer each time it takes the ids ([`Ready::take_into`]) and
//! gets one back from [`Ready::requeue`], so the list and the drain swap two vectors that keep
//! their capacity: the first push after a drain does not allocate under the lock, and the drain
//! frees nothing.

use super::sync::{AtomicBool, Mutex, lock};
use std::sync::atomic::Ordering;

struct State {
    ids: Vec<u64>,
    scheduled: bool,
}

/// The ids waiting for a drain, and the drain's pending flag (see the module note).
pub(crate) struct Ready {
    state: Mutex<State>,
    /// Whether `ids` is non-empty, for a look without the lock ([`Ready::has_ids`]). Written
    /// only under the lock, at every change of `ids`; a reader without the lock may see it
    /// late, which the linger's look allows (the drain decides under the lock).
    queued: AtomicBool,
}

impl Ready {
    pub(crate) fn new() -> Self {
        Ready {
            state: Mutex::new(State {
                ids: Vec::new(),
                scheduled: false,
            }),
            queued: AtomicBool::new(false),
        }
    }

    /// Step 1: queues `id`; `true` when the caller must post a drain (none was posted).
    pub(crate) fn push(&self, id: u64) -> bool {
        let mut s = lock(&self.state);
        s.ids.push(id);
        self.queued.store(true, Ordering::Release);
        !std::mem::replace(&mut s.scheduled, true)
    }

    /// Step 2: takes every queued id into `ids`. When none is queued and `keep` is false,
    /// clears `scheduled` (the drain ends; the next push posts a new one). With `keep` the
    /// caller re-posts (step 3), so `scheduled` stays set. The list keeps `ids`'s buffer
    /// (cleared first) for the next pushes (see "# Buffers").
    pub(crate) fn take_into(&self, keep: bool, ids: &mut Vec<u64>) {
        ids.clear();
        let mut s = lock(&self.state);
        if s.ids.is_empty() && !keep {
            s.scheduled = false;
        }
        std::mem::swap(&mut s.ids, ids);
        self.queued.store(false, Ordering::Release);
    }

    /// Whether an id is queued (the drain's linger watches this; it takes nothing). One
    /// atomic load, no lock: a look every few pauses must not contend with the pushes.
    pub(crate) fn has_ids(&self) -> bool {
        self.queued.load(Ordering::Acquire)
    }

    /// Step 3: puts `first` ahead of the ids queued meanwhile and `after` behind them; the
    /// caller re-posts the drain (`scheduled` stays set). Returns the emptied buffer of those
    /// ids, for the next take.
    pub(crate) fn requeue(&self, first: Vec<u64>, mut after: Vec<u64>) -> Vec<u64> {
        let mut s = lock(&self.state);
        let mut later = std::mem::replace(&mut s.ids, first);
        s.ids.append(&mut later);
        s.ids.append(&mut after);
        self.queued.store(!s.ids.is_empty(), Ordering::Release);
        later
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::Ready;

    #[test]
    fn a_requeue_puts_the_ids_not_reached_first_and_those_that_had_their_turn_last() {
        let ready = Ready::new();
        assert!(ready.push(1), "the first push posts a drain");
        let mut ids = Vec::new();
        ready.take_into(true, &mut ids);
        assert_eq!(ids, [1]);
        assert!(
            !ready.push(2),
            "pushed meanwhile: the running drain takes it"
        );
        // The drain ran out of time before id 3 and after draining id 1, which had more.
        let spare = ready.requeue(vec![3], vec![1]);
        assert!(spare.is_empty());
        ready.take_into(true, &mut ids);
        assert_eq!(ids, [3, 2, 1]);
        assert!(!ready.has_ids());
    }
}
