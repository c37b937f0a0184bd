//! Per-worker timeouts: one watchdog thread for the whole process asks a worker to quit at its
//! deadline and, if the worker has still not reached a checkpoint a while later, reports it by
//! name. It never kills a thread.
//!
//! # Protocol
//!
//! [`arm`] puts `(deadline, seq)` into an ordered map under one mutex and wakes the watchdog
//! when the new deadline is the earliest. The watchdog sleeps on `due` until the earliest
//! deadline (with no timeout while the map is empty), then, outside the lock, calls
//! [`Expire::expire`] on each entry that is due. `expire` returns when to look again (the
//! worker has not stopped yet) or `None`; at the second look, [`Expire::still_running`]
//! reports it. [`Armed`] removes its entry when the body ends first, so a finished worker
//! leaves nothing behind.
//!
//! # Invariants
//!
//! - The watchdog never holds the map's lock while it calls into a worker.
//! - An entry holds a `Weak` to the worker: a timeout never keeps a worker's state alive.
//! - No polling: every wait of the watchdog ends at a deadline or at an `arm` that moved the
//!   earliest deadline forward.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::sync::{lock, service, wait, wait_timeout};

/// A worker as the watchdog sees it.
pub(crate) trait Expire: Send + Sync {
    /// The deadline passed: ask the worker to quit. Returns when to check again that it
    /// stopped, or `None` when it already did.
    fn expire(&self) -> Option<Duration>;
    /// It was asked to quit at its deadline and still runs (never reached a checkpoint).
    fn still_running(&self);
}

enum Stage {
    /// The deadline: `expire` is due.
    Deadline,
    /// The second look after `expire`.
    Recheck,
}

struct Entry {
    worker: Weak<dyn Expire>,
    stage: Stage,
}

struct Watchdog {
    entries: Mutex<BTreeMap<(Instant, u64), Entry>>,
    due: Condvar,
}

static NEXT: AtomicU64 = AtomicU64::new(1);

fn watchdog() -> &'static Watchdog {
    static W: OnceLock<Watchdog> = OnceLock::new();
    static STARTED: OnceLock<bool> = OnceLock::new();
    let init = || Watchdog {
        entries: Mutex::new(BTreeMap::new()),
        due: Condvar::new(),
    };
    service(&W, &STARTED, init, "qworker-deadline", run)
        .expect("qworker: could not start the timeout watchdog thread")
}

/// A timeout that is set; dropping it (the body ended) removes it.
pub(crate) struct Armed {
    key: (Instant, u64),
}

impl Drop for Armed {
    fn drop(&mut self) {
        lock(&watchdog().entries).remove(&self.key);
    }
}

/// Asks `worker` to quit `after` from now (see the module notes).
pub(crate) fn arm(worker: Weak<dyn Expire>, after: Duration) -> Armed {
    let w = watchdog();
    let key = (Instant::now() + after, NEXT.fetch_add(1, Ordering::Relaxed));
    let mut g = lock(&w.entries);
    let earliest = g.keys().next().is_none_or(|k| key < *k);
    g.insert(
        key,
        Entry {
            worker,
            stage: Stage::Deadline,
        },
    );
    drop(g);
    if earliest {
        w.due.notify_one();
    }
    Armed { key }
}

fn run(w: &'static Watchdog) {
    let mut g = lock(&w.entries);
    loop {
        let now = Instant::now();
        let Some((&key, _)) = g.iter().next() else {
            g = wait(&w.due, g);
            continue;
        };
        if key.0 > now {
            g = wait_timeout(&w.due, g, key.0 - now).0;
            continue;
        }
        let entry = g.remove(&key).expect("the first key is there");
        drop(g);
        if let Some(worker) = entry.worker.upgrade() {
            match entry.stage {
                Stage::Deadline => {
                    if let Some(again) = worker.expire() {
                        let k = (Instant::now() + again, key.1);
                        let e = Entry {
                            worker: Arc::downgrade(&worker),
                            stage: Stage::Recheck,
                        };
                        lock(&w.entries).insert(k, e);
                    }
                }
                Stage::Recheck => worker.still_running(),
            }
        }
        g = lock(&w.entries);
    }
}
