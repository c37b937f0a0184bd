//! The mailbox: events travel from the worker thread to the receiver in order, with one
//! wake-up per batch, under the delivery policy the user chose.
//!
//! # Layout
//!
//! Producer (worker thread) and receiver (GUI thread) share `Inner` under one mutex. The
//! receiver owns a second, private queue (its [`Batch`]) and swaps the shared queue into it
//! when its own is empty, so it takes the lock once per batch, not once per event. Both
//! queues are boxed the first time they are needed (`Ledger`, `Local`; `# Fixed places`).
//!
//! # Fixed places
//!
//! `Started` is always a worker's first event, and its outcome followed by `Finished` always
//! its last, so neither needs the queue: `Inner` notes `started` (a flag, set only while
//! nothing is queued) and keeps the outcome (`end`); the batch takes both with the queue and
//! delivers `started` before the queued events and the outcome and `Finished` after them.
//! Nothing is pushed after the outcome, so everything queued when the batch takes it came
//! before it. A function worker that reports nothing else queues nothing: the queue, with
//! its counts, positions and discards (`Ledger`: `others`, `base`, `last_yield`, the
//! graveyard), is boxed the first time an event is queued, so such a worker carries one null
//! pointer for all of it. They are about the queue alone, and a quit's discard never touches
//! the fixed places (they hold no values).
//!
//! # Wake-up protocol
//!
//! `scheduled` says "a drain is requested or running". A producer that pushes while
//! `scheduled == false` sets it and calls the waker once (outside the lock). The receiver
//! clears it, under the lock, only when it found the shared queue empty after delivering
//! everything it had (`take_all`). So:
//! - exactly one drain request is outstanding whenever undelivered events exist;
//! - no event can be pushed without either a pending drain or a wake;
//! - a drain that stops for its time budget leaves `scheduled` set, and its caller re-posts it.
//!
//! Progress is the one exception, and it only postpones a wake (`pace.rs`): a progress report
//! that finds the mailbox idle within [`PROGRESS_INTERVAL`] of its last progress wake sets
//! `deferred` instead of `scheduled` and leaves the wake to the pacer's next tick
//! (`paced_wake`). Any other push clears `deferred` and wakes at once; a receiver that takes
//! the queue clears it too. So `deferred` implies `!scheduled`, and undelivered events have a
//! drain outstanding or a paced wake on its way, never neither.
//!
//! # Streams
//!
//! A receiver that keeps up with a fast producer takes the queue in small batches, and each
//! batch costs both threads far more than its events (W1: 0.7 µs per batch of 9–230 values,
//! against 15–20 batches per million values when the receiver lags; `docs/BENCHMARKS.md`,
//! "W1 has two speeds"). So a drain that has just taken a batch that came fast and has
//! delivered it waits [`STREAM_WAIT`] (within its time budget) before it takes the queue again,
//! and lets the next batch grow. A batch came fast when it holds at least [`STREAM_BATCH`]
//! queued events and they were queued at one per µs or more since the drain's previous take of
//! such a batch ([`fast_stream`]): so the first batch of a drain, which may have waited long
//! for a busy GUI thread, never counts, and a thousand workers each drained once never wait.
//! The wait is blind: it looks at nothing shared (a wait that looked, under the lock, every
//! few hundred ns slowed the producer more than it saved). It takes nothing and changes
//! nothing, and `scheduled` stays set while it waits, so the wake-up protocol above holds
//! unchanged. A slower stream (a value every few µs or more), one-off events, a quitting
//! worker and a batch that hands its values on to an async consumer (`hold`) never wait, so the
//! GUI thread does not spin for them. Under `Bounded` the drain reports what it delivered
//! before it waits, so its producer is not held back by the wait.
//!
//! # Policies
//!
//! Policies act on yielded values only; every other event is kept, in order:
//! - `All`: nothing is dropped.
//! - `Bounded(n)`: `push_yield` waits while `n` yielded values are undelivered (counted until
//!   the receiver has delivered them). The receiver reports deliveries in batches of `n/4` and
//!   wakes a waiting producer only once the backlog is down to `n/2`, so a producer and a
//!   receiver at full speed do not pay a wake-up per value. Quit and `close` end the wait.
//!   A receiver that hands values on to a consumer which takes them later (an async stream)
//!   sets its batch to *hold*: the drain then reports only discarded values, and the
//!   consumer reports each value it takes (`release_held`), so a value waiting in the
//!   consumer's buffer still counts as undelivered and a consumer that does not take blocks
//!   the producer after `n` values.
//! - `Latest`: a yielded value still in the shared queue is dropped when a newer one arrives,
//!   so at most one undelivered value waits here (plus one the receiver already took).
//!
//! The receiver learns the policy's batch size with each batch it takes (under the lock it
//! takes anyway), so a drain takes no extra lock to read it.
//!
//! # Quit
//!
//! Quit discards the yielded values not delivered yet, in the shared queue and in the
//! receiver's batch, and the receiver checks the quit flag before delivering each value: once
//! `quit()` has returned, no further value is delivered, also when it was called by a receiver
//! in the middle of a batch. The quitting thread discards the shared queue's values only if it
//! gets the lock at once, except under Bounded, where it must take the lock to wake a producer
//! waiting for space. A busy lock is usually a producer pushing a flood, and `std`'s mutex is
//! not fair: waiting for it could take milliseconds (measured: up to 17 ms in W5 (a)). The
//! values left behind are discarded by the receiver as it takes them (it has seen the flag) or
//! by the worker as it ends (`take_graveyard`), whichever comes first. What was delivered is an in-order prefix, each value once. Other
//! events are all kept. `others` (the number of non-value entries, never less) lets a queue
//! or batch be split at its first non-value (`split_values`): the values in front of it are
//! discarded whole, in O(1); large discards go to the
//! `graveyard`, which the worker thread frees as its body ends, so the GUI thread does not pay
//! for freeing a flood. A discard is large by its values (more than [`SMALL_DISCARD`]) or by
//! its buffer (more than [`SMALL_DISCARD_BYTES`]: a queue that once held a flood keeps its
//! capacity, and freeing that block can unmap it, with a few values in it or none). Once the
//! worker has collected it (`graveyard_closed`, under the lock), later discards are freed
//! inline, but a flood, or a large buffer while the reaper runs, goes to the reaper.
//!
//! # Progress
//!
//! Progress is always coalesced: an undelivered progress event is replaced by a newer one,
//! which takes the newer position so no progress ever runs ahead of the yields before it.
//! Replaced entries near the back are removed; elsewhere they become holes (`None`), at most one
//! per other event in between, so memory stays bounded by the events that are really kept.
//! A body reporting faster than [`PROGRESS_INTERVAL`] wakes its receiver for progress at most
//! about once per interval (see the wake-up protocol above).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::event::{Aborted, Event, Progress, WorkerError};
use super::pace::PROGRESS_INTERVAL;
use super::sync::{AtomicBool, Condvar, Mutex, MutexGuard, lock, try_lock, wait};

/// How a worker's yielded values are delivered.
///
/// ```
/// use qworker::Policy;
/// assert_eq!(Policy::default(), Policy::All);
/// assert!(Policy::parse("bounded:8") == Ok(Policy::Bounded(8)));
/// assert!(Policy::parse("latest") == Ok(Policy::Latest));
/// assert!(Policy::parse("bounded:0").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Every value, in order, nothing dropped (superqt's semantics).
    #[default]
    All,
    /// Every value, in order, but `yield_` blocks while this many values are undelivered.
    Bounded(usize),
    /// Only the newest undelivered value is kept: memory stays flat, the newest is shown.
    Latest,
}

impl Policy {
    /// Parses `"all"`, `"latest"` or `"bounded:N"` (N ≥ 1), as QML and C++ pass it.
    pub fn parse(s: &str) -> Result<Policy, String> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "all" => Ok(Policy::All),
            "latest" => Ok(Policy::Latest),
            _ => match t
                .strip_prefix("bounded:")
                .map(|n| n.trim().parse::<usize>())
            {
                Some(Ok(n)) if n >= 1 => Ok(Policy::Bounded(n)),
                _ => Err(format!(
                    "unknown delivery policy {s:?}: expected \"all\", \"latest\" or \"bounded:N\" with N >= 1"
                )),
            },
        }
    }
}

/// Called by a mailbox when it goes from "nothing to deliver" to "something to deliver".
/// Implementations post one drain request to the receiving thread (the Qt layer uses the
/// GUI thread's event loop). Must not call back into the mailbox. It is called from the
/// worker's thread, or, for progress postponed by pacing ([`PROGRESS_INTERVAL`]), from
/// qworker's pacer thread.
///
/// [`PROGRESS_INTERVAL`]: crate::PROGRESS_INTERVAL
pub trait Waker: Send + Sync + 'static {
    /// Request one drain on the receiving thread.
    fn wake(&self);
}

impl<F: Fn() + Send + Sync + 'static> Waker for F {
    fn wake(&self) {
        self()
    }
}

/// How a mailbox calls its receiver's waker: a boxed [`Waker`], or a plain function of the
/// task's id (the mailbox's `id`), which costs no allocation per worker (the Qt layer's hub
/// waker). Two words: the id is not kept here a second time.
pub(crate) enum WakeBy {
    Boxed(Box<dyn Waker>),
    Id(fn(u64)),
}

impl WakeBy {
    /// Wakes the receiver of the task `id` (an `Id` waker's argument; a boxed one ignores it).
    pub(crate) fn wake(&self, id: u64) {
        match self {
            WakeBy::Boxed(w) => w.wake(),
            WakeBy::Id(f) => f(id),
        }
    }
}

pub(crate) type Slot<Y, R, E> = Option<Event<Y, R, E>>;

/// A worker's last events while they are kept out of the queue (see `# Fixed places`): the
/// outcome, then `Finished`. An error is boxed, so the place is as large as the returned value
/// (and a tag), not as the largest `Event`: a short worker's mailbox and its receiver's batch
/// hold one each, and an `Event<_, u64, BoxError>` is 32 bytes where this is 16.
enum End<R, E> {
    None,
    Returned(R),
    Aborted,
    Errored(Box<WorkerError<E>>),
    /// The outcome was delivered: `Finished` is next.
    Finished,
}

impl<R, E> End<R, E> {
    fn is_none(&self) -> bool {
        matches!(self, End::None)
    }

    /// The place of `outcome` (`Returned`, `Aborted` or `Errored`).
    fn of<Y>(outcome: Event<Y, R, E>) -> Self {
        match outcome {
            Event::Returned(r) => End::Returned(r),
            Event::Aborted => End::Aborted,
            Event::Errored(e) => End::Errored(Box::new(e)),
            other => unreachable!("{} is not an outcome", other.kind()),
        }
    }

    /// The outcome this place held, as its event (`None` for `None` and `Finished`).
    fn into_outcome<Y>(self) -> Option<Event<Y, R, E>> {
        match self {
            End::Returned(r) => Some(Event::Returned(r)),
            End::Aborted => Some(Event::Aborted),
            End::Errored(e) => Some(Event::Errored(*e)),
            End::None | End::Finished => None,
        }
    }
}

struct Inner<Y, R, E> {
    /// The policy's kind and its bound (`Bounded` only), kept apart so the kind shares a
    /// word with the flags below (a `Policy` is two words); [`Inner::policy`] puts them
    /// together.
    kind: PolicyKind,
    bound: usize,
    /// `Started` was pushed while nothing was queued, and not taken yet (`# Fixed places`).
    started: bool,
    /// A producer waits for `undelivered` to go down (Bounded only).
    producer_waiting: bool,
    /// The worker collected the graveyard for the last time: later discards are freed inline.
    graveyard_closed: bool,
    scheduled: bool,
    /// A progress wake waits for the pacer's tick (see `# Wake-up protocol`).
    deferred: bool,
    closed: bool,
    /// The outcome, once pushed (`# Fixed places`).
    end: End<R, E>,
    /// The queue, with its positions, counts and discards ([`Ledger`]): boxed the first
    /// time anything is queued, so `None` means nothing ever was.
    ledger: Option<Box<Ledger<Y, R, E>>>,
    /// What only progress uses, boxed on first use ([`Aside`]).
    aside: Option<Box<Aside>>,
}

/// A mailbox's queue and what it keeps about it: positions, counts and discards. Boxed the
/// first time an event is queued (`Inner::ledger`): a worker whose events all go to their
/// fixed places (`# Fixed places`: a function worker that reports nothing else) never queues
/// one, so its shared state is 104 bytes smaller (W3 keeps 10,000 alive at once). Missing,
/// it reads as an empty queue with all counts zero: nothing was ever queued.
struct Ledger<Y, R, E> {
    queue: VecDeque<Slot<Y, R, E>>,
    /// Absolute position of `queue[0]`.
    base: u64,
    /// Absolute position of the newest yielded value still in `queue` (Latest only).
    last_yield: Option<u64>,
    /// Absolute position of the undelivered progress event still in `queue`.
    last_progress: Option<u64>,
    /// Yielded values pushed and not yet delivered (Bounded only).
    undelivered: usize,
    /// The number of entries in `queue` that are not yielded values (never less; a
    /// replaced progress that became a hole is not counted). A quit splits the queue at its
    /// first non-value, found from the back with this count (`split_values`).
    others: usize,
    /// Values discarded at quit, freed by the worker thread as it ends (`take_graveyard`),
    /// so a quit after a flood does not make the GUI thread free a million values.
    graveyard: Vec<VecDeque<Slot<Y, R, E>>>,
}

impl<Y, R, E> Default for Ledger<Y, R, E> {
    fn default() -> Self {
        Ledger {
            queue: VecDeque::new(),
            base: 0,
            last_yield: None,
            last_progress: None,
            undelivered: 0,
            others: 0,
            graveyard: Vec::new(),
        }
    }
}

impl<Y, R, E> Ledger<Y, R, E> {
    /// The absolute position one past the newest entry.
    fn end(&self) -> u64 {
        self.base + self.queue.len() as u64
    }

    /// The index in `queue` of a tracked absolute position, if it is still there.
    fn index(&self, pos: Option<u64>) -> Option<usize> {
        pos.filter(|&p| p >= self.base && p < self.end())
            .map(|p| (p - self.base) as usize)
    }

    /// Removes (near the back) or punches a hole at `idx`, keeping tracked positions right.
    fn drop_at(&mut self, idx: usize) {
        if idx + 2 >= self.queue.len() {
            self.queue.remove(idx);
            let abs = self.base + idx as u64;
            for p in [&mut self.last_yield, &mut self.last_progress]
                .into_iter()
                .flatten()
            {
                if *p > abs {
                    *p -= 1;
                }
            }
        } else {
            self.queue[idx] = None;
        }
    }
}

/// The fields of a mailbox that only a worker that reports progress uses: boxed the first
/// time one is set, so the shared state of a worker that does not is 32 bytes smaller (W3
/// keeps 10,000 alive at once). (The graveyard is in the [`Ledger`], boxed with the first
/// queued event: a graveyard boxed at the quit itself made W5 (a)'s quit → `aborted` about
/// 2 µs slower, 25 runs alternating, 7.9 → 9.9 µs.)
struct Aside {
    /// The newest status line (`Context::progress_text`). Not an event: the receiver reads
    /// it when it delivers a progress event, so lines are coalesced with progress.
    status: Option<String>,
    /// When this mailbox last woke its receiver for progress.
    progress_woke: Option<Instant>,
}

/// A [`Policy`] without its bound (see `Inner::kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyKind {
    All,
    Bounded,
    Latest,
}

impl PolicyKind {
    /// `policy` as `Inner` keeps it: its kind and its bound (0 unless `Bounded`).
    fn split(policy: Policy) -> (PolicyKind, usize) {
        match policy {
            Policy::All => (PolicyKind::All, 0),
            Policy::Bounded(n) => (PolicyKind::Bounded, n),
            Policy::Latest => (PolicyKind::Latest, 0),
        }
    }
}

impl<Y, R, E> Inner<Y, R, E> {
    fn policy(&self) -> Policy {
        match self.kind {
            PolicyKind::All => Policy::All,
            PolicyKind::Bounded => Policy::Bounded(self.bound),
            PolicyKind::Latest => Policy::Latest,
        }
    }

    fn set_policy(&mut self, policy: Policy) {
        (self.kind, self.bound) = PolicyKind::split(policy);
    }

    /// The queue's ledger, boxed now if it was not (see [`Ledger`]).
    fn ledger(&mut self) -> &mut Ledger<Y, R, E> {
        self.ledger.get_or_insert_with(Box::default)
    }

    /// How many entries are queued.
    fn queued(&self) -> usize {
        self.ledger.as_ref().map_or(0, |l| l.queue.len())
    }

    #[cfg(test)]
    fn queue_capacity(&self) -> usize {
        self.ledger.as_ref().map_or(0, |l| l.queue.capacity())
    }

    fn undelivered(&self) -> usize {
        self.ledger.as_ref().map_or(0, |l| l.undelivered)
    }

    /// The rarely used fields, boxed now if they were not.
    fn aside(&mut self) -> &mut Aside {
        self.aside.get_or_insert_with(|| {
            Box::new(Aside {
                status: None,
                progress_woke: None,
            })
        })
    }

    /// Puts a large discard in the open graveyard (the worker frees it as it ends); hands
    /// back what is left to `bury` (small, or the graveyard is closed).
    fn graveyard_or_back(&mut self, events: VecDeque<Slot<Y, R, E>>) -> VecDeque<Slot<Y, R, E>> {
        if heavy(&events) && !self.graveyard_closed {
            self.ledger().graveyard.push(events);
            VecDeque::new()
        } else {
            events
        }
    }

    /// A quit's discard: takes the yielded values out of the queue (see `split_values`).
    fn split_quit(&mut self) -> VecDeque<Slot<Y, R, E>> {
        let Some(l) = self.ledger.as_mut() else {
            return VecDeque::new();
        };
        let (values, n) = split_values(&mut l.queue, l.others);
        if n > 0 || !values.is_empty() {
            // Positions moved: forget them (the next progress is simply not coalesced).
            l.last_yield = None;
            l.last_progress = None;
            l.undelivered = l.undelivered.saturating_sub(n);
        }
        values
    }

    /// Pushes at the back (`Started` into its fixed place while nothing is queued); returns
    /// whether the caller must wake the receiver.
    fn push(&mut self, ev: Event<Y, R, E>) -> bool {
        debug_assert!(self.end.is_none(), "an event after the outcome");
        if matches!(ev, Event::Started) && self.queued() == 0 && !self.started {
            self.started = true;
        } else {
            let l = self.ledger();
            if !matches!(ev, Event::Yielded(_)) {
                l.others += 1;
            }
            l.queue.push_back(Some(ev));
        }
        self.deferred = false;
        !std::mem::replace(&mut self.scheduled, true)
    }

    /// Puts the outcome (and so `Finished`) in its fixed place; returns whether the caller
    /// must wake the receiver.
    fn push_end(&mut self, outcome: Event<Y, R, E>) -> bool {
        debug_assert!(self.end.is_none(), "a second outcome");
        self.end = End::of(outcome);
        self.deferred = false;
        !std::mem::replace(&mut self.scheduled, true)
    }

    /// Pushes progress (coalesced). Returns whether the caller must wake the receiver now;
    /// when the wake is postponed instead, `deferred` is newly set (see `Wake`).
    fn push_progress(&mut self, p: Progress) -> Wake {
        let l = self.ledger();
        if let Some(idx) = l.index(l.last_progress) {
            if idx + 1 == l.queue.len() {
                l.queue[idx] = Some(Event::Progress(p));
                // Still undelivered, so a drain is scheduled or a paced wake is on its way.
                return Wake::No;
            }
            // The stale progress becomes a hole: one non-value fewer.
            l.queue[idx] = None;
            l.others = l.others.saturating_sub(1);
        }
        l.last_progress = Some(l.end());
        l.others += 1;
        l.queue.push_back(Some(Event::Progress(p)));
        if self.scheduled || self.deferred {
            return Wake::No;
        }
        let now = Instant::now();
        let woke = self.aside.as_ref().and_then(|a| a.progress_woke);
        if woke.is_some_and(|t| now < t + pace()) {
            self.deferred = true;
            return Wake::Deferred;
        }
        self.aside().progress_woke = Some(now);
        self.scheduled = true;
        Wake::Now
    }
}

/// What a progress push asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Wake {
    /// Nothing: a drain or a paced wake is already on its way.
    No,
    /// Wake the receiver now (`scheduled` is set for it).
    Now,
    /// The wake is postponed: hand the worker to the pacer (`pace::defer`), which calls
    /// `Mailbox::paced_wake` at its next tick.
    Deferred,
}

/// The progress pace: [`PROGRESS_INTERVAL`], or an hour in the loom models, where it must not
/// depend on how fast a model runs (every progress wake after the first is deferred there).
fn pace() -> Duration {
    if cfg!(feature = "loom") {
        Duration::from_secs(3600)
    } else {
        PROGRESS_INTERVAL
    }
}

/// The shared half of a worker's event channel.
pub(crate) struct Mailbox<Y, R, E> {
    inner: Mutex<Inner<Y, R, E>>,
    space: Condvar,
    /// The policy is Bounded: a producer may wait in `push_yield` (read by `quit` without
    /// the lock; written only before the worker starts).
    bounded: AtomicBool,
    waker: WakeBy,
    /// The task's id where its host knows it (the Qt layer's hub id; 0 for none): what an
    /// `Id` waker is called with, and what `Handle::host` reports.
    id: u64,
    /// Frees a large discard on the reaper thread (see `bury`; `reap.rs`).
    reap: fn(VecDeque<Slot<Y, R, E>>),
}

impl<Y, R, E> Mailbox<Y, R, E> {
    pub(crate) fn new(policy: Policy, waker: WakeBy, id: u64) -> Self
    where
        Y: Send + 'static,
        R: Send + 'static,
        E: Send + 'static,
    {
        let (kind, bound) = PolicyKind::split(policy);
        Mailbox {
            inner: Mutex::new(Inner {
                kind,
                bound,
                started: false,
                end: End::None,
                // No queue until something besides `started` and the outcome is queued.
                ledger: None,
                producer_waiting: false,
                graveyard_closed: false,
                scheduled: false,
                deferred: false,
                closed: false,
                aside: None,
            }),
            space: Condvar::new(),
            bounded: AtomicBool::new(matches!(policy, Policy::Bounded(_))),
            waker,
            id,
            reap: super::reap::reap::<VecDeque<Slot<Y, R, E>>>,
        }
    }

    /// The task's id where its host knows it (see the field).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Changes the policy; only before the worker starts (the caller guarantees it).
    pub(crate) fn set_policy(&self, policy: Policy) {
        self.lock().set_policy(policy);
        let bounded = matches!(policy, Policy::Bounded(_));
        self.bounded.store(bounded, Ordering::Relaxed);
    }

    /// The delivery policy.
    pub(crate) fn policy(&self) -> Policy {
        self.lock().policy()
    }

    /// The newest status line, if the body reported one.
    pub(crate) fn status(&self) -> Option<String> {
        self.lock().aside.as_ref().and_then(|a| a.status.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Inner<Y, R, E>> {
        lock(&self.inner)
    }

    fn wake_if(&self, wake: bool) {
        if wake {
            self.waker.wake(self.id);
        }
    }

    /// Pushes any event but `Yielded`/`Progress` (which have their own methods).
    pub(crate) fn push(&self, ev: Event<Y, R, E>) {
        let mut g = self.lock();
        if g.closed {
            return;
        }
        let wake = g.push(ev);
        drop(g);
        self.wake_if(wake);
    }

    /// Pushes the worker's outcome and `Finished` under one lock: its last events.
    pub(crate) fn push_end(&self, outcome: Event<Y, R, E>) {
        let mut g = self.lock();
        if g.closed {
            return;
        }
        let wake = g.push_end(outcome);
        drop(g);
        self.wake_if(wake);
    }

    /// Pushes (coalesced) progress; a `status` replaces the status line (see `status`).
    /// `true`: the wake is postponed, and the caller must hand this worker to the pacer
    /// (`pace::defer`), which then calls [`paced_wake`](Self::paced_wake).
    #[must_use]
    pub(crate) fn push_progress(&self, p: Progress, status: Option<String>) -> bool {
        let mut g = self.lock();
        if g.closed {
            return false;
        }
        if let Some(s) = status {
            g.aside().status = Some(s);
        }
        let wake = g.push_progress(p);
        drop(g);
        self.wake_if(wake == Wake::Now);
        wake == Wake::Deferred
    }

    /// The pacer's tick: wakes the receiver if progress still waits for it (nothing else
    /// woke the receiver since the push that deferred).
    pub(crate) fn paced_wake(&self) {
        let mut g = self.lock();
        if !g.deferred || g.closed {
            return;
        }
        g.deferred = false;
        g.scheduled = true;
        g.aside().progress_woke = Some(Instant::now());
        drop(g);
        self.waker.wake(self.id);
    }

    /// Pushes a yielded value (and the progress tick that goes with it, if any).
    /// With `Bounded(n)`, waits while `n` values are undelivered; `quit` ends the wait with
    /// `Err(Aborted)` (the value is dropped). After `close` the value is dropped silently:
    /// the receiver is gone and the worker has been asked to quit.
    pub(crate) fn push_yield(
        &self,
        value: Y,
        tick: Option<Progress>,
        quit: &AtomicBool,
    ) -> Result<(), Aborted> {
        let mut g = self.lock();
        if let Policy::Bounded(n) = g.policy() {
            while g.undelivered() >= n && !g.closed {
                if quit.load(Ordering::Acquire) {
                    return Err(Aborted);
                }
                g.producer_waiting = true;
                g = wait(&self.space, g);
            }
            g.ledger().undelivered += 1;
        }
        if g.closed {
            return Ok(());
        }
        // A value never waits for the pacer: it clears a deferral and wakes unless a drain
        // is already scheduled.
        g.deferred = false;
        let wake = !std::mem::replace(&mut g.scheduled, true);
        let latest = g.kind == PolicyKind::Latest;
        let l = g.ledger();
        if latest && let Some(idx) = l.index(l.last_yield) {
            l.drop_at(idx);
        }
        // Either branch below adds at most two entries (a value and its progress tick).
        grow_for_a_flood(&mut l.queue, 2);
        let tick = match (tick, l.index(l.last_progress)) {
            // [.., P_old] -> [.., Y, P_new]: the yield takes the stale progress's slot.
            (Some(p), Some(idx)) if idx + 1 == l.queue.len() => {
                l.queue[idx] = Some(Event::Yielded(value));
                l.last_yield = Some(l.base + idx as u64);
                l.last_progress = Some(l.end());
                // The stale progress's slot became a value: the count of non-values stays.
                l.queue.push_back(Some(Event::Progress(p)));
                None
            }
            (tick, _) => {
                // `Inner::push` for a value, written out: this is the hot path.
                l.last_yield = Some(l.end());
                l.queue.push_back(Some(Event::Yielded(value)));
                tick
            }
        };
        // A backlog that a quit would hand to the reaper: start the reaper now, on this
        // thread, not later on the receiving thread (starting a thread costs the GUI thread
        // more than the rest of a quit).
        let flood = l.queue.len() > REAP_ELSEWHERE;
        if let Some(p) = tick {
            // `scheduled` is set: the value's wake covers its tick.
            let _ = g.push_progress(p);
        }
        drop(g);
        if flood {
            super::reap::prepare();
        }
        if wake {
            self.waker.wake(self.id);
        }
        Ok(())
    }

    /// Frees discarded events away from the receiving thread when there are many, or when
    /// their buffer is large ([`heavy`]): the worker thread frees them as its body ends
    /// (`graveyard`); once it has, a flood of them (more than [`REAP_ELSEWHERE`]), or a large
    /// buffer while the reaper runs, goes to the reaper thread. Call it without the lock.
    fn bury(&self, events: VecDeque<Slot<Y, R, E>>) {
        if !heavy(&events) {
            return drop(events);
        }
        let events = self.lock().graveyard_or_back(events);
        if events.len() > REAP_ELSEWHERE || (heavy(&events) && super::reap::running()) {
            (self.reap)(events);
        } else {
            drop(events);
        }
    }

    /// Worker side, once, as the body ends: the discarded events, to drop on this thread.
    /// Discards after this are freed where they happen. After a quit (`quit`: the worker saw
    /// the request) the values still queued are discarded here too: the quitting thread may
    /// not have reached the mailbox yet, and would otherwise find the graveyard closed and
    /// hand them to the reaper, to be freed later.
    pub(crate) fn take_graveyard(&self, quit: bool) -> Vec<VecDeque<Slot<Y, R, E>>> {
        let mut g = self.lock();
        if quit {
            let values = g.split_quit();
            if !values.is_empty() {
                g.ledger().graveyard.push(values);
            }
        }
        g.graveyard_closed = true;
        g.ledger
            .as_mut()
            .map_or_else(Vec::new, |l| std::mem::take(&mut l.graveyard))
    }

    /// Quit was requested: discards the yielded values still queued (dropped outside the
    /// lock, or by the worker thread when many) and wakes a producer blocked in `push_yield`
    /// so it sees the request.
    ///
    /// It waits for the lock only when a producer may be blocked (Bounded). Otherwise a
    /// busy lock is left alone (see `# Quit`): the lock is not fair, and a producer pushing a
    /// flood could keep the quitting thread waiting for milliseconds.
    pub(crate) fn quit(&self) {
        let g = if self.bounded.load(Ordering::Relaxed) {
            Some(self.lock())
        } else {
            try_lock(&self.inner)
        };
        let Some(mut g) = g else { return };
        let values = g.split_quit();
        // In the same lock hold: a worker that ends meanwhile cannot close its graveyard
        // between the split and the burial (its flood would go to the reaper, freed later).
        let values = g.graveyard_or_back(values);
        let waiting = std::mem::take(&mut g.producer_waiting);
        drop(g);
        if waiting {
            self.space.notify_all();
        }
        self.bury(values);
    }

    /// Receiver side: moves everything queued into the batch (which must be empty) and tells
    /// it the policy's release size. `false`, and `scheduled` cleared, when nothing was queued.
    fn take_all(&self, batch: &mut Batch<Y, R, E>) -> bool {
        debug_assert!(batch.queued() == 0 && !batch.started && batch.end.is_none());
        let mut g = self.lock();
        batch.release_every = match g.policy() {
            Policy::Bounded(n) => u32::try_from((n / 4).max(1)).unwrap_or(u32::MAX),
            _ => 0,
        };
        // What is taken is delivered now: a paced wake still on its way finds nothing to do.
        g.deferred = false;
        if g.queued() == 0 && !g.started && g.end.is_none() {
            g.scheduled = false;
            return false;
        }
        let started = std::mem::take(&mut g.started);
        batch.end = std::mem::replace(&mut g.end, End::None);
        if let Some(l) = g.ledger.as_mut() {
            l.base += l.queue.len() as u64;
            let local = batch.local.get_or_insert_with(Box::default);
            local.others = std::mem::take(&mut l.others);
            std::mem::swap(&mut l.queue, &mut local.queue);
            // The batch's old buffer comes back empty but with its start wherever delivery
            // left it; `clear` moves the start to the front, so the shared queue, which is
            // only pushed to, never wraps around, and growing it never moves the wrapped part
            // under the lock.
            l.queue.clear();
        }
        drop(g);
        // `started` goes in front of what was queued behind it (a buffer is there to take
        // it), or waits in its place when nothing was: the drain then finds it first.
        if started {
            match batch.local.as_mut() {
                Some(local) if !local.queue.is_empty() => {
                    local.queue.push_front(Some(Event::Started));
                    local.others += 1;
                }
                _ => batch.started = true,
            }
        }
        true
    }

    /// Receiver side: `n` yielded values were delivered or discarded (Bounded only). Wakes a
    /// waiting producer once the backlog is down to half the bound. A holding receiver's
    /// consumer calls it for the values it took (see `# Policies`).
    pub(crate) fn release(&self, n: usize) {
        let mut g = self.lock();
        if let Some(l) = g.ledger.as_mut() {
            l.undelivered = l.undelivered.saturating_sub(n);
        }
        let low = match g.policy() {
            Policy::Bounded(bound) => g.undelivered() <= bound / 2,
            _ => true,
        };
        let wake = g.producer_waiting && low;
        if wake {
            g.producer_waiting = false;
        }
        drop(g);
        if wake {
            self.space.notify_all();
        }
    }

    /// Receiver side: the receiver is gone. Drops undelivered events (outside the lock) and
    /// unblocks a waiting producer; later pushes are dropped.
    pub(crate) fn close(&self) {
        let mut g = self.lock();
        g.closed = true;
        g.started = false;
        let end = std::mem::replace(&mut g.end, End::None);
        let dropped = g
            .ledger
            .as_mut()
            .map_or_else(VecDeque::new, |l| std::mem::take(&mut l.queue));
        let dropped = g.graveyard_or_back(dropped);
        let waiting = std::mem::take(&mut g.producer_waiting);
        drop(g);
        if waiting {
            self.space.notify_all();
        }
        drop(end);
        self.bury(dropped);
    }

    /// Receiver side, as the receiver goes: its undelivered batch is freed like any discard
    /// (`bury`), not on the receiving thread when it is a flood.
    pub(crate) fn discard_batch(&self, batch: &mut Batch<Y, R, E>) {
        batch.started = false;
        batch.end = End::None;
        if let Some(local) = batch.local.as_mut() {
            self.bury(std::mem::take(&mut local.queue));
        }
    }

    /// Receiver side: delivers events in order to `deliver`, until `until` (`None`: until
    /// empty; the clock is read every [`CLOCK_STRIDE`] events). `quit` is the worker's quit
    /// flag: it is read before each yielded value, so a value is never delivered after
    /// `quit()` returned, even mid-batch.
    pub(crate) fn drain(
        &self,
        batch: &mut Batch<Y, R, E>,
        quit: &AtomicBool,
        until: Option<Instant>,
        mut deliver: impl FnMut(Event<Y, R, E>),
    ) -> Drained {
        self.drain_while(batch, quit, until, |ev| {
            deliver(ev);
            true
        })
    }

    /// [`drain`](Self::drain), where `deliver` may ask to stop: when it returns `false`, the
    /// drain returns [`Drained::More`] after that event (or `Finished` if it was the last),
    /// as when its time ran out.
    pub(crate) fn drain_while(
        &self,
        batch: &mut Batch<Y, R, E>,
        quit: &AtomicBool,
        until: Option<Instant>,
        mut deliver: impl FnMut(Event<Y, R, E>) -> bool,
    ) -> Drained {
        if batch.finished {
            return Drained::Finished;
        }
        // Bounded: values delivered or discarded and not yet reported to the producer.
        let mut unreported = 0usize;
        let mut quitting = false;
        // Values discarded by a quit, freed (`bury`) after the loop.
        let mut discarded = Vec::new();
        let mut count: u32 = 0;
        // Whether the last batch taken came fast, and when the last one large enough to be a
        // stream's was taken, in this drain (`# Streams`).
        let mut stream = false;
        let mut last_take: Option<Instant> = None;
        let status = loop {
            // The queued events first (the hot path), then the fixed places.
            let (slot, queued) = match batch.local.as_mut().and_then(|l| l.queue.pop_front()) {
                Some(slot) => (slot, true),
                None => match batch.take_fixed() {
                    Some(ev) => (Some(ev), false),
                    None => {
                        if stream && !quitting && !batch.hold {
                            // Let the next batch of a fast stream grow (`# Streams`).
                            if unreported > 0 && batch.release_every > 0 {
                                self.release(std::mem::take(&mut unreported));
                            }
                            wait_for_a_batch(until);
                        }
                        if !self.take_all(batch) {
                            break Drained::Empty;
                        }
                        // The clock only for a batch that could be a stream's: a short worker's
                        // drain reads none.
                        let queued = batch.queued();
                        if queued >= STREAM_BATCH {
                            let now = Instant::now();
                            stream = last_take.is_some_and(|t| fast_stream(queued, now - t));
                            last_take = Some(now);
                        } else {
                            (stream, last_take) = (false, None);
                        }
                        if quitting {
                            unreported += discard_values(batch, &mut discarded);
                        }
                        continue;
                    }
                },
            };
            let Some(ev) = slot else { continue };
            if !matches!(ev, Event::Yielded(_)) {
                // What is left of the batch has one non-value fewer: once the batch's
                // `started` (or any other event) is delivered, a quit discards the values
                // behind it whole (`split_values`), not one by one. (Events in their fixed
                // places were never counted.)
                if queued && let Some(local) = batch.local.as_mut() {
                    local.others = local.others.saturating_sub(1);
                }
            } else {
                let discard = quitting || quit.load(Ordering::Acquire);
                // A holding batch leaves delivered values to its consumer to report.
                if batch.release_every > 0 && (discard || !batch.hold) {
                    unreported += 1;
                    if unreported >= batch.release_every as usize {
                        self.release(std::mem::take(&mut unreported));
                    }
                }
                if discard {
                    if !quitting {
                        quitting = true;
                        unreported += discard_values(batch, &mut discarded);
                    }
                    continue; // this value is dropped undelivered
                }
            }
            let is_last = matches!(ev, Event::Finished);
            let go_on = deliver(ev);
            if is_last {
                batch.finished = true;
                if let Some(local) = batch.local.as_mut() {
                    local.queue.clear();
                }
                break Drained::Finished;
            }
            if !go_on {
                break Drained::More;
            }
            count = count.wrapping_add(1);
            if count.is_multiple_of(CLOCK_STRIDE)
                && let Some(until) = until
                && Instant::now() >= until
            {
                break Drained::More;
            }
        };
        if unreported > 0 && batch.release_every > 0 {
            self.release(unreported);
        }
        for values in discarded {
            self.bury(values);
        }
        status
    }
}

/// Quit was requested: takes the values out of the receiver's batch into `discarded`, to be
/// freed once the drain has delivered what follows them (the outcome a quit waits for does not
/// wait for the hand-over of a flood). Returns how many values went, for the Bounded count.
fn discard_values<Y, R, E>(
    batch: &mut Batch<Y, R, E>,
    discarded: &mut Vec<VecDeque<Slot<Y, R, E>>>,
) -> usize {
    let Some(local) = batch.local.as_mut() else {
        return 0;
    };
    let (values, n) = split_values(&mut local.queue, local.others);
    if !values.is_empty() {
        discarded.push(values);
    }
    n
}

/// Takes the yielded values (and holes) out of `queue`, keeping the order of what stays.
/// Returns them with the number of entries that were values (holes in front of the first
/// non-value count as values: after a quit, the `Bounded` count no longer holds anyone back).
/// `others` is at least the number
/// of non-value entries: the part of the queue in front of the first of them is handed over
/// whole, so the cost is the length of the queue from its first non-value on. The usual
/// quit after a flood (values, then an outcome and `finished` the worker pushed as it saw
/// the quit) costs O(1), not a walk through millions of values.
fn split_values<Y, R, E>(
    queue: &mut VecDeque<Slot<Y, R, E>>,
    others: usize,
) -> (VecDeque<Slot<Y, R, E>>, usize) {
    // From the back, find where the non-values begin (all of them, when `others` is exact).
    let mut cut = queue.len();
    let mut found = 0;
    while found < others && cut > 0 {
        cut -= 1;
        if matches!(queue[cut], Some(ref e) if !matches!(e, Event::Yielded(_))) {
            found += 1;
        }
    }
    let tail = queue.split_off(cut);
    let mut values = std::mem::take(queue);
    let mut n = values.len();
    for s in tail {
        match s {
            Some(Event::Yielded(_)) => {
                n += 1;
                values.push_back(s);
            }
            None => values.push_back(s),
            Some(_) => queue.push_back(s),
        }
    }
    (values, n)
}

/// What a drain stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Nothing left; the next push wakes the receiver again.
    Empty,
    /// The time budget ran out with events left: post another drain.
    More,
    /// `Finished` was delivered; nothing will ever follow.
    Finished,
}

/// The receiver's private half: the batch it took from the shared queue and is delivering.
/// Lives on the receiving thread.
pub(crate) struct Batch<Y, R, E> {
    /// `Started`, when it was taken with nothing queued behind it (`# Fixed places`).
    started: bool,
    /// The events taken from the shared queue ([`Local`]), boxed the first time the
    /// mailbox's queue is taken (it exists then: `Ledger`), so the receiver of a worker that
    /// never queues carries one null pointer.
    local: Option<Box<Local<Y, R, E>>>,
    /// The outcome and `Finished`, delivered after `local`.
    end: End<R, E>,
    /// Bounded: report deliveries to the producer every this many values; 0 otherwise.
    /// Set with each batch taken. A `u32` (a bound past 16 G values reports every 4 G): so a
    /// batch, which every live worker's receiver holds, takes 8 bytes fewer.
    release_every: u32,
    /// Delivered values are reported by the consumer they are handed to, not by the drain.
    hold: bool,
    /// `Finished` was delivered.
    finished: bool,
}

/// The queued part of a batch: the events, and at least the number of non-value entries
/// among them.
struct Local<Y, R, E> {
    queue: VecDeque<Slot<Y, R, E>>,
    others: usize,
}

impl<Y, R, E> Default for Local<Y, R, E> {
    fn default() -> Self {
        Local {
            queue: VecDeque::new(),
            others: 0,
        }
    }
}

impl<Y, R, E> Batch<Y, R, E> {
    pub(crate) fn new() -> Self {
        Batch {
            started: false,
            local: None,
            end: End::None,
            release_every: 0,
            hold: false,
            finished: false,
        }
    }

    /// Delivered values are reported by their consumer from now on (`true`), or by the
    /// drain again (`false`). See `# Policies`.
    pub(crate) fn set_hold(&mut self, hold: bool) {
        self.hold = hold;
    }

    /// `true` once `Finished` was delivered.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// How many events are queued in the batch (not counting its fixed places).
    fn queued(&self) -> usize {
        self.local.as_ref().map_or(0, |l| l.queue.len())
    }

    /// With `local` empty: the next event from the fixed places (`started` when nothing was
    /// queued with it, then the outcome, then `Finished`), if any.
    fn take_fixed(&mut self) -> Option<Event<Y, R, E>> {
        if std::mem::take(&mut self.started) {
            return Some(Event::Started);
        }
        match std::mem::replace(&mut self.end, End::None) {
            End::None => None,
            End::Finished => Some(Event::Finished),
            outcome => {
                self.end = End::Finished;
                outcome.into_outcome()
            }
        }
    }
}

/// Discards up to this size are freed where they happen; larger ones by the worker thread.
const SMALL_DISCARD: usize = 1024;

/// A discard this large after the worker ended is freed on the reaper thread (a push under a
/// lock and a box, against freeing it here).
const REAP_ELSEWHERE: usize = 4 * 1024;

/// A discarded buffer larger than this (in bytes) is not freed where the discard happens,
/// however few events it holds: the allocator may give so large a block back to the system,
/// and an unmap costs tens of µs. A quit on the GUI thread that freed the queue's buffer
/// there took 80 µs of the 0.1 ms from quit to `aborted` (W5 (a) with `Bounded(4096)`: a
/// buffer of at least 4,096 slots, holding fewer than [`SMALL_DISCARD`] values).
const SMALL_DISCARD_BYTES: usize = 64 << 10;

/// Whether a discard is too large to free where it happens: by its events ([`SMALL_DISCARD`])
/// or by its buffer ([`SMALL_DISCARD_BYTES`]).
fn heavy<T>(events: &VecDeque<T>) -> bool {
    events.len() > SMALL_DISCARD
        || events.capacity().saturating_mul(std::mem::size_of::<T>()) > SMALL_DISCARD_BYTES
}

/// A queue of at least [`REAP_ELSEWHERE`] entries that must grow grows to at least this many
/// bytes at once (`grow_for_a_flood`).
// 32 MiB: glibc's largest mmap threshold on 64-bit, so the block is always mapped on its own,
// and no more address space (or commit charge, under strict overcommit) than that takes.
const FLOOD_BYTES: usize = 32 << 20;

/// Grows a queue that holds a flood (more than [`REAP_ELSEWHERE`] entries) and has no room
/// for `adding` more straight to [`FLOOD_BYTES`], not by doubling. The producer grows the queue under the mailbox's lock,
/// and during that time its body cannot see a quit (W5 (a) measured 7 to 27 ms in one run of
/// ten). A doubling copies the whole queue whenever the allocator cannot grow the block in
/// place; a block this large the allocator maps on its own (glibc does from 32 MiB on), and
/// growing such a block moves pages instead of copying them. Only the pages written to
/// become resident, so the jump costs address space, not memory.
fn grow_for_a_flood<T>(queue: &mut VecDeque<T>, adding: usize) {
    let len = queue.len();
    if len + adding > queue.capacity() && len >= REAP_ELSEWHERE {
        let want = FLOOD_BYTES / std::mem::size_of::<T>().max(1);
        if want > len {
            queue.reserve_exact(want - len);
        }
    }
}

/// How many events are delivered between two looks at the clock.
const CLOCK_STRIDE: u32 = 32;

/// A batch of fewer queued events than this is no stream's (`# Streams`): a worker's one-off
/// events never make one this large.
const STREAM_BATCH: usize = 4;

/// How long a drain waits for a fast stream's next batch to grow (`# Streams`). 20 µs in which
/// a producer at W1's pace queues several hundred values; 5 µs bought less, 80 µs no more.
const STREAM_WAIT: Duration = Duration::from_micros(20);

/// Whether a batch of `queued` events, taken `since` the previous take, came from a fast
/// stream (`# Streams`): at least [`STREAM_BATCH`] of them, at one per µs or more.
fn fast_stream(queued: usize, since: Duration) -> bool {
    queued >= STREAM_BATCH && since <= Duration::from_micros(queued as u64)
}

/// Waits [`STREAM_WAIT`], never past `until`, looking at nothing shared (`# Streams`). A loom
/// model has no time to wait for, and nothing here it could check: it does not wait.
fn wait_for_a_batch(until: Option<Instant>) {
    if cfg!(feature = "loom") {
        return;
    }
    let end = Instant::now() + STREAM_WAIT;
    let end = until.map_or(end, |u| u.min(end));
    while Instant::now() < end {
        for _ in 0..64 {
            std::hint::spin_loop();
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod quit_and_stream_tests {
    use super::*;

    fn mailbox() -> Mailbox<u64, (), ()> {
        Mailbox::new(Policy::All, WakeBy::Id(|_| {}), 0)
    }

    /// Queues `n` values.
    fn yield_n(mb: &Mailbox<u64, (), ()>, n: u64) {
        let quit = AtomicBool::new(false);
        for i in 0..n {
            mb.push_yield(i, None, &quit).expect("not quitting");
        }
    }

    /// Drains everything queued (the batch then holds the shared queue's old buffer, and the
    /// shared queue the batch's, emptied).
    fn drain_all(mb: &Mailbox<u64, (), ()>, batch: &mut Batch<u64, (), ()>) -> usize {
        let quit = AtomicBool::new(false);
        let mut n = 0;
        mb.drain(batch, &quit, None, |_| n += 1);
        n
    }

    #[test]
    fn a_quit_leaves_a_large_buffer_holding_few_values_to_the_worker() {
        let mb = mailbox();
        let mut batch = Batch::new();
        yield_n(&mb, 5000); // the shared queue's buffer grows past 64 KiB
        assert_eq!(drain_all(&mb, &mut batch), 5000);
        yield_n(&mb, 1); // into the batch's old buffer, now the shared queue's
        assert_eq!(drain_all(&mb, &mut batch), 1); // the large buffer is the shared one again
        yield_n(&mb, 10);
        let capacity = mb.lock().queue_capacity();
        assert!(capacity * std::mem::size_of::<Slot<u64, (), ()>>() > SMALL_DISCARD_BYTES);
        mb.quit();
        let graves = mb.take_graveyard(false);
        assert_eq!(
            graves.len(),
            1,
            "the quitting thread did not free the buffer"
        );
        assert_eq!(graves[0].len(), 10);
        assert_eq!(graves[0].capacity(), capacity);
    }

    #[test]
    fn only_a_batch_that_came_fast_is_a_streams() {
        use std::time::Duration;
        let us = Duration::from_micros;
        assert!(fast_stream(4, us(4)), "four events in 4 µs");
        assert!(fast_stream(500, us(20)));
        assert!(
            !fast_stream(3, us(0)),
            "fewer than STREAM_BATCH: one-off events"
        );
        assert!(!fast_stream(4, us(5)), "slower than one per µs");
        assert!(!fast_stream(100, Duration::from_millis(1)));
    }

    #[test]
    fn a_fast_stream_is_delivered_whole_and_in_order_across_its_waits() {
        // A producer thread streams values while the drain takes them in batches; each
        // batch that came fast makes the drain wait before the next take (`# Streams`).
        let mb = std::sync::Arc::new(mailbox());
        let producer = {
            let mb = mb.clone();
            std::thread::spawn(move || {
                let quit = AtomicBool::new(false);
                for i in 0..200_000 {
                    mb.push_yield(i, None, &quit).expect("not quitting");
                }
                mb.push_end(Event::Returned(()));
            })
        };
        let quit = AtomicBool::new(false);
        let mut batch = Batch::new();
        let mut next = 0u64;
        let mut finished = false;
        while !finished {
            let status = mb.drain(&mut batch, &quit, None, |ev| match ev {
                Event::Yielded(v) => {
                    assert_eq!(v, next, "in order, each once");
                    next += 1;
                }
                Event::Finished => finished = true,
                _ => {}
            });
            if status == Drained::Empty {
                std::thread::yield_now();
            }
        }
        producer.join().expect("the producer");
        assert_eq!(next, 200_000);
    }

    #[test]
    fn a_quit_frees_a_small_discard_where_it_happens() {
        let mb = mailbox();
        yield_n(&mb, 10);
        mb.quit();
        assert!(mb.take_graveyard(false).is_empty());
        assert_eq!(mb.lock().queued(), 0, "the values were discarded");
    }

    #[test]
    fn a_large_buffer_discarded_after_the_worker_ended_is_not_kept() {
        let mb = mailbox();
        let mut batch = Batch::new();
        yield_n(&mb, 5000);
        assert_eq!(drain_all(&mb, &mut batch), 5000);
        yield_n(&mb, 1);
        assert_eq!(drain_all(&mb, &mut batch), 1);
        yield_n(&mb, 10);
        assert!(mb.take_graveyard(false).is_empty()); // the worker ended: graveyard closed
        mb.quit(); // freed here, or by the reaper if it runs
        assert_eq!(mb.lock().queued(), 0);
        assert!(
            mb.lock()
                .ledger
                .as_ref()
                .is_none_or(|l| l.graveyard.is_empty())
        );
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod split_tests {
    use super::*;

    type Q = VecDeque<Slot<u32, (), ()>>;

    fn kinds(q: &Q) -> Vec<String> {
        q.iter()
            .map(|s| match s {
                Some(Event::Yielded(v)) => format!("y{v}"),
                Some(e) => e.kind().to_string(),
                None => "hole".into(),
            })
            .collect()
    }

    fn queue() -> Q {
        [
            Some(Event::Yielded(1)),
            None,
            Some(Event::Started),
            Some(Event::Yielded(2)),
            Some(Event::Aborted),
            Some(Event::Finished),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn a_split_keeps_every_non_value_in_order_with_an_exact_or_larger_count() {
        for others in [3, 4, 100] {
            let mut q = queue();
            let (values, _) = split_values(&mut q, others);
            assert_eq!(
                kinds(&q),
                ["started", "aborted", "finished"],
                "others {others}"
            );
            assert_eq!(kinds(&values), ["y1", "hole", "y2"], "others {others}");
        }
    }

    #[test]
    fn a_flood_then_its_outcome_is_split_at_the_outcome() {
        let mut q: Q = (0..1000).map(|v| Some(Event::Yielded(v))).collect();
        q.push_back(Some(Event::Aborted));
        q.push_back(Some(Event::Finished));
        let (values, n) = split_values(&mut q, 2);
        assert_eq!(kinds(&q), ["aborted", "finished"]);
        assert_eq!((values.len(), n), (1000, 1000));
        // All values: handed over whole.
        let mut all: Q = (0..10).map(|v| Some(Event::Yielded(v))).collect();
        let (values, n) = split_values(&mut all, 0);
        assert!(all.is_empty());
        assert_eq!((values.len(), n), (10, 10));
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod fixed_place_tests {
    use super::*;
    use std::sync::Arc;

    fn mailbox<R: Send + 'static>() -> Mailbox<u32, R, ()> {
        Mailbox::new(Policy::All, WakeBy::Id(|_| {}), 0)
    }

    /// Drains everything; `during` runs at each delivered event (it may push more).
    fn drain_all<R: Send + 'static>(
        mb: &Mailbox<u32, R, ()>,
        batch: &mut Batch<u32, R, ()>,
        mut during: impl FnMut(&Event<u32, R, ()>),
    ) -> (Vec<&'static str>, Drained) {
        let quit = AtomicBool::new(false);
        let mut kinds = Vec::new();
        let status = mb.drain(batch, &quit, None, |ev| {
            during(&ev);
            kinds.push(ev.kind());
        });
        (kinds, status)
    }

    #[test]
    fn a_worker_that_only_starts_and_returns_allocates_no_queue() {
        let mb = mailbox::<u32>();
        mb.push(Event::Started);
        mb.push_end(Event::Returned(7));
        assert_eq!(mb.lock().queue_capacity(), 0, "no buffer was allocated");
        assert!(mb.lock().ledger.is_none(), "no ledger was boxed");
        let mut batch = Batch::new();
        let (kinds, status) = drain_all(&mb, &mut batch, |_| {});
        assert_eq!(kinds, ["started", "returned", "finished"]);
        assert_eq!(status, Drained::Finished);
    }

    #[test]
    fn events_in_between_keep_their_place() {
        let mb = mailbox::<u32>();
        mb.push(Event::Started);
        mb.push(Event::Warned("w".into()));
        mb.push_end(Event::Returned(7));
        let (kinds, _) = drain_all(&mb, &mut Batch::new(), |_| {});
        assert_eq!(kinds, ["started", "warned", "returned", "finished"]);
    }

    #[test]
    fn an_outcome_that_comes_while_the_batch_holds_events_follows_them() {
        let mb = mailbox::<u32>();
        mb.push(Event::Started);
        mb.push(Event::Warned("a".into()));
        mb.push(Event::Warned("b".into()));
        let mut batch = Batch::new();
        let mut pushed = false;
        // The batch took everything; the outcome arrives while it still holds `b`.
        let (kinds, status) = drain_all(&mb, &mut batch, |ev| {
            if matches!(ev, Event::Warned(w) if w == "a") && !pushed {
                pushed = true;
                mb.push_end(Event::Returned(1));
                assert!(!mb.lock().end.is_none(), "kept out of the queue");
            }
        });
        assert_eq!(
            kinds,
            ["started", "warned", "warned", "returned", "finished"]
        );
        assert_eq!(status, Drained::Finished);
    }

    #[test]
    fn a_started_delivered_alone_then_the_outcome_later() {
        let mb = mailbox::<u32>();
        let mut batch = Batch::new();
        mb.push(Event::Started);
        let (kinds, status) = drain_all(&mb, &mut batch, |_| {});
        assert_eq!((kinds, status), (vec!["started"], Drained::Empty));
        mb.push_end(Event::Returned(2));
        let (kinds, status) = drain_all(&mb, &mut batch, |_| {});
        assert_eq!(
            (kinds, status),
            (vec!["returned", "finished"], Drained::Finished)
        );
    }

    #[test]
    fn close_drops_a_kept_outcome() {
        let value = Arc::new(());
        let mb = mailbox::<Arc<()>>();
        mb.push(Event::Started);
        mb.push_end(Event::Returned(value.clone()));
        assert_eq!(Arc::strong_count(&value), 2);
        mb.close();
        assert_eq!(Arc::strong_count(&value), 1, "the outcome was dropped");
        let (kinds, status) = drain_all(&mb, &mut Batch::new(), |_| {});
        assert_eq!((kinds, status), (Vec::<&str>::new(), Drained::Empty));
    }
}
