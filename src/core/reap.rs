//! The reaper: one thread for the whole process that drops what a receiving thread should not
//! free itself, a flood of values discarded after their worker ended (`Mailbox::bury`).
//! Dropping a few million values unmaps tens of megabytes; on the GUI thread that is a frozen
//! frame, here it is nobody's.
//!
//! # Invariants
//!
//! - [`reap`] never blocks on the drop: it queues under a lock held for a push, and wakes the
//!   reaper only when the queue was empty.
//! - The thread is started by the first producer whose backlog passes `REAP_ELSEWHERE`
//!   ([`prepare`]), so a quit on the GUI thread does not start it there.
//! - The reaper drops outside the lock, one item at a time, and sleeps while nothing is queued.
//! - On Linux it runs at the lowest priority (nice 19): waking it does not take the waker's
//!   core, and under full load it still gets a small share, so what it frees is freed.
//! - Nothing is lost or kept: every queued item is dropped once, and the reaper holds nothing
//!   else.

use std::sync::{Condvar, Mutex, OnceLock};

use super::sync::{lock, service, wait};

type Item = Box<dyn Send>;

struct Reaper {
    queue: Mutex<Vec<Item>>,
    ready: Condvar,
}

/// The reaper, started on first use; `None` if its thread could not be started (then drops
/// happen where they are asked for).
fn reaper() -> Option<&'static Reaper> {
    let init = || Reaper {
        queue: Mutex::new(Vec::new()),
        ready: Condvar::new(),
    };
    service(&REAPER, &STARTED, init, "qworker-reaper", run)
}

static REAPER: OnceLock<Reaper> = OnceLock::new();
static STARTED: OnceLock<bool> = OnceLock::new();

/// Starts the reaper thread if it is not running: called by a producer whose backlog could
/// become a flood, so that the receiving thread, when it discards that flood, finds the
/// reaper running (see `Mailbox::push_yield`).
pub(crate) fn prepare() {
    let _ = reaper();
}

/// Whether the reaper thread runs (a producer started it, or an earlier reap did): handing
/// it something then starts no thread.
pub(crate) fn running() -> bool {
    STARTED.get() == Some(&true)
}

/// Drops `item` on the reaper thread (here, if that thread could not be started).
pub(crate) fn reap<T: Send + 'static>(item: T) {
    let Some(r) = reaper() else {
        drop(item);
        return;
    };
    // Boxed before the lock is taken: the lock is held for the push alone.
    let item: Item = Box::new(item);
    let mut q = lock(&r.queue);
    let first = q.is_empty();
    q.push(item);
    drop(q);
    if first {
        r.ready.notify_one();
    }
}

fn run(r: &'static Reaper) {
    lowest_priority();
    loop {
        let mut q = lock(&r.queue);
        while q.is_empty() {
            q = wait(&r.ready, q);
        }
        let items = std::mem::take(&mut *q);
        drop(q);
        drop(items);
    }
}

/// Gives the calling thread (the reaper) the lowest priority, nice 19: a woken reaper then
/// leaves the thread that woke it on its core. At the default priority the GUI thread that
/// handed over a flood lost its core for a whole time slice (3 to 4 ms, W5 (a)): the woken
/// reaper preempted it and spent that slice unmapping the flood. Not `SCHED_IDLE`, which did
/// as well in the benchmark but would never free anything while every core is busy; at nice 19
/// the reaper still gets its small share.
#[cfg(target_os = "linux")]
fn lowest_priority() {
    unsafe extern "C" {
        fn setpriority(which: i32, who: u32, prio: i32) -> i32;
    }
    const PRIO_PROCESS: i32 = 0;
    // SAFETY: a plain system call with no pointers. On Linux, PRIO_PROCESS with `who` 0 is the
    // calling thread alone. A failure leaves the thread as it was.
    let _ = unsafe { setpriority(PRIO_PROCESS, 0, 19) };
}

#[cfg(not(target_os = "linux"))]
fn lowest_priority() {}
