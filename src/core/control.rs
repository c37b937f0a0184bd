//! The control block: requests from the GUI (pause, resume, quit, send) and the worker's
//! side of them (checkpoints, parking, receiving sent values).
//!
//! # State
//!
//! All under one mutex: `pause_requested`, `inbox` (FIFO of sent values, boxed at the first
//! send: a worker that is never sent a value pays 8 bytes for it), `closed`
//! (the body has returned; sends are refused from then on). `quit` is a one-way flag outside the
//! mutex so the hot path reads it with one atomic load; `pause_hint` and `inbox_len` mirror the
//! locked state for the same reason and are only written while the mutex is held.
//!
//! # Invariants
//!
//! - Every writer changes state under the mutex and then notifies the condvar if the worker
//!   waits on it (`waiting`, which the worker sets under the mutex before each wait and
//!   clears after); the worker re-checks state under the mutex before every wait, so no
//!   wake-up is lost, and a request to a worker that does not wait makes no system call. `quit()` stores
//!   the flag while holding the mutex and notifies after, so a worker between its check of
//!   the flag (under the mutex) and its wait cannot miss it (`loom_models` checks this).
//! - The last request wins: a checkpoint looks only at the current `pause_requested`; a
//!   `pause(); resume();` pair that lands between two checkpoints leaves no trace.
//! - A parked worker waits on the condvar with no timeout: zero CPU while paused.
//! - Quit while parked ends the park without `Resumed` (the caller reports `Aborted`).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use super::event::Aborted;
use super::sync::{AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, lock, wait};

/// What a checkpoint did while it ran, reported so the caller can emit `paused`/`resumed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Park {
    /// The worker is about to sleep because a pause was requested.
    Parked,
    /// The worker woke up because the pause was lifted.
    Unparked,
}

/// Why a value could not be sent into a worker. The value is handed back.
///
/// ```
/// use qworker::SendError;
/// let e = SendError::Finished(7);
/// assert_eq!(e.into_inner(), 7);
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum SendError<S> {
    /// The worker's body has already returned; nothing would ever receive the value.
    Finished(S),
    /// The worker kind cannot receive values (function workers).
    NotAccepted(S),
}

impl<S> SendError<S> {
    /// The value that was not sent.
    pub fn into_inner(self) -> S {
        match self {
            SendError::Finished(v) | SendError::NotAccepted(v) => v,
        }
    }
}

impl<S> std::fmt::Display for SendError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Finished(_) => {
                f.write_str("the worker has finished; the value was not sent")
            }
            SendError::NotAccepted(_) => {
                f.write_str("this worker does not receive values (only generator workers do)")
            }
        }
    }
}

impl<S: std::fmt::Debug> std::error::Error for SendError<S> {}

struct Inner<S> {
    pause_requested: bool,
    #[expect(
        clippy::box_collection,
        reason = "8 bytes for a worker never sent a value, not a 32-byte empty queue"
    )]
    inbox: Option<Box<VecDeque<S>>>,
    closed: bool,
    /// The worker waits on the condvar (set and cleared by it, under the mutex): only then
    /// does a request notify it, so a request to a running worker makes no system call.
    waiting: bool,
}

impl<S> Inner<S> {
    /// The oldest sent value, if any.
    fn pop_sent(&mut self) -> Option<S> {
        self.inbox.as_mut()?.pop_front()
    }

    fn inbox_len(&self) -> usize {
        self.inbox.as_ref().map_or(0, |q| q.len())
    }
}

/// Pause/resume/quit/send requests and the worker-side checkpoint.
pub(crate) struct Control<S> {
    quit: AtomicBool,
    pause_hint: AtomicBool,
    inbox_len: AtomicUsize,
    inner: Mutex<Inner<S>>,
    cv: Condvar,
}

impl<S> Control<S> {
    pub(crate) fn new() -> Self {
        Control {
            quit: AtomicBool::new(false),
            pause_hint: AtomicBool::new(false),
            inbox_len: AtomicUsize::new(0),
            inner: Mutex::new(Inner {
                pause_requested: false,
                inbox: None,
                closed: false,
                waiting: false,
            }),
            cv: Condvar::new(),
        }
    }

    // ---- requests (any thread) ----

    pub(crate) fn request_pause(&self, pause: bool) {
        let mut g = lock(&self.inner);
        g.pause_requested = pause;
        self.pause_hint.store(pause, Ordering::Release);
        self.wake(g);
    }

    /// Flips the requested pause state; returns the new request.
    pub(crate) fn toggle_pause(&self) -> bool {
        let mut g = lock(&self.inner);
        g.pause_requested = !g.pause_requested;
        let now = g.pause_requested;
        self.pause_hint.store(now, Ordering::Release);
        self.wake(g);
        now
    }

    pub(crate) fn pause_requested(&self) -> bool {
        self.pause_hint.load(Ordering::Acquire)
    }

    /// Requests quit; returns `false` (and changes nothing) once the body has returned: the
    /// outcome is decided then, so a late quit cannot turn a result into an abort.
    pub(crate) fn request_quit(&self) -> bool {
        let g = lock(&self.inner);
        if g.closed {
            return false;
        }
        // Under the lock: a worker between its check and its wait cannot miss the notify, and
        // `close` sees either no quit or this one.
        self.quit.store(true, Ordering::SeqCst);
        self.wake(g);
        true
    }

    pub(crate) fn quit_requested(&self) -> bool {
        self.quit.load(Ordering::Acquire)
    }

    pub(crate) fn quit_flag(&self) -> &AtomicBool {
        &self.quit
    }

    pub(crate) fn send(&self, value: S) -> Result<(), SendError<S>> {
        let mut g = lock(&self.inner);
        if g.closed {
            return Err(SendError::Finished(value));
        }
        let inbox = g.inbox.get_or_insert_with(Box::default);
        inbox.push_back(value);
        self.inbox_len.store(inbox.len(), Ordering::Release);
        self.wake(g);
        Ok(())
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.inner).closed
    }

    /// Releases the lock after a request and wakes the worker if it waits (see `waiting`).
    fn wake(&self, g: MutexGuard<'_, Inner<S>>) {
        let waiting = g.waiting;
        drop(g);
        if waiting {
            self.cv.notify_all();
        }
    }

    // ---- worker side ----

    /// Waits on the condvar, marked as waiting (see `waiting`).
    fn sleep<'a>(&'a self, mut g: MutexGuard<'a, Inner<S>>) -> MutexGuard<'a, Inner<S>> {
        g.waiting = true;
        let mut g = wait(&self.cv, g);
        g.waiting = false;
        g
    }

    /// Honours quit and pause. Parks while a pause is requested. `on_park` is called with
    /// `Parked` before sleeping and `Unparked` after a resume (never after a quit).
    pub(crate) fn checkpoint(&self, on_park: &mut dyn FnMut(Park)) -> Result<(), Aborted> {
        if self.quit.load(Ordering::Acquire) {
            return Err(Aborted);
        }
        if !self.pause_hint.load(Ordering::Acquire) {
            return Ok(());
        }
        let g = lock(&self.inner);
        self.park(g, on_park).map(drop)
    }

    /// Parks while paused; returns the guard so callers can continue under the lock.
    fn park<'a>(
        &'a self,
        mut g: MutexGuard<'a, Inner<S>>,
        on_park: &mut dyn FnMut(Park),
    ) -> Result<MutexGuard<'a, Inner<S>>, Aborted> {
        if self.quit.load(Ordering::Acquire) {
            return Err(Aborted);
        }
        if !g.pause_requested {
            return Ok(g);
        }
        on_park(Park::Parked);
        while g.pause_requested && !self.quit.load(Ordering::Acquire) {
            g = self.sleep(g);
        }
        if self.quit.load(Ordering::Acquire) {
            return Err(Aborted);
        }
        on_park(Park::Unparked);
        Ok(g)
    }

    /// The oldest sent value, if any. Lock-free when nothing was sent.
    pub(crate) fn take_sent(&self) -> Option<S> {
        if self.inbox_len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut g = lock(&self.inner);
        let v = g.pop_sent();
        self.inbox_len.store(g.inbox_len(), Ordering::Release);
        v
    }

    /// Blocks until a value is sent; honours pause and quit while waiting.
    pub(crate) fn recv(&self, on_park: &mut dyn FnMut(Park)) -> Result<S, Aborted> {
        let mut g = lock(&self.inner);
        loop {
            g = self.park(g, on_park)?;
            if let Some(v) = g.pop_sent() {
                self.inbox_len.store(g.inbox_len(), Ordering::Release);
                return Ok(v);
            }
            g = self.sleep(g);
        }
    }

    /// Called once when the body has returned: refuses further sends and quits from now on,
    /// and hands back whether quit was requested before (the outcome is then `aborted`) and
    /// the values that were sent but never received.
    pub(crate) fn close(&self) -> (bool, Vec<S>) {
        let mut g = lock(&self.inner);
        g.closed = true;
        self.inbox_len.store(0, Ordering::Release);
        (
            self.quit.load(Ordering::SeqCst),
            g.inbox.take().map_or_else(Vec::new, |q| Vec::from(*q)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn last_request_wins_before_a_checkpoint() {
        let c = Control::<()>::new();
        c.request_pause(true);
        c.request_pause(false);
        let mut parks = vec![];
        assert_eq!(c.checkpoint(&mut |p| parks.push(p)), Ok(()));
        assert!(parks.is_empty(), "pause();resume() must leave no trace");
    }

    #[test]
    fn toggle_flips_the_request() {
        let c = Control::<()>::new();
        assert!(c.toggle_pause());
        assert!(c.pause_requested());
        assert!(!c.toggle_pause());
        assert!(!c.pause_requested());
    }

    #[test]
    fn quit_ends_a_park_without_unpark() {
        let c = Arc::new(Control::<()>::new());
        c.request_pause(true);
        let (tx, rx) = std::sync::mpsc::channel();
        let c2 = c.clone();
        let t = std::thread::spawn(move || {
            let mut seen = vec![];
            let r = c2.checkpoint(&mut |p| {
                seen.push(p);
                tx.send(()).unwrap();
            });
            (r, seen)
        });
        rx.recv().unwrap(); // parked
        c.request_quit();
        let (r, seen) = t.join().unwrap();
        assert_eq!(r, Err(Aborted));
        assert_eq!(seen, vec![Park::Parked]);
    }

    #[test]
    fn sends_are_fifo_and_refused_after_close() {
        let c = Control::<i32>::new();
        c.send(1).unwrap();
        c.send(2).unwrap();
        assert_eq!(c.take_sent(), Some(1));
        c.send(3).unwrap();
        assert_eq!(c.close(), (false, vec![2, 3]));
        assert!(
            !c.request_quit(),
            "a quit after the body returned changes nothing"
        );
        assert!(!c.quit_requested());
        assert_eq!(c.send(4), Err(SendError::Finished(4)));
        assert_eq!(c.take_sent(), None);
    }

    #[test]
    fn recv_blocks_until_a_send() {
        let c = Arc::new(Control::<i32>::new());
        let c2 = c.clone();
        let t = std::thread::spawn(move || c2.recv(&mut |_| {}));
        c.send(42).unwrap();
        assert_eq!(t.join().unwrap(), Ok(42));
    }
}
