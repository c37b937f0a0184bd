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
//! - On Linux it runs in the idle scheduling class (`SCHED_IDLE`): waking it never takes the
//!   waker's core. What it frees waits, at worst, until a core is free.
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
    static R: OnceLock<Reaper> = OnceLock::new();
    static STARTED: OnceLock<bool> = OnceLock::new();
    let init = || Reaper {
        queue: Mutex::new(Vec::new()),
        ready: Condvar::new(),
    };
    service(&R, &STARTED, init, "qworker-reaper", run)
}

/// Starts the reaper thread if it is not running: called by a producer whose backlog could
/// become a flood, so that the receiving thread, when it discards that flood, finds the
/// reaper running (see `Mailbox::push_yield`).
pub(crate) fn prepare() {
    let _ = reaper();
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
    idle_priority();
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

/// Puts the calling thread (the reaper) in Linux's idle scheduling class: it runs only on a
/// core no other thread wants, so the thread that woke it keeps its core. Without it the GUI
/// thread that handed over a flood lost its core for a whole time slice (3 to 4 ms, W5 (a)):
/// the woken reaper preempted it and spent that slice unmapping the flood.
#[cfg(target_os = "linux")]
fn idle_priority() {
    #[repr(C)]
    struct SchedParam {
        sched_priority: i32,
    }
    unsafe extern "C" {
        fn sched_setscheduler(pid: i32, policy: i32, param: *const SchedParam) -> i32;
    }
    const SCHED_IDLE: i32 = 5;
    let param = SchedParam { sched_priority: 0 };
    // SAFETY: `param` is a valid `struct sched_param` for the call; pid 0 is this thread. A
    // failure leaves the thread as it was.
    let _ = unsafe { sched_setscheduler(0, SCHED_IDLE, &param) };
}

#[cfg(not(target_os = "linux"))]
fn idle_priority() {}
