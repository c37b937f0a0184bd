//! Time on the GUI event loop: [`sleep`] and [`timeout`], driven by one Qt timer (a
//! single-shot precise `QTimer`, `cpp/executor.cpp`), never by a thread.
//!
//! # Protocol
//!
//! `DEADLINES` (GUI thread only) maps `(deadline, token)` to the waker of the [`Sleep`] that
//! waits for it. A `Sleep` polled before its deadline stores its waker there and, when its
//! deadline is earlier than the one the timer is armed for, re-arms the timer (rounded up to
//! the next millisecond). When the timer fires, every entry whose deadline has passed is
//! removed and woken, and the timer is armed for the earliest one left.
//!
//! # Invariants
//!
//! - While `DEADLINES` is not empty, the timer is armed for a time no later than its first
//!   deadline (`armed`), so every waiting `Sleep` is woken at or after its deadline.
//! - A dropped `Sleep` removes its entry; a timer shot that finds nothing due only re-arms.
//! - Wakers are called after the map's borrow is released.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::executor::ffi;
use super::glue;

thread_local! {
    static DEADLINES: RefCell<BTreeMap<(Instant, u64), Waker>> = const { RefCell::new(BTreeMap::new()) };
    /// The deadline the timer is armed for.
    static ARMED: Cell<Option<Instant>> = const { Cell::new(None) };
    static NEXT_TOKEN: Cell<u64> = const { Cell::new(1) };
}

/// Milliseconds from now to `deadline`, rounded up (the timer never fires early on purpose).
fn ms_until(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
}

fn arm_for(deadline: Instant) {
    if ARMED.get().is_some_and(|a| a <= deadline) {
        return;
    }
    ARMED.set(Some(deadline));
    ffi::arm_timer(ms_until(deadline), fire);
}

/// The timer fired: wakes what is due, re-arms for the rest.
fn fire() {
    ARMED.set(None);
    let now = Instant::now();
    let (due, next) = DEADLINES.with_borrow_mut(|d| {
        let later = d.split_off(&(now, u64::MAX));
        let due = std::mem::replace(d, later);
        (due, d.keys().next().map(|k| k.0))
    });
    if let Some(next) = next {
        arm_for(next);
    }
    for (_, w) in due {
        w.wake();
    }
}

/// A future that completes at a deadline, woken by a Qt timer on the GUI thread. Made by
/// [`sleep`]; `!Send` (it belongs to the GUI thread's event loop).
#[must_use = "a Sleep does nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    token: u64,
    registered: bool,
    _gui: PhantomData<*const ()>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Sleep {
    /// When it completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    fn unregister(&mut self) {
        if std::mem::take(&mut self.registered) {
            let (gone, empty) = DEADLINES
                .with_borrow_mut(|d| (d.remove(&(self.deadline, self.token)), d.is_empty()));
            if empty && ARMED.take().is_some() {
                ffi::disarm_timer(); // nothing waits: no shot for nobody
            }
            drop(gone);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            self.unregister();
            return Poll::Ready(());
        }
        let key = (self.deadline, self.token);
        let old = DEADLINES.with_borrow_mut(|d| match d.get(&key) {
            Some(w) if w.will_wake(cx.waker()) => None,
            _ => d.insert(key, cx.waker().clone()),
        });
        drop(old);
        self.registered = true;
        arm_for(self.deadline);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// A future that completes after `duration`, woken by a Qt timer of the GUI event loop (no
/// thread). Await it in a future on the GUI thread ([`spawn_local`](crate::spawn_local)).
///
/// # Panics
///
/// Off the GUI thread (use your runtime's timer there).
///
/// ```no_run
/// # async fn f() {
/// qworker::sleep(std::time::Duration::from_millis(250)).await;
/// # }
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    assert!(
        glue::on_gui_thread(),
        "qworker::sleep runs on the GUI thread's event loop; call it there (from a future \
         spawned with qworker::spawn_local)"
    );
    let token = NEXT_TOKEN.get();
    NEXT_TOKEN.set(token + 1);
    Sleep {
        deadline: Instant::now() + duration,
        token,
        registered: false,
        _gui: PhantomData,
    }
}

/// The error of [`timeout`]: the deadline passed first.
///
/// ```
/// let e = qworker::future::Elapsed(std::time::Duration::from_millis(5));
/// assert_eq!(e.to_string(), "timed out after 5ms");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(pub Duration);

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.0)
    }
}

impl std::error::Error for Elapsed {}

pin_project_lite::pin_project! {
    /// `future`, or [`Elapsed`] once `duration` passed (made by [`timeout`]). The inner
    /// future is polled first, so one that is ready at the deadline still wins.
    #[must_use = "a Timeout does nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
        duration: Duration,
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(*this.duration))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Runs `future` with a deadline on the GUI event loop: its output, or `Err(Elapsed)` when
/// `duration` passes first (the future is then dropped with the `Timeout`; a worker future
/// dropped this way quits its worker).
///
/// # Panics
///
/// Off the GUI thread.
///
/// ```no_run
/// # use std::time::Duration;
/// # async fn f() {
/// let worker = qworker::function(|| Ok::<_, qworker::BoxError>(42));
/// match qworker::timeout(Duration::from_secs(2), worker.result()).await {
///     Ok(Ok(v)) => println!("got {v}"),
///     Ok(Err(stopped)) => println!("{stopped}"),
///     Err(elapsed) => println!("{elapsed}; the worker was asked to quit"),
/// }
/// # }
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
        duration,
    }
}
