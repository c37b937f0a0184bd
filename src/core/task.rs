//! A task is one worker: its body, the state its thread shares with the GUI, and its two ends
//! (the [`Handle`] that controls it, the [`Receiver`] that delivers its events).
//!
//! The runner guarantees the event order of `event.rs`: it pushes `Started` before the body
//! runs and the outcome together with `Finished` after it returned (or panicked), then leaves
//! the pool's registry. The outcome is `Aborted` when quit was requested before the body
//! returned, `Errored` for an error or a panic, `Returned` otherwise.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::context::{Context, Port};
use super::control::{Control, Park, SendError};
use super::event::{Aborted, Event, Progress, WorkerError, panic_message};
use super::mailbox::{Mailbox, Policy, Receiver, ReceiverPort, Waker};
use super::pool::{Member, Pool, SpawnError};

/// A worker body: runs once on a pool thread.
pub type Body<Y, S, R, E> = Box<dyn FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static>;

/// How a task is set up.
///
/// ```
/// use qworker::core::{Options, Policy};
/// let o = Options { name: "loader".into(), policy: Policy::Latest, progress_total: Some(10) };
/// assert_eq!(Options::default().policy, Policy::All);
/// # drop(o);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Shown in logs and in `await_workers` errors.
    pub name: String,
    /// How yielded values are delivered.
    pub policy: Policy,
    /// A total set up front: every `yield_` then counts one unit of progress.
    pub progress_total: Option<u64>,
}

pub(crate) struct Shared<Y, S, R, E> {
    name: Mutex<String>,
    control: Control<S>,
    mailbox: Mailbox<Y, R, E>,
    started: AtomicBool,
}

impl<Y, S, R, E> Shared<Y, S, R, E> {
    fn park_event(&self, p: Park) {
        self.mailbox.push(match p {
            Park::Parked => Event::Paused,
            Park::Unparked => Event::Resumed,
        });
    }

    fn quit(&self) {
        if self.control.request_quit() {
            self.mailbox.quit();
        }
    }

    fn name(&self) -> String {
        self.name.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl<Y: Send, S: Send, R: Send, E: Send> Port<Y, S> for Shared<Y, S, R, E> {
    fn yield_value(&self, value: Y, tick: Option<Progress>) -> Result<(), Aborted> {
        self.mailbox
            .push_yield(value, tick, self.control.quit_flag())
    }

    fn checkpoint(&self) -> Result<(), Aborted> {
        self.control.checkpoint(&mut |p| self.park_event(p))
    }

    fn take_sent(&self) -> Option<S> {
        self.control.take_sent()
    }

    fn recv(&self) -> Result<S, Aborted> {
        self.control.recv(&mut |p| self.park_event(p))
    }

    fn progress(&self, p: Progress) {
        self.mailbox.push_progress(p);
    }

    fn warn(&self, message: String) {
        self.mailbox.push(Event::Warned(message));
    }

    fn quit_requested(&self) -> bool {
        self.control.quit_requested()
    }
}

impl<Y: Send, S: Send, R: Send, E: Send> ReceiverPort<Y, R, E> for Shared<Y, S, R, E> {
    fn mailbox(&self) -> &Mailbox<Y, R, E> {
        &self.mailbox
    }

    fn request_quit(&self) {
        self.quit();
    }

    fn quit_requested(&self) -> bool {
        self.control.quit_requested()
    }
}

impl<Y: Send, S: Send, R: Send, E: Send> Member for Shared<Y, S, R, E> {
    fn name(&self) -> String {
        Shared::name(self)
    }

    fn request_quit(&self) {
        self.quit();
    }
}

/// The body of a worker, not started yet. [`Task::start`] consumes it, so a task runs once.
pub struct Task<Y, S, R, E> {
    shared: Arc<Shared<Y, S, R, E>>,
    body: Body<Y, S, R, E>,
    total: Option<u64>,
}

/// Controls a worker from any thread: pause, resume, quit, send. Cheap to clone.
pub struct Handle<Y, S, R, E> {
    shared: Arc<Shared<Y, S, R, E>>,
}

impl<Y, S, R, E> Clone for Handle<Y, S, R, E> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

/// The three parts [`task`] returns: the body to start, the control handle, the receiver.
pub type Parts<Y, S, R, E> = (Task<Y, S, R, E>, Handle<Y, S, R, E>, Receiver<Y, R, E>);

/// Creates a task from its body. `waker` is called when events wait for the receiver.
///
/// ```
/// use qworker::core::{task, Drained, Event, Options, Pool};
/// use std::sync::mpsc;
///
/// let (wake_tx, wake_rx) = mpsc::channel();
/// let (task, _handle, mut receiver) = task::<u32, (), &str, String>(
///     Box::new(|cx| {
///         for i in 0..3 {
///             cx.yield_(i).map_err(|e| e.to_string())?;
///         }
///         Ok("done")
///     }),
///     Options::default(),
///     Box::new(move || wake_tx.send(()).unwrap()),
/// );
/// task.start(Pool::global()).unwrap();
/// let mut seen = vec![];
/// while wake_rx.recv().is_ok() {
///     if receiver.drain(None, |e| seen.push(e.kind())) == Drained::Finished {
///         break;
///     }
/// }
/// assert_eq!(seen, ["started", "yielded", "yielded", "yielded", "returned", "finished"]);
/// ```
pub fn task<Y, S, R, E>(
    body: Body<Y, S, R, E>,
    options: Options,
    waker: Box<dyn Waker>,
) -> Parts<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    let shared = Arc::new(Shared {
        name: Mutex::new(options.name),
        control: Control::new(),
        mailbox: Mailbox::new(options.policy, waker),
        started: AtomicBool::new(false),
    });
    let receiver = Receiver::new(shared.clone());
    (
        Task {
            shared: shared.clone(),
            body,
            total: options.progress_total,
        },
        Handle { shared },
        receiver,
    )
}

impl<Y, S, R, E> Task<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// Changes the delivery policy (before start).
    pub fn set_policy(&mut self, policy: Policy) {
        self.shared.mailbox.set_policy(policy);
    }

    /// Sets a progress total up front: each `yield_` then counts one unit (before start).
    pub fn set_progress_total(&mut self, total: Option<u64>) {
        self.total = total;
    }

    /// Runs the body on `pool`. Events reach the receiver through the waker, never from
    /// inside this call, so connections made right after it miss nothing.
    pub fn start(self, pool: &Pool) -> Result<(), SpawnError> {
        let Task {
            shared,
            body,
            total,
        } = self;
        shared.started.store(true, Ordering::Release);
        let id = pool.register(shared.clone());
        let pool2 = pool.clone();
        let shared2 = shared.clone();
        let r = pool.execute(move || {
            run(&shared2, body, total);
            pool2.unregister(id);
        });
        if r.is_err() {
            pool.unregister(id);
        }
        r
    }
}

fn run<Y, S, R, E>(shared: &Arc<Shared<Y, S, R, E>>, body: Body<Y, S, R, E>, total: Option<u64>)
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    shared.mailbox.push(Event::Started);
    if let Some(t) = total {
        shared.mailbox.push_progress(Progress::new(0, t));
    }
    let result = if shared.control.quit_requested() {
        None // quit before the body ever ran
    } else {
        let port: Arc<dyn Port<Y, S>> = shared.clone();
        let mut cx = Context::new(port, total);
        Some(catch_unwind(AssertUnwindSafe(move || body(&mut cx))))
    };
    let (quit, unreceived) = shared.control.close();
    if !unreceived.is_empty() {
        shared.mailbox.push(Event::Warned(format!(
            "{} value(s) sent to worker '{}' were never received",
            unreceived.len(),
            shared.name()
        )));
    }
    drop(unreceived);
    let outcome = match result {
        None => Event::Aborted,
        Some(Err(panic)) => Event::Errored(WorkerError::Panicked(panic_message(&*panic))),
        Some(Ok(_)) if quit => Event::Aborted,
        Some(Ok(Ok(r))) => Event::Returned(r),
        Some(Ok(Err(e))) => Event::Errored(WorkerError::Failed(e)),
    };
    shared.mailbox.push_pair(outcome, Event::Finished);
}

impl<Y, S, R, E> Handle<Y, S, R, E> {
    /// Requests a pause; the worker parks at its next checkpoint and reports `paused`.
    pub fn pause(&self) {
        self.shared.control.request_pause(true);
    }

    /// Lifts a pause request; a parked worker reports `resumed` and goes on.
    pub fn resume(&self) {
        self.shared.control.request_pause(false);
    }

    /// Flips the pause request; returns the new request (`true`: pause requested).
    pub fn toggle_pause(&self) -> bool {
        self.shared.control.toggle_pause()
    }

    /// Requests quit: the worker stops at its next checkpoint, also while paused or blocked
    /// on a full `Bounded` mailbox.
    pub fn quit(&self) {
        self.shared.quit();
    }

    /// Queues a value for the body's next `yield_`/`recv`. Refused once the body returned.
    pub fn send(&self, value: S) -> Result<(), SendError<S>> {
        self.shared.control.send(value)
    }

    /// `true` once quit was requested.
    pub fn is_abort_requested(&self) -> bool {
        self.shared.control.quit_requested()
    }

    /// `true` while a pause is requested (the request, not the parked state).
    pub fn is_pause_requested(&self) -> bool {
        self.shared.control.pause_requested()
    }

    /// `true` once `start` was called.
    pub fn is_started(&self) -> bool {
        self.shared.started.load(Ordering::Acquire)
    }

    /// `true` once the body has returned (its last events may still be on their way).
    pub fn is_done(&self) -> bool {
        self.shared.control.is_closed()
    }

    /// The worker's name.
    pub fn name(&self) -> String {
        self.shared.name()
    }

    /// Renames the worker (shown in logs and `await_workers` errors).
    pub fn set_name(&self, name: &str) {
        *self.shared.name.lock().unwrap_or_else(|p| p.into_inner()) = name.to_string();
    }
}
