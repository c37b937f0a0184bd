//! Workers as futures: a worker's outcome as a future ([`ResultFuture`], also
//! `worker.await`), a generator's yielded values as a `futures_core::Stream` that honours the
//! policy ([`YieldStream`]), and every event as a stream ([`EventStream`]).
//!
//! Each of them owns its worker (so dropping it drops the worker, which asks the work to quit)
//! and a [`Port`], the worker driver's tap (`driver::Tap`): after the typed callbacks and the
//! Qt signals saw an event, the driver hands the event itself to the port, which buffers what
//! its consumer wants and wakes it. Everything here lives on the GUI thread.
//!
//! # Protocol
//!
//! - The constructor installs the port on the driver, then starts the worker (when it was not
//!   started): events arrive from the event loop only, so none is missed.
//! - `All`: the port keeps every value in order. `Latest`: a newer value replaces one the
//!   consumer has not taken (the mailbox already keeps only the newest undelivered one).
//! - `Bounded(n)`: the driver's receiver is set to *hold* (`Receiver::set_hold`): a value
//!   handed to the port still counts as undelivered for the producer, and the port reports
//!   the values its consumer takes (`Handle::release_held`) every `n/4` takes and whenever its
//!   buffer runs empty. So at most `n` values wait, in the mailbox and the port together, and
//!   a stream that is not polled blocks the producer: the stream is a receiver that does not
//!   take.
//! - **Chunks.** The driver hands a stream's values to its port as it drains them; once the
//!   port holds a chunk of values ([`chunk_for`]: 64 KiB of them, at most [`STREAM_CHUNK`];
//!   a quarter of `n` under `Bounded(n)`) and has woken its consumer, `put` asks the drain to
//!   stop, and the hub drains the worker again after the consumer ran (`hub.rs`, step 5). So
//!   a fast stream's values go from the mailbox to the consumer a chunk at a time, while they
//!   are in the cache, not a whole batch (up to a million values) at once. This changes no
//!   order and no count; it asks once per poll of the consumer, so a consumer that is not
//!   polling this stream does not make the drain stop at every value.
//! - Once quit was requested (`quit()`, dropping, the application's quit), the values in the
//!   port are dropped, as the mailbox drops its own: no value is handed out after `quit()`.
//!
//! # Invariants
//!
//! - The port is settled once: `finished` becomes true when `Finished` is delivered or the
//!   driver closes the port (the `QWorker` was destroyed, the owner let go); an outcome
//!   missing then is `Aborted` (the work was asked to quit).
//! - The consumer's waker is taken and woken after the port's state changed, never while a
//!   borrow of the port is held.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::{FusedStream, Stream};

use super::driver::{StartError, Tap};
use super::worker::{FunctionWorker, GeneratorWorker, WorkerBase};
use crate::{Event, NoYield, Policy, WorkerError, WorkerState};

/// Why awaiting a worker gave no returned value.
///
/// ```
/// use qworker::future::Stopped;
/// let s: Stopped<String> = Stopped::Aborted;
/// assert_eq!(s.to_string(), "the worker was aborted");
/// ```
#[derive(Debug)]
pub enum Stopped<E> {
    /// Quit was requested before the body returned (`quit()`, dropping the worker, the
    /// destruction of its `QWorker`, the application's quit).
    Aborted,
    /// The body failed or panicked (as delivered to `errored`).
    Errored(WorkerError<E>),
    /// The worker could not be started.
    NotStarted(StartError),
    /// It had finished before it was awaited: its outcome went to its callbacks and signals
    /// only (await it, or stream it, before it finishes).
    AlreadyFinished,
}

impl<E: fmt::Display> fmt::Display for Stopped<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopped::Aborted => f.write_str("the worker was aborted"),
            Stopped::Errored(e) => e.fmt(f),
            Stopped::NotStarted(e) => write!(f, "the worker could not start: {e}"),
            Stopped::AlreadyFinished => {
                f.write_str("the worker had finished before it was awaited")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Stopped<E> {}

/// The most values a stream's port takes before the driver stops its drain and lets the
/// consumer run (the module's protocol, "Chunks"): 64 KiB of them, at most 4,096
/// ([`chunk_for`]).
const STREAM_CHUNK: usize = 4096;

/// A stream's chunk: under `Bounded(n)` a quarter of `n` (when its consumer reports its takes,
/// so the producer is released as the consumer runs; a chunk of `n` would never fill), else
/// 64 KiB of values, at least 16 and at most [`STREAM_CHUNK`]. W10 (`u64` values, 7–11 runs
/// each, alternating): with `All`, 64 → 31.0M values/s, 256 → 32.5M–33.6M, 1024 → 33.5M–35.4M,
/// 4096 → 35.4M; with `Bounded(1024)`, 256 → 16.6M–21.4M, 1024 → 10.7M.
fn chunk_for<Y>(release_every: usize) -> usize {
    if release_every > 0 {
        return release_every;
    }
    ((64 << 10) / std::mem::size_of::<Y>().max(1)).clamp(16, STREAM_CHUNK)
}

/// What a port keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Yielded values (a `YieldStream`) and the outcome.
    Values,
    /// Every event (an `EventStream`).
    Events,
    /// The outcome only (a `ResultFuture`).
    Outcome,
}

/// The tap one async consumer puts on a worker's driver (see the module's protocol).
struct Port<Y, R, E> {
    mode: Cell<Mode>,
    latest: bool,
    /// Bounded: report takes every this many values; 0 when not holding.
    release_every: usize,
    /// Values taken and not reported yet (holding only).
    taken: Cell<usize>,
    /// Reports takes to the producer (holding only: a result future or an unbounded stream
    /// needs none, and pays no box for it).
    release: Option<Box<dyn Fn(usize)>>,
    values: RefCell<VecDeque<Y>>,
    events: RefCell<VecDeque<Event<Y, R, E>>>,
    outcome: RefCell<Option<Result<R, Stopped<E>>>>,
    finished: Cell<bool>,
    waker: RefCell<Option<Waker>>,
    /// A drain stopped for the consumer and it has not polled since ("Chunks").
    yielded_to: Cell<bool>,
}

impl<Y, R, E> Port<Y, R, E> {
    fn wake(&self) {
        let w = self.waker.borrow_mut().take();
        if let Some(w) = w {
            w.wake();
        }
    }

    fn register(&self, cx: &Context<'_>) {
        let mut w = self.waker.borrow_mut();
        match w.as_ref() {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => *w = Some(cx.waker().clone()),
        }
    }

    /// `n` values left the port (taken or dropped): report them when holding.
    fn took(&self, n: usize, empty: bool) {
        if self.release_every == 0 || n == 0 {
            return;
        }
        let t = self.taken.get() + n;
        if t >= self.release_every || empty {
            self.taken.set(0);
            if let Some(release) = &self.release {
                release(t);
            }
        } else {
            self.taken.set(t);
        }
    }

    fn pop_value(&self) -> Option<Y> {
        let (v, empty) = {
            let mut q = self.values.borrow_mut();
            let v = q.pop_front();
            (v, q.is_empty())
        };
        if v.is_some() {
            self.took(1, empty);
        }
        v
    }

    fn pop_event(&self) -> Option<Event<Y, R, E>> {
        let (ev, empty) = {
            let mut q = self.events.borrow_mut();
            let ev = q.pop_front();
            (ev, q.is_empty())
        };
        if matches!(ev, Some(Event::Yielded(_))) {
            self.took(1, empty);
        }
        ev
    }

    /// Quit was requested: the values not handed out yet go (see the protocol).
    fn drop_values(&self) {
        let values = std::mem::take(&mut *self.values.borrow_mut());
        let mut n = values.len();
        let mut events = self.events.borrow_mut();
        if events.iter().any(|e| matches!(e, Event::Yielded(_))) {
            let before = events.len();
            events.retain(|e| !matches!(e, Event::Yielded(_)));
            n += before - events.len();
        }
        drop(events);
        self.took(n, true);
        drop(values);
    }

    /// Keeps nothing but the outcome from now on.
    fn outcome_only(&self) {
        self.drop_values();
        self.events.borrow_mut().clear();
        self.mode.set(Mode::Outcome);
    }

    fn settle(&self, outcome: Result<R, Stopped<E>>) {
        let mut o = self.outcome.borrow_mut();
        if o.is_none() {
            *o = Some(outcome);
        }
    }
}

impl<Y, R, E> Tap<Y, R, E> for Port<Y, R, E> {
    fn put(&self, ev: Event<Y, R, E>) -> bool {
        if self.finished.get() {
            return true;
        }
        let mut go_on = true;
        match self.mode.get() {
            Mode::Events => {
                let mut q = self.events.borrow_mut();
                if matches!(ev, Event::Finished) {
                    self.finished.set(true);
                }
                if self.latest
                    && matches!(ev, Event::Yielded(_))
                    && let Some(i) = q.iter().rposition(|e| matches!(e, Event::Yielded(_)))
                {
                    q.remove(i);
                }
                q.push_back(ev);
            }
            mode => match ev {
                Event::Yielded(v) if mode == Mode::Values => {
                    let waiting = {
                        let mut q = self.values.borrow_mut();
                        if self.latest {
                            q.clear();
                        }
                        q.push_back(v);
                        q.len()
                    };
                    // Once per poll of the consumer: a consumer that does not poll this
                    // stream now does not make the drain stop at every value.
                    go_on = waiting < chunk_for::<Y>(self.release_every)
                        || self.yielded_to.replace(true);
                }
                Event::Yielded(_) => {}
                Event::Returned(r) => self.settle(Ok(r)),
                Event::Errored(e) => self.settle(Err(Stopped::Errored(e))),
                Event::Aborted => self.settle(Err(Stopped::Aborted)),
                Event::Finished => self.finished.set(true),
                _ => return true, // nothing this consumer waits for
            },
        }
        self.wake();
        go_on
    }

    fn receives(&self, ev: &Event<Y, R, E>) -> bool {
        match self.mode.get() {
            Mode::Events => true,
            _ => ev.is_outcome(),
        }
    }

    fn close(&self) {
        if self.finished.replace(true) {
            return;
        }
        if self.mode.get() == Mode::Events {
            let mut q = self.events.borrow_mut();
            if !q.iter().any(Event::is_outcome) {
                q.push_back(Event::Aborted);
            }
            q.push_back(Event::Finished);
        } else {
            self.settle(Err(Stopped::Aborted));
        }
        self.wake();
    }
}

/// The worker a future or stream owns: a generator keeps its controls.
enum Owned<Y, S, R, E> {
    Generator(GeneratorWorker<Y, S, R, E>),
    Base(WorkerBase<Y, S, R, E>),
}

impl<Y, S, R, E> Owned<Y, S, R, E> {
    fn base(&self) -> &WorkerBase<Y, S, R, E> {
        match self {
            Owned::Generator(g) => g,
            Owned::Base(b) => b,
        }
    }

    fn generator(&self) -> Option<&GeneratorWorker<Y, S, R, E>> {
        match self {
            Owned::Generator(g) => Some(g),
            Owned::Base(_) => None,
        }
    }
}

/// Installs a port of `mode` on `base`'s driver and starts the worker.
fn attach<Y, S, R, E>(base: &WorkerBase<Y, S, R, E>, mode: Mode, call: &str) -> Rc<Port<Y, R, E>>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    let driver = base.typed(call);
    let policy = driver.ctl.handle.policy();
    let hold = mode != Mode::Outcome && matches!(policy, Policy::Bounded(_));
    let release: Option<Box<dyn Fn(usize)>> = hold.then(|| {
        let handle = driver.ctl.handle.clone();
        Box::new(move |n| handle.release_held(n)) as Box<dyn Fn(usize)>
    });
    let release_every = match policy {
        Policy::Bounded(n) if hold => (n / 4).max(1),
        _ => 0,
    };
    let port = Rc::new(Port {
        mode: Cell::new(mode),
        latest: policy == Policy::Latest,
        release_every,
        taken: Cell::new(0),
        release,
        values: RefCell::new(VecDeque::new()),
        events: RefCell::new(VecDeque::new()),
        outcome: RefCell::new(None),
        finished: Cell::new(false),
        waker: RefCell::new(None),
        yielded_to: Cell::new(false),
    });
    if driver.delivered_state() == WorkerState::Finished {
        port.settle(Err(Stopped::AlreadyFinished));
        port.finished.set(true);
        return port;
    }
    driver.set_tap(Some(port.clone() as Rc<dyn Tap<Y, R, E>>), hold);
    match base.start() {
        Ok(()) | Err(StartError::AlreadyStarted) => {}
        Err(e) => {
            driver.set_tap(None, false);
            port.settle(Err(Stopped::NotStarted(e)));
            port.finished.set(true);
        }
    }
    port
}

/// Takes the tap off the driver (the consumer is going; the worker goes with it).
fn detach<Y, S, R, E>(base: &WorkerBase<Y, S, R, E>)
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    if let Some(d) = base.gui() {
        d.set_tap(None, false);
    }
}

/// A worker's outcome as a future: `Ok(returned value)`, or why there is none
/// ([`Stopped`]). Made by `worker.result()` or `worker.await` (`IntoFuture`), which start the
/// worker if it was not started.
///
/// It owns the worker: **dropping the future drops the worker, which asks the work to quit**
/// (so `qworker::timeout(d, worker.result())` stops the work when the time is up). While it is
/// pending, [`worker`](ResultFuture::worker) reaches the worker (`quit()`, `progress()`,
/// `state()`).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let worker = qworker::function(|| -> Result<u64, qworker::BoxError> { Ok((1..=20).product()) });
/// let product = worker.await?; // Result<u64, Stopped<BoxError>>
/// assert_eq!(product, 2_432_902_008_176_640_000);
/// # Ok(()) }
/// ```
pub struct ResultFuture<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    port: Rc<Port<Y, R, E>>,
    owned: Owned<Y, S, R, E>,
    done: bool,
}

impl<Y, S, R, E> fmt::Debug for ResultFuture<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultFuture")
            .field("worker", self.owned.base())
            .field("done", &self.done)
            .finish()
    }
}

impl<Y, S, R, E> ResultFuture<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn new(owned: Owned<Y, S, R, E>) -> Self {
        let port = attach(owned.base(), Mode::Outcome, "result");
        ResultFuture {
            port,
            owned,
            done: false,
        }
    }

    /// The worker being awaited.
    pub fn worker(&self) -> &WorkerBase<Y, S, R, E> {
        self.owned.base()
    }

    /// The generator being awaited (pause, resume, send), `None` for a function worker.
    pub fn generator(&self) -> Option<&GeneratorWorker<Y, S, R, E>> {
        self.owned.generator()
    }
}

impl<Y, S, R, E> Future for ResultFuture<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    type Output = Result<R, Stopped<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.done,
            "qworker: a ResultFuture was polled after it completed"
        );
        if this.port.finished.get() {
            let out = this.port.outcome.borrow_mut().take();
            this.done = true;
            return Poll::Ready(out.unwrap_or(Err(Stopped::Aborted)));
        }
        this.port.register(cx);
        Poll::Pending
    }
}

impl<Y, S, R, E> Drop for ResultFuture<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn drop(&mut self) {
        detach(self.owned.base());
    }
}

/// A generator's yielded values as a [`Stream`], honouring its policy: `All` every value in
/// order; `Bounded(n)` every value in order, and the producer blocks while `n` values wait
/// for this stream (a stream that is not polled holds the producer); `Latest` the newest value
/// (older ones it did not take are dropped). The stream ends after the worker finished; the
/// outcome is then [`into_result`](YieldStream::into_result).
///
/// It owns the worker: **dropping the stream drops the worker, which asks the work to
/// quit**. [`worker`](YieldStream::worker) reaches it meanwhile (`pause`, `send`, `quit`,
/// `progress`). Made by [`GeneratorWorker::stream`], which starts the worker.
///
/// ```no_run
/// use futures_core::Stream;
/// use qworker::{BoxError, Context, Policy};
/// # async fn f() {
/// let worker = qworker::generator(|cx: &mut Context<u32>| -> Result<&str, BoxError> {
///     for i in 0..100 {
///         cx.yield_(i)?;
///     }
///     Ok("done")
/// })
/// .policy(Policy::Bounded(16));
/// let mut values = worker.stream();
/// // With futures-util: `while let Some(v) = values.next().await { ... }`
/// let v = std::future::poll_fn(|cx| std::pin::Pin::new(&mut values).poll_next(cx)).await;
/// assert_eq!(v, Some(0));
/// # }
/// ```
pub struct YieldStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    port: Rc<Port<Y, R, E>>,
    worker: Option<GeneratorWorker<Y, S, R, E>>,
    ended: bool,
}

impl<Y, S, R, E> fmt::Debug for YieldStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YieldStream")
            .field("worker", &self.worker)
            .field("buffered", &self.port.values.borrow().len())
            .field("ended", &self.ended)
            .finish()
    }
}

impl<Y, S, R, E> YieldStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// The generator being streamed: pause, resume, send, quit, progress.
    pub fn worker(&self) -> &GeneratorWorker<Y, S, R, E> {
        self.worker
            .as_ref()
            .expect("the worker is owned until into_result")
    }

    /// Values received and not taken yet.
    pub fn queued(&self) -> usize {
        self.port.values.borrow().len()
    }

    /// The outcome, as a future: ready at once after the stream ended; before that, values
    /// not taken are dropped and it waits for the worker to finish.
    ///
    /// ```no_run
    /// # async fn f(values: qworker::future::YieldStream<u32, (), String, qworker::BoxError>) {
    /// match values.into_result().await {
    ///     Ok(text) => println!("returned {text}"),
    ///     Err(stopped) => println!("{stopped}"),
    /// }
    /// # }
    /// ```
    pub fn into_result(mut self) -> ResultFuture<Y, S, R, E> {
        let worker = self.worker.take().expect("owned until here");
        self.port.outcome_only();
        if let Some(d) = worker.gui() {
            // Values go to the callbacks only from here on; nothing is held back.
            d.set_tap(Some(self.port.clone() as Rc<dyn Tap<Y, R, E>>), false);
        }
        ResultFuture {
            port: self.port.clone(),
            owned: Owned::Generator(worker),
            done: false,
        }
    }
}

impl<Y, S, R, E> Stream for YieldStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    type Item = Y;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Y>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        this.port.yielded_to.set(false);
        if this.worker().is_abort_requested() {
            this.port.drop_values();
        }
        if let Some(v) = this.port.pop_value() {
            return Poll::Ready(Some(v));
        }
        if this.port.finished.get() {
            this.ended = true;
            return Poll::Ready(None);
        }
        this.port.register(cx);
        Poll::Pending
    }
}

impl<Y, S, R, E> FusedStream for YieldStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl<Y, S, R, E> Drop for YieldStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn drop(&mut self) {
        if let Some(w) = &self.worker {
            detach(w);
        }
    }
}

/// Every event of a worker, owned, in order, as a [`Stream`]: `Started`, values (under the
/// worker's policy, as in [`YieldStream`]), progress, warnings, pause and resume, the outcome
/// (`Returned(value)`, `Errored`, `Aborted`) and `Finished`, then the end. Iced's "sipper":
/// progress and the result from one stream.
///
/// It owns the worker: **dropping the stream drops the worker, which asks the work to quit**.
/// Made by `worker.events()`, which starts the worker.
///
/// ```no_run
/// use futures_core::Stream;
/// use qworker::{BoxError, Context, Event};
/// # async fn f() {
/// let worker = qworker::function_with_context(|cx: &mut Context| -> Result<u32, BoxError> {
///     for i in 0..10 {
///         cx.progress(i + 1, 10)?;
///     }
///     Ok(7)
/// });
/// let mut events = worker.events();
/// while let Some(ev) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx)).await {
///     match ev {
///         Event::Progress(p) => println!("{} of {}", p.done, p.total),
///         Event::Returned(v) => println!("returned {v}"),
///         other => println!("{}", other.kind()),
///     }
/// }
/// # }
/// ```
pub struct EventStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    port: Rc<Port<Y, R, E>>,
    owned: Owned<Y, S, R, E>,
    ended: bool,
}

impl<Y, S, R, E> fmt::Debug for EventStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("worker", self.owned.base())
            .field("buffered", &self.port.events.borrow().len())
            .field("ended", &self.ended)
            .finish()
    }
}

impl<Y, S, R, E> EventStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn new(owned: Owned<Y, S, R, E>) -> Self {
        // Not started, or finished before this call: the stream ends at once.
        let port = attach(owned.base(), Mode::Events, "events");
        EventStream {
            port,
            owned,
            ended: false,
        }
    }

    /// The worker whose events these are.
    pub fn worker(&self) -> &WorkerBase<Y, S, R, E> {
        self.owned.base()
    }

    /// The generator (pause, resume, send), `None` for a function worker.
    pub fn generator(&self) -> Option<&GeneratorWorker<Y, S, R, E>> {
        self.owned.generator()
    }
}

impl<Y, S, R, E> Stream for EventStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    type Item = Event<Y, R, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if this.owned.base().is_abort_requested() {
            this.port.drop_values();
        }
        if let Some(ev) = this.port.pop_event() {
            return Poll::Ready(Some(ev));
        }
        if this.port.finished.get() {
            this.ended = true;
            return Poll::Ready(None);
        }
        this.port.register(cx);
        Poll::Pending
    }
}

impl<Y, S, R, E> FusedStream for EventStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl<Y, S, R, E> Drop for EventStream<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn drop(&mut self) {
        detach(self.owned.base());
    }
}

impl<Y, S, R, E> GeneratorWorker<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// The yielded values as a [`Stream`] honouring the policy; starts the worker if it was
    /// not started. The stream owns the worker (dropping it quits the work). Values delivered
    /// before this call went to the callbacks only. Call it on the GUI thread.
    ///
    /// ```no_run
    /// let values = qworker::from_iter(0..10u32).stream();
    /// assert_eq!(values.queued(), 0); // values arrive from the event loop
    /// ```
    pub fn stream(self) -> YieldStream<Y, S, R, E> {
        let port = attach(&self, Mode::Values, "stream");
        YieldStream {
            port,
            worker: Some(self),
            ended: false,
        }
    }

    /// Every event, owned, as a [`Stream`] ([`EventStream`]); starts the worker.
    pub fn events(self) -> EventStream<Y, S, R, E> {
        EventStream::new(Owned::Generator(self))
    }

    /// The outcome as a future ([`ResultFuture`]); starts the worker. Yielded values still go
    /// to the callbacks and signals. Same as `worker.await`.
    pub fn result(self) -> ResultFuture<Y, S, R, E> {
        ResultFuture::new(Owned::Generator(self))
    }
}

impl<R, E> FunctionWorker<R, E>
where
    R: Send + 'static,
    E: Send + 'static,
{
    /// Every event, owned, as a [`Stream`] ([`EventStream`]): progress, warnings, the outcome;
    /// starts the worker.
    pub fn events(self) -> EventStream<NoYield, (), R, E> {
        EventStream::new(Owned::Base(self.into_base()))
    }

    /// The returned value as a future ([`ResultFuture`]); starts the worker. Same as
    /// `worker.await`.
    ///
    /// ```no_run
    /// # async fn f() {
    /// let worker = qworker::function(|| -> Result<f64, qworker::BoxError> { Ok(0.5) });
    /// match worker.result().await {
    ///     Ok(mean) => println!("mean {mean}"),
    ///     Err(stopped) => println!("{stopped}"),
    /// }
    /// # }
    /// ```
    pub fn result(self) -> ResultFuture<NoYield, (), R, E> {
        ResultFuture::new(Owned::Base(self.into_base()))
    }
}

impl<Y, S, R, E> IntoFuture for GeneratorWorker<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    type Output = Result<R, Stopped<E>>;
    type IntoFuture = ResultFuture<Y, S, R, E>;

    fn into_future(self) -> Self::IntoFuture {
        self.result()
    }
}

impl<R, E> IntoFuture for FunctionWorker<R, E>
where
    R: Send + 'static,
    E: Send + 'static,
{
    type Output = Result<R, Stopped<E>>;
    type IntoFuture = ResultFuture<NoYield, (), R, E>;

    fn into_future(self) -> Self::IntoFuture {
        self.result()
    }
}

#[cfg(test)]
mod tests {
    use super::{STREAM_CHUNK, chunk_for};

    #[test]
    fn a_chunk_is_64_kib_of_values_within_its_bounds_or_a_quarter_of_a_bound() {
        assert_eq!(
            chunk_for::<u64>(0),
            STREAM_CHUNK,
            "8192 u64s fit: capped at 4096"
        );
        assert_eq!(chunk_for::<[u8; 64]>(0), 1024, "64 KiB of 64-byte values");
        assert_eq!(chunk_for::<[u8; 1 << 20]>(0), 16, "at least 16 of any size");
        assert_eq!(chunk_for::<()>(0), STREAM_CHUNK, "zero-sized values");
        assert_eq!(chunk_for::<u64>(256), 256, "Bounded(1024): a quarter of it");
        assert_eq!(chunk_for::<u64>(2), 2, "Bounded(8)");
    }
}
