//! The typed Rust API: build a worker from a closure, an iterator or a [`Work`] type, connect
//! typed callbacks, start it, control it, and hand its `QWorker` to QML or C++.
//!
//! A worker value owns its `QWorker`. Dropping it asks the work to quit, drops undelivered
//! events and deletes the QObject (later, if it is delivering at that moment); the thread ends
//! at its next checkpoint. [`WorkerBase::detach`] instead lets it run to the end on its own.

use std::cell::Cell;
use std::convert::Infallible;
use std::fmt::Display;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use cxx_qt::casting::Upcast;
use cxx_qt_lib::{QObjectMutPtr, QVariant};

use super::app;
use super::driver::Driver;
use super::driver::{Ctl, Kind, StartError, Typed};
use super::hub;
use super::qobject::{QWorker, ffi, new_qworker_for};
use super::variant::{FromVariant, ToVariant};
use crate::core::{
    self, Body, BoxError, Context, Event, NoYield, Options, Policy, Pool, Progress, SendError,
    State, Work, WorkerError,
};

/// What every worker can do; generator and function workers deref to it.
pub struct WorkerBase<Y, S, R, E> {
    ctl: Arc<Ctl<Y, S, R, E>>,
    /// The driver, when this value lives on the GUI thread (it is the driver's owner).
    typed: Option<Rc<Typed<Y, S, R, E>>>,
    /// The same driver, type-erased (for the hub and the QObject).
    erased: Option<Rc<dyn Driver>>,
    id: u64,
    kind: Kind,
    detached: bool,
    cpp_owned: Cell<bool>,
}

/// Moves a driver to the GUI thread when a worker is created elsewhere.
struct ToGuiThread(Rc<dyn Driver>);
// SAFETY: the only reference to the driver (none was cloned); from here on it is used on the
// GUI thread only.
unsafe impl Send for ToGuiThread {}

/// A worker that yields values of type `Y` (and returns `R`, fails with `E`, receives `S`):
/// napari's and superqt's `GeneratorWorker`. Can be paused, resumed and sent values.
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// let worker = qworker::generator(|cx: &mut Context<u64>| -> Result<&str, BoxError> {
///     for i in 0..10 {
///         cx.yield_(i)?;
///     }
///     Ok("done")
/// });
/// worker.on_yielded(|v| println!("got {v}")).on_returned(|r| println!("{r}"));
/// worker.start().unwrap();
/// ```
pub struct GeneratorWorker<Y, R = (), E = BoxError, S = ()> {
    base: WorkerBase<Y, S, R, E>,
}

/// A worker that runs a function once and returns `R` (or fails with `E`): superqt's
/// `FunctionWorker`. It cannot be paused; with a context it can be quit at `cx.check()`.
///
/// ```no_run
/// let worker = qworker::function(|| -> Result<u64, qworker::BoxError> { Ok((1..=20).product()) });
/// worker.on_returned(|v| println!("20! = {v}"));
/// worker.start().unwrap();
/// ```
///
/// Generator-only operations do not exist on it, so using them is a compile error:
///
/// ```compile_fail
/// let worker = qworker::function(|| Ok::<u8, qworker::BoxError>(1));
/// worker.pause(); // error: no method named `pause`
/// ```
///
/// ```compile_fail
/// let worker = qworker::function(|| Ok::<u8, qworker::BoxError>(1));
/// worker.send(5); // error: no method named `send`
/// ```
pub struct FunctionWorker<R, E = BoxError> {
    base: WorkerBase<NoYield, (), R, E>,
}

impl<Y, R, E, S> Deref for GeneratorWorker<Y, R, E, S> {
    type Target = WorkerBase<Y, S, R, E>;
    fn deref(&self) -> &Self::Target {
        &self.base
    }
}

impl<R, E> Deref for FunctionWorker<R, E> {
    type Target = WorkerBase<NoYield, (), R, E>;
    fn deref(&self) -> &Self::Target {
        &self.base
    }
}

/// Bounds every worker's types meet: values cross threads; QML/C++ see them as `QVariant`.
pub trait Types: Send + 'static {}
impl<T: Send + 'static> Types for T {}

/// The GUI-side driver and the thread-safe control half of one worker.
pub(crate) type DriverParts<Y, S, R, E> = (Rc<Typed<Y, S, R, E>>, Arc<Ctl<Y, S, R, E>>);

/// A typed driver: the task, its control half and its delivery half, woken through the hub.
/// Used for workers built in Rust and for registered tasks that QML or C++ start by name.
pub(crate) fn make_driver<Y, S, R, E>(
    body: Body<Y, S, R, E>,
    kind: Kind,
    options: Options,
) -> DriverParts<Y, S, R, E>
where
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    let id = hub::next_id();
    let hub = hub::hub(); // created here (usually on the GUI thread), not by a first wake
    let (task, handle, receiver) = core::task(body, options, Box::new(move || hub.wake(id)));
    let ctl = Arc::new(Ctl {
        task: Mutex::new(Some(task)),
        handle,
        pool: Mutex::new(Pool::global().clone()),
    });
    (Rc::new(Typed::new(id, ctl.clone(), receiver, kind)), ctl)
}

fn build<Y, S, R, E>(body: Body<Y, S, R, E>, kind: Kind) -> WorkerBase<Y, S, R, E>
where
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    assert!(
        ffi::has_application(),
        "qworker: create a QGuiApplication (or QCoreApplication) before creating workers"
    );
    let gui = ffi::on_gui_thread();
    if gui {
        app::install_quit_hook();
    }
    let (typed, ctl) = make_driver(body, kind, Options::default());
    let id = typed.id();
    let (typed, erased) = if gui {
        let d: Rc<dyn Driver> = typed.clone();
        hub::register(&d, false); // this value owns it
        (Some(typed), Some(d))
    } else {
        // Created in a worker's thread: the driver moves to the GUI thread and runs there
        // on its own; this value controls it through the thread-safe half.
        let moving = ToGuiThread(typed);
        hub::hub().run_on_gui(move || {
            let moving = moving;
            hub::register_from_elsewhere(moving.0);
        });
        (None, None)
    };
    WorkerBase {
        ctl,
        typed,
        erased,
        id,
        kind,
        detached: false,
        cpp_owned: Cell::new(false),
    }
}

/// A generator worker from a closure that takes a [`Context`]. `cx.yield_(v)?` delivers `v`
/// as `yielded`, honours pause and quit, and returns the value sent in, if any. The closure's
/// `Ok` value is `returned`; its `Err` is `errored`.
///
/// Call it on the GUI thread (or on a worker thread, see [`WorkerBase::on_event_send`]).
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// // napari's running mean: yield the mean image every 16 iterations.
/// let worker = qworker::generator(|cx: &mut Context<Vec<f32>>| -> Result<(), BoxError> {
///     let mut sum = vec![0f32; 64 * 64];
///     for i in 0..1024u32 {
///         sum.iter_mut().for_each(|s| *s += 0.5);
///         if i % 16 == 0 {
///             cx.yield_(sum.iter().map(|s| s / (i + 1) as f32).collect())?;
///         }
///     }
///     Ok(())
/// });
/// worker.on_yielded(|mean| println!("mean[0] = {}", mean[0]));
/// worker.start().unwrap();
/// ```
pub fn generator<Y, S, R, E, F>(body: F) -> GeneratorWorker<Y, R, E, S>
where
    F: FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static,
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    GeneratorWorker {
        base: build(Box::new(body), Kind::Generator),
    }
}

/// A function worker: runs `f` once on a pool thread; its `Ok` value is `returned`.
///
/// ```no_run
/// let worker = qworker::function(|| -> Result<f64, qworker::BoxError> {
///     Ok((0..10_000_000).map(|i| i as f64).sum::<f64>() / 10_000_000.0)
/// });
/// worker.on_returned(|mean| println!("mean: {mean}"));
/// worker.start().unwrap();
/// ```
pub fn function<R, E, F>(f: F) -> FunctionWorker<R, E>
where
    F: FnOnce() -> Result<R, E> + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    FunctionWorker {
        base: build(core::function_body(f), Kind::Function),
    }
}

/// A function worker whose body gets a [`Context`] to report progress and warnings and to
/// call `cx.check()`, so `quit()` can stop it (superqt's function workers cannot be stopped).
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// let worker = qworker::function_with_context(|cx: &mut Context| -> Result<u64, BoxError> {
///     let mut n = 0;
///     for i in 0..1_000u64 {
///         cx.check()?;              // quit() stops it here
///         cx.progress(i + 1, 1_000)?;
///         n += i;
///     }
///     Ok(n)
/// });
/// worker.start().unwrap();
/// ```
pub fn function_with_context<R, E, F>(f: F) -> FunctionWorker<R, E>
where
    F: FnOnce(&mut Context) -> Result<R, E> + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    FunctionWorker {
        base: build(Box::new(f), Kind::Function),
    }
}

/// A generator worker that yields every item of an iterator (`returned` has no payload).
///
/// ```no_run
/// let worker = qworker::from_iter((0..5).map(|i| i * i));
/// worker.on_yielded(|sq| println!("{sq}"));
/// worker.start().unwrap();
/// ```
pub fn from_iter<I>(iter: I) -> GeneratorWorker<I::Item, (), Infallible, ()>
where
    I: IntoIterator + Send + 'static,
    I::Item: ToVariant + Send + 'static,
{
    GeneratorWorker {
        base: build(core::iter_body(iter), Kind::Generator),
    }
}

/// A generator worker from a [`Work`] type of your own (superqt's `WorkerBase` subclass).
///
/// ```no_run
/// use qworker::{Aborted, Context, Work};
/// struct Countdown(u32);
/// impl Work for Countdown {
///     type Yield = u32;
///     type Input = ();
///     type Output = &'static str;
///     type Error = Aborted;
///     fn work(&mut self, cx: &mut Context<u32>) -> Result<&'static str, Aborted> {
///         while self.0 > 0 {
///             cx.yield_(self.0)?;
///             self.0 -= 1;
///         }
///         Ok("liftoff")
///     }
/// }
/// let worker = qworker::from_work(Countdown(3));
/// worker.start().unwrap();
/// ```
pub fn from_work<W>(work: W) -> GeneratorWorker<W::Yield, W::Output, W::Error, W::Input>
where
    W: Work,
    W::Yield: ToVariant,
    W::Input: FromVariant,
    W::Output: ToVariant,
    W::Error: Display,
{
    GeneratorWorker {
        base: build(core::work_body(work), Kind::Generator),
    }
}

impl<Y, S, R, E> WorkerBase<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn typed(&self, call: &str) -> &Typed<Y, S, R, E> {
        match &self.typed {
            Some(t) => t,
            None => panic!(
                "qworker: `{call}` connects a callback that runs on the GUI thread, so it must be \
                 called there; this worker was created on another thread: use `on_event_send`"
            ),
        }
    }

    /// Starts the work on its pool. Events arrive from the event loop only, never inside
    /// this call, so callbacks and connections made right after it miss nothing.
    /// A second call returns [`StartError::AlreadyStarted`] and does not start it twice.
    pub fn start(&self) -> Result<(), StartError> {
        if self.typed.as_ref().is_some_and(|t| t.qobject_gone()) {
            return Err(StartError::Destroyed);
        }
        self.ctl.start()
    }

    /// Requests quit: the body stops at its next checkpoint (also while paused); `aborted`
    /// then `finished` follow. Never blocks.
    pub fn quit(&self) {
        self.ctl.handle.quit();
    }

    /// The state as delivered to this thread so far (not the request).
    pub fn state(&self) -> State {
        match &self.typed {
            Some(t) => t.delivered_state(),
            None if self.ctl.handle.is_done() => State::Finished,
            None if self.ctl.handle.is_started() => State::Running,
            None => State::Pending,
        }
    }

    /// `true` between the delivered `started` and `finished` (paused included).
    pub fn is_running(&self) -> bool {
        self.state().is_running()
    }

    /// `true` between the delivered `paused` and `resumed`.
    pub fn is_paused(&self) -> bool {
        self.state() == State::Paused
    }

    /// `true` once `finished` was delivered.
    pub fn is_finished(&self) -> bool {
        self.state() == State::Finished
    }

    /// `true` once quit was requested.
    pub fn is_abort_requested(&self) -> bool {
        self.ctl.handle.is_abort_requested()
    }

    /// The latest delivered progress.
    pub fn progress(&self) -> Progress {
        self.typed
            .as_ref()
            .map(|t| t.delivered_progress())
            .unwrap_or_default()
    }

    /// The worker's name (logs, `await_workers` errors, QML's `name`).
    pub fn name(&self) -> String {
        self.ctl.handle.name()
    }

    /// `"function"` or `"generator"`.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The `QWorker` QObject, to expose to QML or C++ (for example as a context property or
    /// an initial property). Made on the first call (workers used only from Rust never pay
    /// for a QObject); it lives as long as this value (or until `finished` when detached).
    /// `None` off the GUI thread, or once the object was destroyed.
    pub fn qobject_ptr(&self) -> Option<*mut QWorker> {
        let t = self.typed.as_ref()?;
        if let Some(p) = t.qobject() {
            return Some(p);
        }
        if t.qobject_gone() {
            return None;
        }
        let mut obj = new_qworker_for(self.erased.clone()?);
        // Handed out to QML or C++: keep QML's garbage collector away from it (this value
        // owns it).
        if !self.cpp_owned.replace(true) {
            let o: Pin<&mut cxx_qt::QObject> = obj.pin_mut().upcast_pin();
            ffi::set_cpp_ownership(o);
        }
        Some(obj.into_raw())
    }

    /// The `QWorker` as a `QVariant` holding its `QObject*`, for QML properties and models.
    ///
    /// ```no_run
    /// # use cxx_qt_lib::{QMap, QMapPair_QString_QVariant, QString};
    /// let worker = qworker::from_iter(0..3);
    /// let mut props = QMap::<QMapPair_QString_QVariant>::default();
    /// props.insert(QString::from("worker"), worker.to_qvariant());
    /// // engine.set_initial_properties(&props); then in QML: `required property var worker`
    /// ```
    pub fn to_qvariant(&self) -> QVariant {
        match self.qobject_ptr() {
            Some(p) => {
                // SAFETY: `p` is alive (checked above); QWorker is a QObject subclass.
                let o = unsafe { <QWorker as Upcast<cxx_qt::QObject>>::upcast_ptr(p) }.cast_mut();
                QVariant::from(&unsafe { QObjectMutPtr::from_raw(o) })
            }
            None => QVariant::default(),
        }
    }

    /// Calls `f` on the GUI thread with the `QWorker`, if it still exists. For connecting
    /// cxx-qt signal handlers or reading properties from Rust.
    pub fn with_qobject<T>(&self, f: impl FnOnce(Pin<&mut QWorker>) -> T) -> Option<T> {
        let p = self.qobject_ptr()?;
        // SAFETY: alive (just checked or made), on its thread; the reference lives for `f`,
        // as the one cxx-qt hands to an invokable.
        Some(f(unsafe { Pin::new_unchecked(&mut *p) }))
    }

    /// Runs the worker to its end on its own: the `QWorker` deletes itself after `finished`.
    /// Starts it first if it was not started.
    pub fn detach(mut self) -> Result<(), StartError> {
        match self.start() {
            Ok(()) | Err(StartError::AlreadyStarted) => {}
            Err(e) => return Err(e),
        }
        self.detached = true;
        if let (Some(t), Some(d)) = (&self.typed, &self.erased) {
            t.detached.set(true);
            hub::register(d, true); // it now keeps itself alive until `finished`
            if t.delivered_state() == State::Finished {
                hub::unregister(self.id);
                d.after_finished();
            }
        }
        // Off the GUI thread the driver already runs on its own.
        Ok(())
    }

    // ---- typed callbacks (GUI thread) ----

    /// Connects a callback to `started`.
    pub fn on_started(&self, f: impl FnMut() + 'static) -> &Self {
        self.typed("on_started").callbacks.started.add(Box::new(f));
        self
    }

    /// Connects a callback to `returned`; it gets the body's `Ok` value.
    pub fn on_returned(&self, f: impl FnMut(&R) + 'static) -> &Self {
        self.typed("on_returned")
            .callbacks
            .returned
            .add(Box::new(f));
        self
    }

    /// Connects a callback to `errored`; it gets the error value or the panic message.
    /// With no `errored` receiver at all, errors are logged through Qt's message handler.
    pub fn on_errored(&self, f: impl FnMut(&WorkerError<E>) + 'static) -> &Self {
        self.typed("on_errored").callbacks.errored.add(Box::new(f));
        self
    }

    /// Connects a callback to `warned`.
    pub fn on_warned(&self, f: impl FnMut(&str) + 'static) -> &Self {
        self.typed("on_warned").callbacks.warned.add(Box::new(f));
        self
    }

    /// Connects a callback to progress (coalesced: the newest value, never a backlog).
    pub fn on_progress(&self, f: impl FnMut(Progress) + 'static) -> &Self {
        self.typed("on_progress")
            .callbacks
            .progress
            .add(Box::new(f));
        self
    }

    /// Connects a callback to `aborted` (quit was requested before the body returned).
    pub fn on_aborted(&self, f: impl FnMut() + 'static) -> &Self {
        self.typed("on_aborted").callbacks.aborted.add(Box::new(f));
        self
    }

    /// Connects a callback to `finished`, the last event, delivered once.
    pub fn on_finished(&self, f: impl FnMut() + 'static) -> &Self {
        self.typed("on_finished")
            .callbacks
            .finished
            .add(Box::new(f));
        self
    }

    /// Connects a callback that sees every event, in order (before the per-signal ones).
    pub fn on_event(&self, f: impl FnMut(&Event<Y, R, E>) + 'static) -> &Self {
        self.typed("on_event").callbacks.event.add(Box::new(f));
        self
    }

    /// Like [`on_event`](Self::on_event), but callable from any thread: for a worker created
    /// and started inside another worker's body. The callback still runs on the GUI thread.
    pub fn on_event_send(&self, f: impl FnMut(&Event<Y, R, E>) + Send + 'static) -> &Self
    where
        Y: 'static,
    {
        match &self.typed {
            Some(t) => t.callbacks.event.add(Box::new(f)),
            None => {
                // Runs before any delivery: posted to the hub before `start()` can wake it.
                let id = self.id;
                hub::hub().run_on_gui(move || {
                    if let Some(d) = hub::lookup(id)
                        && let Some(t) = d.as_any().downcast_ref::<Typed<Y, S, R, E>>()
                    {
                        t.callbacks.event.add(Box::new(f));
                    }
                });
            }
        }
        self
    }
}

impl<Y, R, E, S> GeneratorWorker<Y, R, E, S>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// How yielded values are delivered (default [`Policy::All`]); before `start()`.
    pub fn policy(self, policy: Policy) -> Self {
        self.base.ctl.with_task(|t| t.set_policy(policy));
        self
    }

    /// A total set up front: each `yield_` counts one unit of progress (napari's behaviour);
    /// before `start()`.
    pub fn progress_total(self, total: u64) -> Self {
        self.base
            .ctl
            .with_task(|t| t.set_progress_total(Some(total)));
        self
    }

    /// Names the worker (logs, `await_workers`, QML's `name`).
    pub fn name(self, name: &str) -> Self {
        self.base.ctl.handle.set_name(name);
        self
    }

    /// Runs on `pool` instead of [`Pool::global`]; before `start()`.
    pub fn pool(self, pool: &Pool) -> Self {
        *self.base.ctl.pool.lock().unwrap_or_else(|p| p.into_inner()) = pool.clone();
        self
    }

    /// Requests a pause: the worker parks at its next checkpoint (no CPU) and `paused` is
    /// delivered then. The latest request wins.
    pub fn pause(&self) {
        self.base.ctl.handle.pause();
    }

    /// Lifts the pause request: a parked worker delivers `resumed` and goes on.
    pub fn resume(&self) {
        self.base.ctl.handle.resume();
    }

    /// Flips the pause request; returns the new request (`true`: pause requested).
    pub fn toggle_pause(&self) -> bool {
        self.base.ctl.handle.toggle_pause()
    }

    /// Queues `value` for the body: each `yield_` receives the oldest value not received yet.
    /// Refused (the value comes back) once the body has returned.
    pub fn send(&self, value: S) -> Result<(), SendError<S>> {
        self.base.ctl.handle.send(value)
    }

    /// Connects a callback to `yielded`; it gets the value itself (no conversion).
    pub fn on_yielded(&self, f: impl FnMut(&Y) + 'static) -> &Self {
        self.base
            .typed("on_yielded")
            .callbacks
            .yielded
            .add(Box::new(f));
        self
    }

    /// Connects a callback to `paused` (the worker is parked).
    pub fn on_paused(&self, f: impl FnMut() + 'static) -> &Self {
        self.base
            .typed("on_paused")
            .callbacks
            .paused
            .add(Box::new(f));
        self
    }

    /// Connects a callback to `resumed`.
    pub fn on_resumed(&self, f: impl FnMut() + 'static) -> &Self {
        self.base
            .typed("on_resumed")
            .callbacks
            .resumed
            .add(Box::new(f));
        self
    }

    /// Runs the worker to its end on its own (see [`WorkerBase::detach`]).
    pub fn detach(self) -> Result<(), StartError> {
        self.base.detach()
    }
}

impl<R, E> FunctionWorker<R, E>
where
    R: Send + 'static,
    E: Send + 'static,
{
    /// Names the worker (logs, `await_workers`, QML's `name`).
    pub fn name(self, name: &str) -> Self {
        self.base.ctl.handle.set_name(name);
        self
    }

    /// Runs on `pool` instead of [`Pool::global`]; before `start()`.
    pub fn pool(self, pool: &Pool) -> Self {
        *self.base.ctl.pool.lock().unwrap_or_else(|p| p.into_inner()) = pool.clone();
        self
    }

    /// Runs the worker to its end on its own (see [`WorkerBase::detach`]).
    pub fn detach(self) -> Result<(), StartError> {
        self.base.detach()
    }
}

impl<Y, S, R, E> Drop for WorkerBase<Y, S, R, E> {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        self.ctl.handle.quit();
        self.erased = None;
        let Some(t) = self.typed.take() else {
            // Created off the GUI thread: the driver is there; let it go there.
            let id = self.id;
            hub::hub().run_on_gui(move || hub::unregister(id));
            return;
        };
        let draining = t.is_draining();
        if draining {
            t.close_delivery(); // a callback dropped it: deliver nothing more
        }
        if let Some(p) = t.qobject() {
            if draining {
                // Inside its own delivery: the object may be on the stack (an emit).
                // SAFETY: alive (checked), deleteLater is safe anywhere.
                let o: Pin<&mut cxx_qt::QObject> =
                    unsafe { Pin::new_unchecked(&mut *p) }.upcast_pin();
                ffi::delete_later(o);
            } else {
                // SAFETY: alive (checked), owned by this value, on its thread.
                drop(unsafe { cxx::UniquePtr::from_raw(p) });
            }
        }
        hub::unregister(self.id);
    }
}
