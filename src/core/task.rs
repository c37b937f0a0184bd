//! A task is one worker: its body, the state its thread shares with the GUI, and its two ends
//! (the [`Handle`] that controls it, the [`Receiver`] that delivers its events).
//!
//! The runner guarantees the event order of `event.rs`: it pushes `Started` before the body
//! runs and the outcome together with `Finished` after it returned (or panicked), then leaves
//! the pool's registry. The outcome is `Aborted` when quit was requested before the body
//! returned, `Errored` for an error or a panic, `Returned` otherwise.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::context::{Context, Port};
use super::control::{Control, Park, SendError};
use super::deadline::{self, Expire};
use super::event::{Aborted, Event, Progress, WorkerError, WorkerKind, panic_message};
use super::mailbox::{Batch, Drained, Mailbox, Policy, WakeBy, Waker};
use super::once_box::OnceBox;
use super::pace::{self, Paced};
use super::pool::{Member, Pool, SpawnError};
use super::small_body::SmallBody;
use super::sync::lock;

/// A worker body: runs once on a pool thread.
pub type Body<Y, S, R, E> = Box<dyn FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static>;

/// How a task is set up.
///
/// ```
/// use qworker::Policy;
/// use qworker::core::Options;
/// let o = Options { name: "loader".into(), policy: Policy::Latest, ..Options::default() };
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
    /// Asks the worker to quit this long after its body began; the outcome is then
    /// `errored` with [`WorkerError::TimedOut`](crate::WorkerError::TimedOut).
    pub timeout: Option<Duration>,
}

/// How long after its timeout a worker that has not stopped is reported as stuck.
pub const STUCK_REPORT_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Shared<Y, S, R, E> {
    /// This worker, for the pacer (`report_progress`).
    me: Weak<Shared<Y, S, R, E>>,
    control: Control<S>,
    mailbox: Mailbox<Y, R, E>,
    started: AtomicBool,
    /// Set by the watchdog when it asked the worker to quit at its deadline.
    timed_out: AtomicBool,
    /// The body, from creation until a pool thread takes it ([`Member::run`]): the pool's
    /// job is this worker itself, not a boxed closure, and an unstarted task is no more than
    /// a reference to this. Its progress total, if set, is in [`Rare`].
    pending: Mutex<Option<SmallBody<Y, S, R, E>>>,
    /// What the Qt layer keeps with each task ([`Host`]), here so that a worker costs one
    /// allocation fewer: its id is the mailbox's (`Mailbox::id`, which its waker is called
    /// with), and its kind shares a word with the flags.
    kind: WorkerKind,
    /// What few workers set (see [`Rare`]): boxed on first write, one word until then.
    rare: OnceBox<Mutex<Rare>>,
}

/// What few workers set: a name, a timeout, a progress total, a description, a pool of their
/// own. Boxed the first time one is set ([`Shared::write_rare`]), so a worker that sets none
/// pays 16 bytes for them, not 96 (every live worker holds its shared state: W3 starts
/// 10,000 at once). One lock for the five: they are set before start and read rarely.
#[derive(Default)]
pub(crate) struct Rare {
    /// Shown in logs and in `await_workers` errors.
    pub(crate) name: String,
    pub(crate) timeout: Option<Duration>,
    /// A total set up front ([`Options::progress_total`]); read once, as the body starts.
    pub(crate) progress_total: Option<u64>,
    /// For task lists (the Qt layer's; the engine does not read it).
    pub(crate) description: String,
    /// `None`: the global pool (the Qt layer's choice; `Task::start` takes its pool).
    pub(crate) pool: Option<Pool>,
}

/// What the host (the Qt layer) keeps with a task: its id there and its kind (its
/// description and pool are in [`Rare`]). Plain data; the engine does not read it.
pub(crate) struct Host {
    pub(crate) id: u64,
    pub(crate) kind: WorkerKind,
}

impl Host {
    pub(crate) fn new(id: u64, kind: WorkerKind) -> Host {
        Host { id, kind }
    }
}

impl<Y, S, R, E> Shared<Y, S, R, E> {
    fn park_event(&self, p: Park) {
        self.mailbox.push(match p {
            Park::Parked => Event::Paused,
            Park::Unparked => Event::Resumed,
        });
    }

    pub(crate) fn quit(&self) {
        if self.control.request_quit() {
            self.mailbox.quit();
        }
    }

    pub(crate) fn name(&self) -> String {
        self.read_rare(|r| r.name.clone()).unwrap_or_default()
    }

    /// The description for task lists (the Qt layer's `.described(...)`).
    pub(crate) fn description(&self) -> String {
        self.read_rare(|r| r.description.clone())
            .unwrap_or_default()
    }

    /// Reads what few workers set, if any of it was set ([`Rare`]).
    pub(crate) fn read_rare<T>(&self, f: impl FnOnce(&Rare) -> T) -> Option<T> {
        self.rare.get().map(|m| f(&lock(m)))
    }

    /// Changes what few workers set, boxing it on first use ([`Rare`]).
    pub(crate) fn write_rare<T>(&self, f: impl FnOnce(&mut Rare) -> T) -> T {
        f(&mut lock(self.rare.get_or_init(Box::default)))
    }

    /// Sets a field of [`Rare`] to a value that is `set` (not the default), or back to the
    /// default: that needs no box when there is none yet (the field is the default there).
    fn set_rare(&self, set: bool, f: impl FnOnce(&mut Rare)) {
        if set || self.rare.get().is_some() {
            self.write_rare(f);
        }
    }
}

impl<Y: Send + 'static, S: Send + 'static, R: Send + 'static, E: Send + 'static>
    Shared<Y, S, R, E>
{
    /// Pushes progress; a postponed wake goes to the pacer (`pace.rs`).
    fn report_progress(&self, p: Progress, status: Option<String>) {
        if self.mailbox.push_progress(p, status) {
            let me: Weak<dyn Paced> = self.me.clone();
            pace::defer(me);
        }
    }
}

impl<Y: Send, S: Send, R: Send, E: Send> Paced for Shared<Y, S, R, E> {
    fn paced_wake(&self) {
        self.mailbox.paced_wake();
    }
}

impl<Y: Send + 'static, S: Send + 'static, R: Send + 'static, E: Send + 'static> Port<Y, S>
    for Shared<Y, S, R, E>
{
    fn yield_(&self, value: Y, tick: Option<Progress>) -> Result<Option<S>, Aborted> {
        let quit = self.control.quit_flag();
        if quit.load(Ordering::Acquire) {
            return Err(Aborted);
        }
        self.mailbox.push_yield(value, tick, quit)?;
        self.control.checkpoint(&mut |p| self.park_event(p))?;
        Ok(self.control.take_sent())
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

    fn progress(&self, p: Progress, status: Option<String>) -> Result<(), Aborted> {
        self.report_progress(p, status);
        self.control.checkpoint(&mut |p| self.park_event(p))
    }

    fn warn(&self, message: String) {
        self.mailbox.push(Event::Warned(message));
    }

    fn quit_requested(&self) -> bool {
        self.control.quit_requested()
    }
}

impl<Y: Send, S: Send, R: Send, E: Send> Expire for Shared<Y, S, R, E> {
    fn expire(&self) -> Option<Duration> {
        if self.control.is_closed() {
            return None;
        }
        self.timed_out.store(true, Ordering::Release);
        self.quit();
        Some(STUCK_REPORT_AFTER)
    }

    fn still_running(&self) {
        if self.control.is_closed() {
            return;
        }
        let after = self.read_rare(|r| r.timeout).flatten().unwrap_or_default();
        self.mailbox.push(Event::Warned(format!(
            "worker '{}' timed out after {} and has not reached a checkpoint since; it keeps \
             running until it does (threads are never killed)",
            self.name(),
            super::event::human(after)
        )));
    }
}

impl<Y, S, R, E> Member for Shared<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn name(&self) -> String {
        Shared::name(self)
    }

    fn request_quit(&self) {
        self.quit();
    }

    fn run(self: Arc<Self>) {
        let pending = lock(&self.pending).take();
        if let Some(body) = pending {
            let total = self.read_rare(|r| r.progress_total).flatten();
            run(&self, body, total);
        }
    }
}

/// The body of a worker, not started yet. [`Task::start`] consumes it, so a task runs once;
/// dropping it unstarted drops the body.
pub struct Task<Y, S, R, E> {
    shared: Arc<Shared<Y, S, R, E>>,
}

impl<Y, S, R, E> Drop for Task<Y, S, R, E> {
    fn drop(&mut self) {
        if !self.shared.started.load(Ordering::Acquire) {
            let body = lock(&self.shared.pending).take();
            drop(body); // outside the lock: a body's captures may run any code as they drop
        }
    }
}

impl<Y, S, R, E> std::fmt::Debug for Task<Y, S, R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.shared.name())
            .field("progress_total", &self.shared.pending_total())
            .finish_non_exhaustive()
    }
}

/// Controls a worker from any thread: pause, resume, quit, send. Cheap to clone.
pub struct Handle<Y, S, R, E> {
    shared: Arc<Shared<Y, S, R, E>>,
}

impl<Y, S, R, E> std::fmt::Debug for Handle<Y, S, R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("name", &self.shared.name())
            .field("abort_requested", &self.shared.control.quit_requested())
            .finish_non_exhaustive()
    }
}

/// The receiving end of a worker's events. Lives on the thread that delivers them.
/// Dropping it asks the worker to quit and drops undelivered events.
pub struct Receiver<Y, S, R, E> {
    shared: Arc<Shared<Y, S, R, E>>,
    batch: Batch<Y, R, E>,
}

impl<Y, S, R, E> std::fmt::Debug for Receiver<Y, S, R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("name", &self.shared.name())
            .field("finished", &self.batch.is_finished())
            .finish_non_exhaustive()
    }
}

impl<Y, S, R, E> Receiver<Y, S, R, E> {
    /// Delivers events in order to `deliver`, for at most `budget` (`None`: until empty).
    /// Call it once per wake-up; when it returns [`Drained::More`], call it again later
    /// (the Qt layer re-posts it so input and paint events interleave). Once `quit()` has
    /// returned, no further yielded value is delivered, also when `deliver` itself quit.
    pub fn drain(
        &mut self,
        budget: Option<Duration>,
        deliver: impl FnMut(Event<Y, R, E>),
    ) -> Drained {
        self.drain_until(budget.map(|b| Instant::now() + b), deliver)
    }

    /// [`drain`](Self::drain) with a deadline instead of a budget: the caller read the
    /// clock once for many receivers.
    pub(crate) fn drain_until(
        &mut self,
        until: Option<Instant>,
        deliver: impl FnMut(Event<Y, R, E>),
    ) -> Drained {
        let shared = &*self.shared;
        shared
            .mailbox
            .drain(&mut self.batch, shared.control.quit_flag(), until, deliver)
    }

    /// [`drain_until`](Self::drain_until), where `deliver` may ask to stop (it returns
    /// `false`): the drain then returns [`Drained::More`] after that event.
    pub(crate) fn drain_while(
        &mut self,
        until: Option<Instant>,
        deliver: impl FnMut(Event<Y, R, E>) -> bool,
    ) -> Drained {
        let shared = &*self.shared;
        shared
            .mailbox
            .drain_while(&mut self.batch, shared.control.quit_flag(), until, deliver)
    }

    /// `true` once `Finished` was delivered.
    pub fn is_finished(&self) -> bool {
        self.batch.is_finished()
    }

    /// With `hold`, yielded values this receiver delivers still count as undelivered for a
    /// `Bounded` producer until [`Handle::release_held`] reports them taken (a consumer that
    /// buffers them, such as an async stream). Without, deliveries count at once.
    pub(crate) fn set_hold(&mut self, hold: bool) {
        self.batch.set_hold(hold);
    }
}

impl<Y, S, R, E> Drop for Receiver<Y, S, R, E> {
    fn drop(&mut self) {
        // After `Finished` nothing is queued or will be: the worker pushes nothing after
        // it, and the batch let go of what it held.
        if self.batch.is_finished() {
            return;
        }
        self.shared.quit();
        self.shared.mailbox.close();
        self.shared.mailbox.discard_batch(&mut self.batch);
    }
}

impl<Y, S, R, E> Clone for Handle<Y, S, R, E> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

/// The three parts [`task`] returns: the body to start, the control handle, the receiver.
pub type Parts<Y, S, R, E> = (Task<Y, S, R, E>, Handle<Y, S, R, E>, Receiver<Y, S, R, E>);

/// Creates a task from its body. `waker` is called when events wait for the receiver.
///
/// ```
/// use qworker::core::{task, Drained, Options};
/// use qworker::{Event, Pool};
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
    let (handle, receiver) = task_woken_by(
        SmallBody::new(body),
        options,
        WakeBy::Boxed(waker),
        Host::new(0, WorkerKind::Generator),
    );
    let task = Task {
        shared: handle.shared.clone(),
    };
    (task, handle, receiver)
}

/// What [`task_woken_by`] returns: the control handle and the receiver.
pub(crate) type Ends<Y, S, R, E> = (Handle<Y, S, R, E>, Receiver<Y, S, R, E>);

/// A task for the Qt layer: its waker a [`WakeBy`] (a function of the worker's id, so it needs
/// no allocation), its [`Host`] data inside, and no [`Task`]: the handle starts it
/// ([`Handle::start_once`]).
pub(crate) fn task_woken_by<Y, S, R, E>(
    body: SmallBody<Y, S, R, E>,
    options: Options,
    waker: WakeBy,
    host: Host,
) -> Ends<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    let shared = Arc::new_cyclic(|me| Shared {
        me: me.clone(),
        control: Control::new(),
        mailbox: Mailbox::new(options.policy, waker, host.id),
        started: AtomicBool::new(false),
        timed_out: AtomicBool::new(false),
        pending: Mutex::new(Some(body)),
        kind: host.kind,
        rare: OnceBox::new(),
    });
    let (name, timeout, total) = (options.name, options.timeout, options.progress_total);
    let set = !name.is_empty() || timeout.is_some() || total.is_some();
    shared.set_rare(set, |r| {
        (r.name, r.timeout, r.progress_total) = (name, timeout, total)
    });
    let receiver = Receiver {
        shared: shared.clone(),
        batch: Batch::new(),
    };
    (Handle { shared }, receiver)
}

impl<Y, S, R, E> Shared<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// Runs the pending body on `pool` (the caller saw to it that this happens once). On a
    /// spawn failure the body is dropped now, not with the last handle.
    fn submit(self: &Arc<Self>, pool: &Pool) -> Result<(), SpawnError> {
        let member: Arc<dyn Member> = self.clone();
        let started = pool.execute_member(member);
        if started.is_err() {
            let body = lock(&self.pending).take();
            drop(body); // outside the lock
        }
        started
    }
}

impl<Y, S, R, E> Shared<Y, S, R, E> {
    /// The progress total of the pending body; `None` once it was taken.
    fn pending_total(&self) -> Option<u64> {
        let pending = lock(&self.pending);
        pending.as_ref()?;
        self.read_rare(|r| r.progress_total).flatten()
    }
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
        Unstarted(&self.shared).set_policy(policy);
    }

    /// Sets a progress total up front: each `yield_` then counts one unit (before start).
    pub fn set_progress_total(&mut self, total: Option<u64>) {
        Unstarted(&self.shared).set_progress_total(total);
    }

    /// Sets the timeout (before start; see [`Options::timeout`]).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        Unstarted(&self.shared).set_timeout(timeout);
    }

    /// Runs the body on `pool`. Events reach the receiver through the waker, never from
    /// inside this call, so connections made right after it miss nothing.
    pub fn start(self, pool: &Pool) -> Result<(), SpawnError> {
        self.shared.started.store(true, Ordering::Release);
        self.shared.submit(pool)
    }
}

fn run<Y, S, R, E>(
    shared: &Arc<Shared<Y, S, R, E>>,
    body: SmallBody<Y, S, R, E>,
    total: Option<u64>,
) where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    shared.mailbox.push(Event::Started);
    let timeout = shared.read_rare(|r| r.timeout).flatten();
    let armed = timeout.map(|t| {
        let weak: Weak<dyn Expire> = Arc::downgrade(shared) as Weak<Shared<Y, S, R, E>>;
        deadline::arm(weak, t)
    });
    if let Some(t) = total {
        shared.report_progress(Progress::new(0, t), None);
    }
    let result = if shared.control.quit_requested() {
        None // quit before the body ever ran
    } else {
        let port: Arc<dyn Port<Y, S>> = shared.clone();
        let mut cx = Context::new(port, total);
        Some(catch_unwind(AssertUnwindSafe(move || body.call(&mut cx))))
    };
    let (quit, unreceived) = shared.control.close();
    drop(armed);
    if !unreceived.is_empty() {
        shared.mailbox.push(Event::Warned(format!(
            "{} value(s) sent to worker '{}' were never received",
            unreceived.len(),
            shared.name()
        )));
    }
    drop(unreceived);
    let timed_out = shared.timed_out.load(Ordering::Acquire);
    let outcome = match result {
        None | Some(Ok(_)) if timed_out => {
            Event::Errored(WorkerError::TimedOut(timeout.unwrap_or_default()))
        }
        None => Event::Aborted,
        Some(Err(panic)) => Event::Errored(WorkerError::Panicked(panic_message(&*panic))),
        Some(Ok(_)) if quit => Event::Aborted,
        Some(Ok(Ok(r))) => Event::Returned(r),
        Some(Ok(Err(e))) => Event::Errored(WorkerError::Failed(e)),
    };
    shared.mailbox.push_end(outcome);
    // Values discarded by a quit are freed here, on this pool thread, not on the GUI thread.
    drop(shared.mailbox.take_graveyard(quit));
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

    /// The delivery policy.
    pub fn policy(&self) -> Policy {
        self.shared.mailbox.policy()
    }

    /// The newest status line the body reported (`Context::progress_text`), if any. The Qt
    /// layer reads it as it delivers progress.
    pub fn status(&self) -> Option<String> {
        self.shared.mailbox.status()
    }

    /// The timeout set for this worker, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.shared.read_rare(|r| r.timeout).flatten()
    }

    /// `n` values that a holding receiver delivered were taken by their consumer (see
    /// `Receiver::set_hold`): a `Bounded` producer may go on. Nothing for other policies.
    pub(crate) fn release_held(&self, n: usize) {
        if n > 0 {
            self.shared.mailbox.release(n);
        }
    }

    /// Renames the worker (shown in logs and `await_workers` errors).
    pub fn set_name(&self, name: &str) {
        self.shared.write_rare(|r| r.name = name.to_string());
    }

    /// What the host keeps with this task (see [`Host`]).
    pub(crate) fn host(&self) -> Host {
        Host::new(self.shared.mailbox.id(), self.shared.kind)
    }

    /// The task's shared state (the Qt layer's task list holds it as its row's source).
    pub(crate) fn shared(&self) -> &Arc<Shared<Y, S, R, E>> {
        &self.shared
    }

    /// Changes the unstarted task: `f` gets its policy setter's mailbox, its timeout and its
    /// progress total. `false` (and `f` is not called) once it was started.
    pub(crate) fn configure(&self, f: impl FnOnce(Unstarted<'_, Y, S, R, E>)) -> bool {
        if self.is_started() {
            return false;
        }
        f(Unstarted(&self.shared));
        true
    }
}

/// The settings of a task that has not started (see [`Handle::configure`]).
pub(crate) struct Unstarted<'a, Y, S, R, E>(&'a Shared<Y, S, R, E>);

impl<Y, S, R, E> Unstarted<'_, Y, S, R, E> {
    pub(crate) fn set_policy(&self, policy: Policy) {
        self.0.mailbox.set_policy(policy);
    }

    pub(crate) fn set_timeout(&self, timeout: Option<Duration>) {
        self.0.set_rare(timeout.is_some(), |r| r.timeout = timeout);
    }

    /// Sets the total while the body is pending (under its lock: a pool thread that takes
    /// the body reads the total after it, so it sees this or nothing changes).
    pub(crate) fn set_progress_total(&self, total: Option<u64>) {
        let pending = lock(&self.0.pending);
        if pending.is_some() {
            self.0
                .set_rare(total.is_some(), |r| r.progress_total = total);
        }
    }
}

impl<Y, S, R, E> Handle<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// Starts the task on `pool` unless it was started already (`Ok(false)` then).
    pub(crate) fn start_once(&self, pool: &Pool) -> Result<bool, SpawnError> {
        if self.shared.started.swap(true, Ordering::AcqRel) {
            return Ok(false);
        }
        self.shared.submit(pool).map(|()| true)
    }
}
