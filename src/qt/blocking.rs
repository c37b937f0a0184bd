//! One-off work on the pool as a future: [`spawn_blocking`] and its cancellable variant
//! [`spawn_blocking_with_context`]. No QObject and no hub: the future drains the task's
//! receiver itself when it is polled, on whatever thread and executor polls it (the GUI
//! thread's, or a tokio runtime's).
//!
//! # Protocol
//!
//! The task's mailbox waker (`SlotWaker`) wakes the `std::task::Waker` stored by the last
//! poll. A poll stores its waker first and drains second, so a push after the drain's last
//! look finds the waker (the mailbox calls its waker on every empty → non-empty transition,
//! see `core::mailbox`).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};

use super::driver::StartError;
use super::futures::Stopped;
use crate::core::{Drained, Handle, Options, Receiver, lock, task};
use crate::{Context, Event, NoYield, Pool};

/// Where the task's mailbox finds the waker of the last poll.
#[derive(Default)]
struct WakerSlot(Mutex<Option<Waker>>);

struct SlotWaker(Arc<WakerSlot>);

impl crate::core::Waker for SlotWaker {
    fn wake(&self) {
        let w = lock(&self.0.0).take();
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// The future of work started with [`spawn_blocking`] or [`spawn_blocking_with_context`]:
/// `Ok(value)`, or why there is none ([`Stopped`]: a panic is `Errored(Panicked(..))`).
///
/// `Send` when `R` and `E` are, so any executor may await it. [`abort`](Blocking::abort)
/// asks the work to quit: a context body stops at its next `cx.check()` (or other
/// checkpoint) and the future gives `Stopped::Aborted`; a plain closure runs to its end and
/// its value is dropped. **Dropping the future asks the work to quit the same way.**
pub struct Blocking<R, E> {
    receiver: Option<Receiver<NoYield, (), R, E>>,
    handle: Handle<NoYield, (), R, E>,
    slot: Arc<WakerSlot>,
    outcome: Option<Result<R, Stopped<E>>>,
    done: bool,
}

impl<R, E> fmt::Debug for Blocking<R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocking")
            .field("name", &self.handle.name())
            .field("abort_requested", &self.handle.is_abort_requested())
            .field("done", &self.done)
            .finish()
    }
}

impl<R, E> Blocking<R, E> {
    /// Asks the work to quit (cooperative: a context body stops at its next checkpoint).
    pub fn abort(&self) {
        self.handle.quit();
    }

    /// `true` once the body has returned (its result may not have been awaited yet).
    pub fn is_finished(&self) -> bool {
        self.handle.is_done()
    }
}

// Nothing in it is pinned structurally: the outcome is moved out by value.
impl<R, E> Unpin for Blocking<R, E> {}

impl<R: Send + 'static, E: Send + 'static> Future for Blocking<R, E> {
    type Output = Result<R, Stopped<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(
            !this.done,
            "qworker: a Blocking future was polled after it completed"
        );
        if let Some(out) = this.outcome.take() {
            this.done = true;
            return Poll::Ready(out);
        }
        {
            let mut w = lock(&this.slot.0);
            match w.as_ref() {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
        }
        let Some(receiver) = this.receiver.as_mut() else {
            this.done = true;
            return Poll::Ready(Err(Stopped::Aborted));
        };
        let mut outcome = None;
        let status = receiver.drain(None, |ev| match ev {
            Event::Returned(r) => outcome = Some(Ok(r)),
            Event::Errored(e) => outcome = Some(Err(Stopped::Errored(e))),
            Event::Aborted => outcome = Some(Err(Stopped::Aborted)),
            _ => {}
        });
        if outcome.is_some() {
            this.outcome = outcome;
        }
        if status == Drained::Finished {
            this.receiver = None;
            this.done = true;
            return Poll::Ready(this.outcome.take().unwrap_or(Err(Stopped::Aborted)));
        }
        Poll::Pending
    }
}

fn start<R, E>(body: crate::core::Body<NoYield, (), R, E>, name: &str) -> Blocking<R, E>
where
    R: Send + 'static,
    E: Send + 'static,
{
    let slot = Arc::new(WakerSlot::default());
    let (t, handle, receiver) = task(
        body,
        Options {
            name: name.to_string(),
            ..Options::default()
        },
        Box::new(SlotWaker(slot.clone())),
    );
    let outcome = match t.start(Pool::global()) {
        Ok(()) => None,
        Err(e) => Some(Err(Stopped::NotStarted(StartError::Spawn(e)))),
    };
    Blocking {
        receiver: Some(receiver),
        handle,
        slot,
        outcome,
        done: false,
    }
}

/// Runs `f` once on the global pool and returns a future of its value (gio's
/// `spawn_blocking`). No QObject, no signals; callable from any thread, awaitable on any
/// executor. A panic gives `Err(Stopped::Errored(WorkerError::Panicked(message)))`.
///
/// ```no_run
/// # async fn f() {
/// let sum = qworker::spawn_blocking(|| (0..1_000_000u64).sum::<u64>()).await;
/// assert_eq!(sum.ok(), Some(499_999_500_000));
/// # }
/// ```
pub fn spawn_blocking<T, F>(f: F) -> Blocking<T, Infallible>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    start(Box::new(move |_cx| Ok(f())), "spawn_blocking")
}

/// Like [`spawn_blocking`], with a [`Context`]: `cx.check()?` is where [`Blocking::abort`] (or
/// dropping the future) stops the work, which then gives `Err(Stopped::Aborted)`;
/// `cx.progress` and `cx.warn` are accepted (progress is not reported by this future).
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// # async fn f() {
/// let work = qworker::spawn_blocking_with_context(|cx: &mut Context| -> Result<u64, BoxError> {
///     let mut n = 0;
///     for i in 0..1_000_000u64 {
///         if i % 1024 == 0 {
///             cx.check()?; // abort() stops it here
///         }
///         n += i;
///     }
///     Ok(n)
/// });
/// work.abort();
/// assert!(matches!(work.await, Err(qworker::future::Stopped::Aborted)));
/// # }
/// ```
pub fn spawn_blocking_with_context<R, E, F>(f: F) -> Blocking<R, E>
where
    F: FnOnce(&mut Context) -> Result<R, E> + Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    start(Box::new(f), "spawn_blocking_with_context")
}
