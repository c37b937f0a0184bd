//! Paced progress: a worker that reports progress faster than anyone can watch it wakes its
//! receiver at most about once per [`PROGRESS_INTERVAL`]. The reports in between are coalesced
//! in its mailbox (the newest wins, as always), and one thread for the whole process, the
//! pacer, delivers the postponed wake at the next tick.
//!
//! # Protocol
//!
//! The mailbox decides (`Mailbox::push_progress`, under its lock): a progress report that
//! finds the mailbox idle (no drain requested) wakes the receiver at once if its last
//! progress wake was at least [`PROGRESS_INTERVAL`] ago, and otherwise marks the mailbox
//! *deferred* and returns `true`; the caller then hands a `Weak` of the worker to [`defer`],
//! outside the lock. At the next tick the pacer calls [`Paced::paced_wake`] on every worker
//! handed over since the last tick, and the mailbox wakes its receiver if it is still
//! deferred. Any other event pushed meanwhile (a value, an outcome, `Finished`) clears the
//! deferral and wakes at once, so only progress ever waits for a tick.
//!
//! # Invariants
//!
//! - No lost wake: a deferred mailbox is always in the pacer's list until the next tick, and
//!   `paced_wake` wakes it unless something else already did.
//! - At most one drain outstanding: `paced_wake` wakes only a mailbox that is deferred and
//!   not scheduled, and sets it scheduled under the mailbox's lock, like every other wake.
//! - One grid of ticks for the whole process, so the postponed wakes of a thousand workers
//!   reach the GUI thread together and cost it one drain of the hub.
//! - The pacer never holds its list's lock while it calls a worker, holds only `Weak`s (a
//!   deferral never keeps a worker alive), and sleeps while nothing is deferred.

use std::sync::{Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::sync::{lock, service, wait};

/// The shortest time between two progress wakes of one worker's receiver: a body that reports
/// progress more often has its reports coalesced and delivered at most this late (the newest
/// one wins). Other events are never delayed. The task list's flush runs at the same rate.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// A worker as the pacer sees it.
pub(crate) trait Paced: Send + Sync {
    /// The tick came: wake the receiver if the progress is still waiting.
    fn paced_wake(&self);
}

struct Pacer {
    due: Mutex<Vec<Weak<dyn Paced>>>,
    woken: Condvar,
}

fn pacer() -> &'static Pacer {
    static P: OnceLock<Pacer> = OnceLock::new();
    static STARTED: OnceLock<bool> = OnceLock::new();
    let init = || Pacer {
        due: Mutex::new(Vec::new()),
        woken: Condvar::new(),
    };
    service(&P, &STARTED, init, "qworker-pacer", run)
        .expect("qworker: could not start the progress pacer thread")
}

/// Wakes `worker` at the next tick (see the module notes).
pub(crate) fn defer(worker: Weak<dyn Paced>) {
    let p = pacer();
    let mut g = lock(&p.due);
    let first = g.is_empty();
    g.push(worker);
    drop(g);
    if first {
        p.woken.notify_one();
    }
}

fn run(p: &'static Pacer) {
    let epoch = Instant::now();
    let step = PROGRESS_INTERVAL.as_nanos();
    let mut firing: Vec<Weak<dyn Paced>> = Vec::new();
    loop {
        let mut g = lock(&p.due);
        while g.is_empty() {
            g = wait(&p.woken, g);
        }
        drop(g);
        let ticks = epoch.elapsed().as_nanos() / step + 1;
        let tick = epoch + Duration::from_nanos((ticks * step) as u64);
        std::thread::sleep(tick.saturating_duration_since(Instant::now()));
        std::mem::swap(&mut *lock(&p.due), &mut firing);
        for w in firing.drain(..) {
            if let Some(worker) = w.upgrade() {
                worker.paced_wake();
            }
        }
    }
}
