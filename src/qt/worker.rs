//! The typed Rust API: build a worker from a closure, an iterator or a [`Work`] type, connect
//! typed callbacks, start it, control it, and hand its `QWorker` to QML or C++.
//!
//! A worker value owns its driver (and its `QWorker`, once one is made). Dropping it asks the
//! work to quit, drops undelivered events and deletes the QObject (later, if it is delivering
//! at that moment); the thread ends at its next checkpoint. `detach` instead lets it run to
//! the end on its own.
//!
//! # Type parameters
//!
//! Always in one order, the order a value meets them: `Y` what the body yields, `S` what the
//! GUI sends in, `R` what it returns, `E` its error. [`GeneratorWorker<Y, S, R, E>`],
//! [`WorkerBase<Y, S, R, E>`], [`Context<Y, S>`] and [`Event<Y, R, E>`] all follow it;
//! [`FunctionWorker<R, E>`] yields and receives nothing.

use std::cell::Cell;
use std::convert::Infallible;
use std::fmt::{self, Display};
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use cxx_qt::casting::Upcast;
use cxx_qt_lib::{QObjectMutPtr, QVariant};

use super::app;
use super::callbacks::{Callback, Signal};
use super::driver::{Controls, Driver, StartError, TypedDriver, make_driver};
use super::glue::{self, Level, log};
use super::hub::{self, Drain};
use super::qobject::{QWorker, new_qworker_for};
use super::variant::{FromVariant, ToVariant, YieldVariant};
use crate::core::{Options, SmallBody, function_fn, iter_fn, work_fn};
use crate::{
    BoxError, Context, Event, NoYield, Policy, Pool, Progress, SendError, Work, WorkerError,
    WorkerKind, WorkerState,
};

/// What every worker can do: start, quit, read the delivered state, reach its `QWorker`.
/// [`GeneratorWorker`] and [`FunctionWorker`] deref to it; take a `&WorkerBase<Y, S, R, E>`
/// to write code for both kinds.
pub struct WorkerBase<Y, S, R, E> {
    ctl: Controls<Y, S, R, E>,
    home: Home<Y, S, R, E>,
    /// The `QWorker` was handed out with C++ ownership (QML's garbage collector keeps off).
    cpp_owned: Cell<bool>,
}

/// Marks which typed driver a type-erased one is (for `Home::Gui`).
type Typed<Y, S, R, E> = PhantomData<fn() -> (Y, S, R, E)>;

/// Where the driver lives, from this value's point of view.
enum Home<Y, S, R, E> {
    /// Made on the GUI thread: this value owns the driver (type-erased; `gui()` gives the
    /// typed driver back).
    Gui(Rc<dyn Driver>, Typed<Y, S, R, E>),
    /// Made on another thread: the driver runs on the GUI thread on its own; this value
    /// controls it through the thread-safe half only.
    Elsewhere,
    /// Detached: the driver keeps itself until `finished`; this value is about to go.
    Released,
}

/// Moves a driver to the GUI thread when a worker is created elsewhere.
struct ToGuiThread(Rc<dyn Drain>);
// SAFETY: the only reference to the driver (none was cloned); from here on it is used on the
// GUI thread only.
unsafe impl Send for ToGuiThread {}

/// A worker that yields values of type `Y`, receives `S`, returns `R` and fails with `E`:
/// napari's and superqt's `GeneratorWorker`. Can be paused, resumed and sent values.
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// let worker = qworker::generator(|cx: &mut Context<u64>| -> Result<&str, BoxError> {
///     for i in 0..10 {
///         cx.yield_(i)?;
///     }
///     Ok("done")
/// })
/// .named("counter");
/// assert_eq!(worker.name(), "counter");
/// // Callbacks chain in any order.
/// worker.on_returned(|r| println!("{r}")).on_yielded(|v| println!("got {v}"));
/// worker.on_yielded(|v| println!("again {v}")).on_finished(|| println!("finished"));
/// worker.start().unwrap();
/// ```
pub struct GeneratorWorker<Y, S = (), R = (), E = BoxError> {
    base: WorkerBase<Y, S, R, E>,
}

/// A worker that runs a function once and returns `R` (or fails with `E`): superqt's
/// `FunctionWorker`. It cannot be paused; with a context it can be quit at `cx.check()`.
///
/// ```no_run
/// let worker = qworker::function(|| -> Result<u64, qworker::BoxError> { Ok((1..=20).product()) })
///     .named("factorial");
/// assert_eq!(worker.name(), "factorial");
/// worker.on_returned(|v| println!("20! = {v}")).on_finished(|| println!("done"));
/// worker.on_finished(|| println!("done")).on_returned(|v| println!("{v}"));
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
///
/// ```compile_fail
/// let worker = qworker::function(|| Ok::<u8, qworker::BoxError>(1));
/// worker.on_yielded(|_| {}); // error: no method named `on_yielded`
/// ```
pub struct FunctionWorker<R, E = BoxError> {
    base: WorkerBase<NoYield, (), R, E>,
}

impl<Y, S, R, E> Deref for GeneratorWorker<Y, S, R, E> {
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

impl<Y, S, R, E> fmt::Debug for WorkerBase<Y, S, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.home {
            Home::Gui(d, _) => Some(d.state()),
            _ => None,
        };
        f.debug_struct("Worker")
            .field("name", &self.ctl.handle.name())
            .field("kind", &self.ctl.kind())
            .field("state", &state)
            .field("abort_requested", &self.ctl.handle.is_abort_requested())
            .finish()
    }
}

impl<Y, S, R, E> fmt::Debug for GeneratorWorker<Y, S, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.base.fmt(f)
    }
}

impl<R, E> fmt::Debug for FunctionWorker<R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.base.fmt(f)
    }
}

fn build<Y, S, R, E>(body: SmallBody<Y, S, R, E>, kind: WorkerKind) -> WorkerBase<Y, S, R, E>
where
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    // On the GUI thread there is an application; elsewhere check (one call fewer per worker).
    let gui = app::gui_thread_with_quit_hook();
    assert!(
        gui || glue::has_application(),
        "qworker: create a QGuiApplication (or QCoreApplication) before creating workers"
    );
    let typed = make_driver(body, kind, Options::default(), gui);
    let ctl = typed.ctl.clone();
    let home = if gui {
        // Registered with the hub as it starts (`TypedDriver::enter_hub`).
        Home::Gui(typed, PhantomData)
    } else {
        // Created in a worker's thread: the driver moves to the GUI thread and runs there
        // on its own; this value controls it through the thread-safe half.
        let moving = ToGuiThread(typed);
        let id = ctl.id();
        hub::hub().run_on_gui(move || {
            let moving = moving;
            hub::register_from_elsewhere(id, moving.0);
        });
        Home::Elsewhere
    };
    WorkerBase {
        ctl,
        home,
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
pub fn generator<Y, S, R, E, F>(body: F) -> GeneratorWorker<Y, S, R, E>
where
    F: FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static,
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    GeneratorWorker {
        base: build(SmallBody::new(body), WorkerKind::Generator),
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
        base: build(SmallBody::new(function_fn(f)), WorkerKind::Function),
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
        base: build(SmallBody::new(f), WorkerKind::Function),
    }
}

/// A generator worker that yields every item of an iterator (`returned` has no payload).
///
/// ```no_run
/// let worker = qworker::from_iter((0..5).map(|i| i * i));
/// worker.on_yielded(|sq| println!("{sq}"));
/// worker.start().unwrap();
/// ```
pub fn from_iter<I>(iter: I) -> GeneratorWorker<I::Item, (), (), Infallible>
where
    I: IntoIterator + Send + 'static,
    I::Item: ToVariant + Send + 'static,
{
    GeneratorWorker {
        base: build(SmallBody::new(iter_fn(iter)), WorkerKind::Generator),
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
pub fn from_work<W>(work: W) -> GeneratorWorker<W::Yield, W::Input, W::Output, W::Error>
where
    W: Work,
    W::Yield: ToVariant,
    W::Input: FromVariant,
    W::Output: ToVariant,
    W::Error: Display,
{
    GeneratorWorker {
        base: build(SmallBody::new(work_fn(work)), WorkerKind::Generator),
    }
}

impl<Y, S, R, E> WorkerBase<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// The typed driver; panics (naming `call`) off the GUI thread.
    pub(crate) fn typed(&self, call: &str) -> &TypedDriver<Y, S, R, E> {
        match self.gui() {
            Some(t) => t,
            None => panic!(
                "qworker: `{call}` connects a callback that runs on the GUI thread, so it must be \
                 called there; this worker was created on another thread: use `on_event_send`"
            ),
        }
    }

    /// The typed driver, when this value was made on the GUI thread.
    pub(crate) fn gui(&self) -> Option<&TypedDriver<Y, S, R, E>> {
        match &self.home {
            Home::Gui(d, _) => d.as_any().downcast_ref(),
            _ => None,
        }
    }

    /// Starts the work on its pool. Events arrive from the event loop only, never inside
    /// this call, so callbacks and connections made right after it miss nothing.
    /// A second call returns [`StartError::AlreadyStarted`] and does not start it twice.
    pub fn start(&self) -> Result<(), StartError> {
        if self.gui().is_some_and(|t| t.qobject_gone()) {
            return Err(StartError::Destroyed);
        }
        if let Home::Gui(d, _) = &self.home {
            d.enter_hub(false); // this value owns it
        }
        self.ctl.start()?;
        if let Some(t) = self.gui() {
            t.add_row();
        }
        Ok(())
    }

    /// Requests quit: the body stops at its next checkpoint (also while paused); `aborted`
    /// then `finished` follow. Never blocks. Once it has returned, no further `yielded`
    /// reaches any receiver, also when called from inside a callback.
    pub fn quit(&self) {
        self.ctl.handle.quit();
    }

    /// The state as delivered to this thread so far (not the request).
    pub fn state(&self) -> WorkerState {
        match self.gui() {
            Some(t) => t.delivered_state(),
            None if self.ctl.handle.is_done() => WorkerState::Finished,
            None if self.ctl.handle.is_started() => WorkerState::Running,
            None => WorkerState::Pending,
        }
    }

    /// `true` between the delivered `started` and `finished` (paused included).
    pub fn is_running(&self) -> bool {
        self.state().is_running()
    }

    /// `true` between the delivered `paused` and `resumed`.
    pub fn is_paused(&self) -> bool {
        self.state() == WorkerState::Paused
    }

    /// `true` once `finished` was delivered.
    pub fn is_finished(&self) -> bool {
        self.state() == WorkerState::Finished
    }

    /// `true` once quit was requested.
    pub fn is_abort_requested(&self) -> bool {
        self.ctl.handle.is_abort_requested()
    }

    /// The latest delivered progress.
    pub fn progress(&self) -> Progress {
        self.gui()
            .map(|t| t.delivered_progress())
            .unwrap_or_default()
    }

    /// The status line delivered with the latest progress (`cx.progress_text`); empty when
    /// the body reported none.
    pub fn status(&self) -> String {
        self.gui().map(|t| t.delivered_status()).unwrap_or_default()
    }

    /// The timeout set with the builder `.timeout(d)`, if any.
    pub fn timeout_after(&self) -> Option<Duration> {
        self.ctl.handle.timeout()
    }

    /// The worker's name (logs, `await_workers` errors, QML's `name`); set it with `named`.
    pub fn name(&self) -> String {
        self.ctl.handle.name()
    }

    /// The worker's description (napari's progress `desc`); set it with `described`.
    pub fn description(&self) -> String {
        self.ctl.description()
    }

    /// [`WorkerKind::Function`] or [`WorkerKind::Generator`].
    pub fn kind(&self) -> WorkerKind {
        self.ctl.kind()
    }

    /// The `QWorker` QObject, to expose to QML or C++ (for example as a context property or
    /// an initial property). Made on the first call (workers used only from Rust never pay
    /// for a QObject); it lives as long as this value (or until `finished` when detached).
    /// `None` off the GUI thread, or once the object was destroyed.
    pub fn qobject_ptr(&self) -> Option<*mut QWorker> {
        let t = self.gui()?;
        if let Some(p) = t.qobject_ptr() {
            return Some(p);
        }
        if t.qobject_gone() {
            return None;
        }
        let Home::Gui(d, _) = &self.home else {
            return None;
        };
        let mut obj = new_qworker_for(d.clone());
        // Handed out to QML or C++: keep QML's garbage collector away from it (this value
        // owns it).
        if !self.cpp_owned.replace(true) {
            glue::set_cpp_ownership(obj.pin_mut().upcast_pin());
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

    /// Calls `f` on the GUI thread with the `QWorker` (made if needed), if it still exists.
    /// For connecting cxx-qt signal handlers or reading properties from Rust.
    pub fn with_qobject<T>(&self, f: impl FnOnce(Pin<&mut QWorker>) -> T) -> Option<T> {
        self.qobject_ptr()?;
        self.gui()?.with_qobject(f)
    }

    /// Runs the worker to its end on its own: the `QWorker` deletes itself after `finished`.
    /// Starts it first if it was not started.
    fn detach_base(mut self) -> Result<(), StartError> {
        // It keeps itself alive until `finished` from now on: registered strongly before it
        // starts (once, for a worker not started yet). Should the start fail, this value's
        // drop unregisters it.
        if let Home::Gui(d, _) = &self.home {
            d.enter_hub(true);
        }
        match self.start() {
            Ok(()) | Err(StartError::AlreadyStarted) => {}
            Err(e) => return Err(e),
        }
        let id = self.ctl.id();
        match std::mem::replace(&mut self.home, Home::Released) {
            Home::Gui(d, _) => {
                let t: &TypedDriver<Y, S, R, E> = d.as_any().downcast_ref().expect("typed");
                t.detach();
                if t.delivered_state() == WorkerState::Finished {
                    hub::unregister(id);
                    d.after_finished();
                }
            }
            // Off the GUI thread the driver already runs on its own.
            Home::Elsewhere | Home::Released => {}
        }
        Ok(())
    }

    /// Like `on_event`, but callable from any thread: for a worker created and started
    /// inside another worker's body. The callback still runs on the GUI thread.
    pub fn on_event_send(&self, f: impl FnMut(&Event<Y, R, E>) + Send + 'static) -> &Self {
        match self.gui() {
            Some(t) => t.callbacks.add(Callback::event(f)),
            None => {
                // Runs before any delivery: posted to the hub before `start()` can wake it.
                let id = self.ctl.id();
                hub::hub().run_on_gui(move || {
                    if let Some(d) = hub::lookup(id)
                        && let Some(t) = d.as_any().downcast_ref::<TypedDriver<Y, S, R, E>>()
                    {
                        t.callbacks.add(Callback::event(f));
                    }
                });
            }
        }
        self
    }
}

impl<Y, S, R, E> Drop for WorkerBase<Y, S, R, E> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.home, Home::Released) {
            Home::Released => {} // detached: it runs on its own
            Home::Elsewhere => {
                // Created off the GUI thread: the driver is there; let it go there.
                self.ctl.handle.quit();
                let id = self.ctl.id();
                hub::hub().run_on_gui(move || hub::unregister(id));
            }
            Home::Gui(d, _) => {
                d.owner_dropped();
                hub::unregister(self.ctl.id());
            }
        }
    }
}

/// The callback methods both kinds have; each returns the worker, so they chain.
macro_rules! common_callbacks {
    ($Y:ty, $S:ty) => {
        /// Connects a callback to `started`.
        pub fn on_started(&self, f: impl FnMut() + 'static) -> &Self {
            self.base
                .typed("on_started")
                .callbacks
                .add(Callback::unit(Signal::Started, f));
            self
        }

        /// Connects a callback to `returned`; it gets the body's `Ok` value.
        pub fn on_returned(&self, f: impl FnMut(&R) + 'static) -> &Self {
            self.base
                .typed("on_returned")
                .callbacks
                .add(Callback::returned(f));
            self
        }

        /// Connects a callback to `errored`; it gets the error value or the panic message.
        /// With no `errored` receiver at all, errors are logged through Qt's message handler.
        pub fn on_errored(&self, f: impl FnMut(&WorkerError<E>) + 'static) -> &Self {
            self.base
                .typed("on_errored")
                .callbacks
                .add(Callback::errored(f));
            self
        }

        /// Connects a callback to `warned`.
        pub fn on_warned(&self, f: impl FnMut(&str) + 'static) -> &Self {
            self.base
                .typed("on_warned")
                .callbacks
                .add(Callback::warned(f));
            self
        }

        /// Connects a callback to progress (coalesced: the newest value, never a backlog).
        pub fn on_progress(&self, f: impl FnMut(Progress) + 'static) -> &Self {
            self.base
                .typed("on_progress")
                .callbacks
                .add(Callback::progress(f));
            self
        }

        /// Connects a callback to `aborted` (quit was requested before the body returned).
        pub fn on_aborted(&self, f: impl FnMut() + 'static) -> &Self {
            self.base
                .typed("on_aborted")
                .callbacks
                .add(Callback::unit(Signal::Aborted, f));
            self
        }

        /// Connects a callback to `finished`, the last event, delivered once.
        pub fn on_finished(&self, f: impl FnMut() + 'static) -> &Self {
            self.base
                .typed("on_finished")
                .callbacks
                .add(Callback::unit(Signal::Finished, f));
            self
        }

        /// Connects a callback that sees every event, in order (before the per-signal ones).
        pub fn on_event(&self, f: impl FnMut(&Event<$Y, R, E>) + 'static) -> &Self {
            self.base
                .typed("on_event")
                .callbacks
                .add(Callback::event(f));
            self
        }

        /// Names the worker (logs, `await_workers`, QML's `name`); read it with `name()`.
        pub fn named(self, name: &str) -> Self {
            self.base.ctl.handle.set_name(name);
            self
        }

        /// Describes the work (napari's progress `desc`, shown by task lists); read it with
        /// `description()`.
        pub fn described(self, description: &str) -> Self {
            self.base.ctl.set_description(description);
            self
        }

        /// Runs on `pool` instead of [`Pool::global`]; before `start()`.
        pub fn pool(self, pool: &Pool) -> Self {
            self.base.ctl.set_pool(pool);
            self
        }

        /// A progress total set up front (napari's `progress={"total": n}`): the worker starts
        /// at `0 of total`; each `yield_` then counts one unit. Before `start()`.
        pub fn progress_total(self, total: u64) -> Self {
            self.base
                .ctl
                .configure(|t| t.set_progress_total(Some(total)));
            self
        }

        /// Asks the worker to quit `after` its body began (napari #1559). It stops at its next
        /// checkpoint and its outcome is `errored` with [`WorkerError::TimedOut`] (not
        /// `aborted`); a body that reaches no checkpoint within a second more is reported by
        /// name in a `warned` event, never killed. A zero duration is refused with a warning.
        /// Before `start()`.
        ///
        /// ```no_run
        /// use std::time::Duration;
        /// let w = qworker::function_with_context(|cx| -> Result<(), qworker::BoxError> {
        ///     loop {
        ///         cx.check()?; // the timeout stops it here
        ///     }
        /// })
        /// .timeout(Duration::from_secs(2));
        /// w.on_errored(|e: &qworker::WorkerError<qworker::BoxError>| assert!(e.is_timeout()));
        /// w.start().unwrap();
        /// ```
        pub fn timeout(self, after: Duration) -> Self {
            if after.is_zero() {
                log(
                    Level::Warning,
                    &format!(
                        "worker '{}': timeout(0) refused; a timeout must be longer than zero",
                        self.base.name()
                    ),
                );
                return self;
            }
            self.base.ctl.configure(|t| t.set_timeout(Some(after)));
            self
        }

        /// Runs the worker to its end on its own: the `QWorker` deletes itself after
        /// `finished`. Starts it first if it was not started.
        pub fn detach(self) -> Result<(), StartError> {
            self.base.detach_base()
        }
    };
}

impl<Y, S, R, E> GeneratorWorker<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    common_callbacks!(Y, S);

    /// How yielded values are delivered (default [`Policy::All`]); before `start()`.
    pub fn policy(self, policy: Policy) -> Self {
        self.base.ctl.configure(|t| t.set_policy(policy));
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
            .add(Callback::yielded(f));
        self
    }

    /// Connects a callback to `paused` (the worker is parked).
    pub fn on_paused(&self, f: impl FnMut() + 'static) -> &Self {
        self.base
            .typed("on_paused")
            .callbacks
            .add(Callback::unit(Signal::Paused, f));
        self
    }

    /// Connects a callback to `resumed`.
    pub fn on_resumed(&self, f: impl FnMut() + 'static) -> &Self {
        self.base
            .typed("on_resumed")
            .callbacks
            .add(Callback::unit(Signal::Resumed, f));
        self
    }
}

impl<R, E> FunctionWorker<R, E>
where
    R: Send + 'static,
    E: Send + 'static,
{
    common_callbacks!(NoYield, ());

    /// The shared part, owned (for the futures that own a worker, `futures.rs`).
    pub(crate) fn into_base(self) -> WorkerBase<NoYield, (), R, E> {
        self.base
    }
}
