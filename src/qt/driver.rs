//! The typed driver behind a worker: on the GUI thread it drains the worker's receiver and
//! delivers each event, in order, to the typed Rust callbacks (the value itself) and then to
//! the Qt signals of its `QWorker` (converted to `QVariant` only when a QML or C++ receiver
//! is connected). Drivers are built here ([`make_driver`]), for Rust-made and QML-made
//! workers alike.
//!
//! # Fields
//!
//! A driver lives on the GUI thread only; its fields are `Cell`s and `RefCell`s, changed by
//! what follows. `attached`, `undeliverable`, `progress`, `status` and `tap` live in `extra`
//! ([`Extra`]), boxed the first time one is set: most workers never set any.
//!
//! - `delivery` ([`Delivery`]): `Open` until the owner drops the worker inside one of its own
//!   callbacks (`Closed`, set by `close_delivery`) or the attached `QWorker` is destroyed
//!   (`ObjectGone`, set by `qobject_destroyed`). It never goes back to `Open`, and
//!   `ObjectGone` is never replaced.
//! - `attached`: `None` until a `QWorker` is attached (`attach_qobject`, once); back to `None`
//!   when that object is destroyed. [`TypedDriver::with_qobject`] is the only place that
//!   turns the pointer into a reference.
//! - `owner` ([`Owner`]): `Value` (a worker value or a `QWorker` keeps the driver) until
//!   `detach`, then `Itself` (the hub keeps it until `finished`; its `QWorker` deletes itself).
//! - `draining`: true while `drain` runs. Deliveries never nest: a drain that finds it set
//!   returns at once, and callbacks are taken out of their list while they run, so a
//!   callback may register another callback or control the worker.
//! - `state`, `progress`: what was delivered last. `abort_noticed`: `abortRequestedChanged`
//!   was emitted. `undeliverable`: the first conversion failure, which becomes the outcome.
//! - `row`: the worker's row in the live task list (`tasks.rs`), added at `start()` (or at
//!   `started` for a worker started off the GUI thread), updated at each delivery but
//!   `yielded`, ended at `finished` or when delivery stops without it (also on drop).
//! - `status`: the status line delivered with the last progress.
//! - `tap` ([`Tap`]): `None`, or the async consumer (a stream or a result future) that gets
//!   each event, owned, after the callbacks and the Qt signals saw it. Set by `set_tap`;
//!   told by `Tap::close` when delivery ends without `finished`.
//!
//! # Invariants
//!
//! - A panicking callback is caught and logged; delivery goes on.
//! - An error nobody receives (no callback, no connection) is logged with the worker's name;
//!   so is a warning nobody receives.
//! - A value that cannot be converted for a connected receiver stops the worker; its outcome
//!   becomes `errored` with the conversion message.
//! - Once `quit()` has returned, no further `yielded` reaches a callback or a Qt receiver,
//!   also when a receiver of the value being delivered called it.

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt::Display;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cxx_qt::CxxQtThread;
use cxx_qt::casting::Upcast;
use cxx_qt_lib::{QString, QVariant};

use super::callbacks::{Callbacks, EVENT, bit_of};
use super::glue::{self, Level, log};
use super::hub::{self, Drain};
use super::qobject::QWorker;
use super::tasks::{self, Changed, Outcome, RowRef};
use super::variant::{ConvertError, FromVariant, ToVariant, YieldVariant};
use crate::core::{
    Drained, Handle, Host, Options, Receiver, Shared, SmallBody, SpawnError, Unstarted,
    task_woken_by,
};
use crate::{Event, NoYield, Pool, Progress, SendError, WorkerError, WorkerKind, WorkerState};

/// Why `start()` did nothing.
///
/// ```
/// use qworker::StartError;
/// assert_eq!(StartError::AlreadyStarted.to_string(), "the worker was already started");
/// ```
#[derive(Debug)]
pub enum StartError {
    /// `start()` was called before; the work is not started twice.
    AlreadyStarted,
    /// The worker's QObject was destroyed.
    Destroyed,
    /// No pool thread could be created.
    Spawn(SpawnError),
}

impl Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::AlreadyStarted => f.write_str("the worker was already started"),
            StartError::Destroyed => f.write_str("the worker's QObject was destroyed"),
            StartError::Spawn(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {}

/// A control request, type-erased (QML and C++ call these by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Pause,
    Resume,
    Toggle,
    Quit,
}

/// The type-erased face of a driver, as its `QWorker` sees it. The hub sees only the
/// [`Drain`] part.
pub(crate) trait Driver: Drain {
    /// The worker's id in the hub.
    fn id(&self) -> u64;
    /// Emits this worker's Qt signals on `obj` from now on.
    fn attach_qobject(&self, obj: *mut QWorker, guard: CxxQtThread<QWorker>);
    /// Registers it with the hub: see [`TypedDriver::enter_hub`].
    fn enter_hub(&self, keeps_itself: bool);
    fn start(&self) -> Result<(), StartError>;
    fn control(&self, c: Control);
    fn send_variant(&self, v: &QVariant) -> Result<(), String>;
    fn state(&self) -> WorkerState;
    fn progress(&self) -> Progress;
    /// The status line delivered with the last progress.
    fn status(&self) -> String;
    fn description(&self) -> String;
    fn set_description(&self, text: &str);
    /// Sets the timeout before start; `false` once started.
    fn set_timeout(&self, timeout: Duration) -> bool;
    /// `start()` was called (and succeeded).
    fn is_started(&self) -> bool;
    fn abort_requested(&self) -> bool;
    /// `true` once after quit was first requested, so `abortRequestedChanged` fires once.
    fn take_abort_notice(&self) -> bool;
    fn name(&self) -> String;
    fn kind(&self) -> WorkerKind;
    /// The QObject is being destroyed: quit, drop undelivered events.
    fn qobject_destroyed(&self);
    /// The Rust worker value that owned this driver was dropped: quit, and delete the
    /// `QWorker` (later, when inside one of its own deliveries).
    fn owner_dropped(&self);
}

/// The thread-safe half of a worker, shared by its driver and its Rust value: the control
/// handle, with the unstarted body, the pool to run on, the description and what never
/// changes (id, kind) kept in the task's shared state (`core::Host`), so this is one
/// reference and no allocation of its own.
pub(crate) struct Controls<Y, S, R, E> {
    pub(crate) handle: Handle<Y, S, R, E>,
}

impl<Y, S, R, E> Clone for Controls<Y, S, R, E> {
    fn clone(&self) -> Self {
        Controls {
            handle: self.handle.clone(),
        }
    }
}

impl<Y, S, R, E> Controls<Y, S, R, E> {
    pub(crate) fn id(&self) -> u64 {
        self.handle.host().id
    }

    pub(crate) fn kind(&self) -> WorkerKind {
        self.handle.host().kind
    }

    /// Changes the unstarted task; `false` once it was started.
    pub(crate) fn configure(&self, f: impl FnOnce(Unstarted<'_, Y, S, R, E>)) -> bool {
        self.handle.configure(f)
    }

    pub(crate) fn set_pool(&self, pool: &Pool) {
        let pool = pool.clone();
        self.handle.shared().write_rare(|r| r.pool = Some(pool));
    }

    pub(crate) fn set_description(&self, text: &str) {
        self.handle
            .shared()
            .write_rare(|r| r.description = text.to_string());
    }

    pub(crate) fn description(&self) -> String {
        self.handle.shared().description()
    }
}

impl<Y, S, R, E> Controls<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    pub(crate) fn start(&self) -> Result<(), StartError> {
        let pool = self.handle.shared().read_rare(|r| r.pool.clone()).flatten();
        let pool = pool.as_ref().unwrap_or_else(|| Pool::global());
        match self.handle.start_once(pool) {
            Ok(true) => {
                hub::started_a_worker();
                Ok(())
            }
            Ok(false) => Err(StartError::AlreadyStarted),
            Err(e) => Err(StartError::Spawn(e)),
        }
    }

    /// The task list's view of this worker: its shared state.
    fn source(&self) -> Arc<dyn tasks::Source> {
        self.handle.shared().clone()
    }
}

impl<Y, S, R, E> tasks::Source for Shared<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn name(&self) -> String {
        Shared::name(self)
    }

    fn description(&self) -> String {
        Shared::description(self)
    }

    fn quit(&self) {
        Shared::quit(self);
    }
}

/// An async consumer of one worker's events (`futures.rs`): it gets each event, owned, after
/// the callbacks and the Qt signals.
pub(crate) trait Tap<Y, R, E> {
    /// One event, in order. Returns `false` when its consumer has a chunk waiting and was
    /// woken for it (`futures.rs`, "Chunks"): the drain then stops and lets the consumer run
    /// first.
    fn put(&self, ev: Event<Y, R, E>) -> bool;
    /// Whether it hands `ev` on to someone (then a warning or an error is not "unhandled").
    fn receives(&self, ev: &Event<Y, R, E>) -> bool;
    /// Delivery ended without `finished` (the `QWorker` was destroyed, or the owner let go
    /// inside a callback): nothing more will come.
    fn close(&self);
}

/// A driver's shared reference to its tap.
pub(crate) type TapRef<Y, R, E> = Rc<dyn Tap<Y, R, E>>;

/// Which payload signals have a QML/C++ receiver right now.
#[derive(Default)]
struct Connected {
    yielded: bool,
    returned: bool,
    errored: bool,
    warned: bool,
}

impl Connected {
    fn of(obj: Pin<&mut QWorker>) -> Connected {
        static INDEXES: OnceLock<[i32; 4]> = OnceLock::new();
        let o: &cxx_qt::QObject = (*obj).upcast();
        let idx = INDEXES.get_or_init(|| {
            [
                "yielded(QVariant)",
                "returned(QVariant)",
                "errored(QString)",
                "warned(QString)",
            ]
            .map(|s| glue::signal_index(o, s))
        });
        Connected {
            yielded: glue::signal_connected(o, idx[0]),
            returned: glue::signal_connected(o, idx[1]),
            errored: glue::signal_connected(o, idx[2]),
            warned: glue::signal_connected(o, idx[3]),
        }
    }
}

/// [`Connected`], asked of the object once per drain and only when an event with a payload
/// needs it: a drain of progress alone never reads the object's connections.
#[derive(Default)]
struct LazyConnected(OnceCell<Connected>);

/// Whether events are still delivered (see "# Fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Events are delivered.
    Open,
    /// The owner let go during a delivery: nothing more is delivered.
    Closed,
    /// The attached `QWorker` was destroyed (the work was asked to quit then).
    ObjectGone,
}

/// Who keeps the driver alive (see "# Fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A worker value or a `QWorker` owns it.
    Value,
    /// Detached: the hub keeps it until `finished`, then its `QWorker` deletes itself.
    Itself,
}

/// The `QWorker` a driver emits on, and the guard that tells whether it still exists (a C++
/// host may `delete` it behind our back).
struct Attached {
    obj: *mut QWorker,
    guard: CxxQtThread<QWorker>,
}

/// The fields of a driver that most workers never use: an attached `QWorker` (QML, C++, or
/// `qobject()` from Rust), an async tap, the delivered progress and status line, a
/// conversion failure. Boxed on first use, so a plain Rust worker's driver is 104 bytes
/// smaller (every live worker holds one). Borrowed only for a moment: never across user code
/// or a Qt call.
struct Extra<Y, R, E> {
    attached: Option<Attached>,
    undeliverable: Option<String>,
    tap: Option<TapRef<Y, R, E>>,
    progress: Progress,
    status: String,
}

impl<Y, R, E> Default for Extra<Y, R, E> {
    fn default() -> Self {
        Extra {
            attached: None,
            undeliverable: None,
            tap: None,
            progress: Progress::default(),
            status: String::new(),
        }
    }
}

/// The typed driver.
pub(crate) struct TypedDriver<Y, S, R, E> {
    pub(crate) ctl: Controls<Y, S, R, E>,
    receiver: RefCell<Option<Receiver<Y, S, R, E>>>,
    pub(crate) callbacks: Callbacks<Y, R, E>,
    delivery: Cell<Delivery>,
    owner: Cell<Owner>,
    draining: Cell<bool>,
    state: Cell<WorkerState>,
    abort_noticed: Cell<bool>,
    /// Registered with the hub ([`TypedDriver::enter_hub`]): at its first start, not when
    /// made, so a worker that never starts never is, and a detached one is registered once.
    in_hub: Cell<bool>,
    row: RefCell<Option<RowRef>>,
    /// The task list's entry for this worker is made on demand (`tasks.rs`, `# Rows made on
    /// demand`): what a row would show lives here until the row is made.
    on_demand: Cell<OnDemandRow>,
    /// When `started` was delivered, and the outcome delivered: for a row made later.
    started_at: Cell<Option<Instant>>,
    outcome: Cell<Option<Outcome>>,
    /// This driver, for the task list's entry made on demand.
    me: Weak<TypedDriver<Y, S, R, E>>,
    /// What few drivers need, boxed on first use (see [`Extra`]).
    extra: OnceCell<Box<RefCell<Extra<Y, R, E>>>>,
}

impl<Y, S, R, E> Drop for TypedDriver<Y, S, R, E> {
    fn drop(&mut self) {
        self.end_row();
    }
}

/// Builds the driver of one run (from the converted arguments of a registered task).
pub(crate) type Maker = Box<dyn FnOnce(Options) -> Rc<dyn Driver>>;

/// A typed driver and its thread-safe half: the task, its control handle and its receiver,
/// woken through the hub. For workers built in Rust and for registered tasks that QML or C++
/// start by name. Not registered with the hub yet: that happens as it starts, or as a QML
/// `Worker` takes it ([`TypedDriver::enter_hub`]). `gui`: this is the known GUI thread (the
/// caller asked; see [`hub::next_id_on`]).
pub(crate) fn make_driver<Y, S, R, E>(
    body: SmallBody<Y, S, R, E>,
    kind: WorkerKind,
    options: Options,
    gui: bool,
) -> Rc<TypedDriver<Y, S, R, E>>
where
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    let id = hub::next_id_on(gui);
    let (handle, receiver) = task_woken_by(body, options, hub::waker(), Host::new(id, kind));
    let ctl = Controls { handle };
    Rc::new_cyclic(|me| TypedDriver {
        ctl,
        receiver: RefCell::new(Some(receiver)),
        callbacks: Callbacks::default(),
        delivery: Cell::new(Delivery::Open),
        owner: Cell::new(Owner::Value),
        draining: Cell::new(false),
        state: Cell::new(WorkerState::Pending),
        abort_noticed: Cell::new(false),
        in_hub: Cell::new(false),
        row: RefCell::new(None),
        on_demand: Cell::new(OnDemandRow::No),
        started_at: Cell::new(None),
        outcome: Cell::new(None),
        me: me.clone(),
        extra: OnceCell::new(),
    })
}

/// Whether a driver's task-list entry is one made on demand (and its slot there), and
/// whether it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDemandRow {
    No,
    Live(u32),
    Ended,
}

/// The driver of a task that cannot run (unknown name, bad arguments, bad policy): a
/// function worker whose body fails with `message`, so the user sees `errored` saying why.
pub(crate) fn failing(message: String, options: Options) -> Rc<dyn Driver> {
    make_driver::<NoYield, (), (), String>(
        SmallBody::new(move |_cx| Err(message)),
        WorkerKind::Function,
        options,
        glue::known_gui_thread(),
    )
}

impl<Y, S, R, E> TypedDriver<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    /// Adds this worker to the live task list (once): its row, or, while no one reads rows,
    /// an entry that makes it on demand.
    pub(crate) fn add_row(&self) {
        if self.row.borrow().is_some() || self.on_demand.get() != OnDemandRow::No {
            return;
        }
        if tasks::rows_read() {
            let row = tasks::add(self.ctl.source(), self.ctl.kind());
            *self.row.borrow_mut() = Some(row);
        } else {
            let slot = tasks::add_on_demand(self.me.clone());
            self.on_demand.set(OnDemandRow::Live(slot));
        }
    }
}

impl<Y, S, R, E> tasks::OnDemand for TypedDriver<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    fn row(&self) -> RowRef {
        if let Some(r) = self.row.borrow().as_ref() {
            return r.clone();
        }
        let mut r = tasks::Row::new(self.ctl.source(), self.ctl.kind());
        r.state = self.state.get();
        r.progress = self.delivered_progress();
        r.status = self.delivered_status();
        r.started_at = self.started_at.get();
        r.outcome = self.outcome.get();
        let row: RowRef = Rc::new(RefCell::new(r));
        *self.row.borrow_mut() = Some(row.clone());
        self.on_demand.set(OnDemandRow::No);
        row
    }

    fn is_live(&self) -> bool {
        matches!(self.on_demand.get(), OnDemandRow::Live(_))
    }

    fn quit(&self) {
        self.ctl.handle.quit();
    }
}

impl<Y, S, R, E> TypedDriver<Y, S, R, E> {
    /// Ends this worker's task-list entry (once), at `finished` or when delivery stops
    /// without it: its row, as aborted unless an outcome was delivered, or its entry made on
    /// demand (no one reads rows then: when a view comes or ended rows are kept, the list
    /// makes the rows of every live entry first).
    fn end_row(&self) {
        if let OnDemandRow::Live(slot) = self.on_demand.get() {
            self.on_demand.set(OnDemandRow::Ended);
            return tasks::end_on_demand(slot);
        }
        if let Ok(row) = self.row.try_borrow()
            && let Some(r) = row.as_ref()
        {
            tasks::end(r, Outcome::Aborted);
        }
    }

    /// The status line delivered with the last progress (`cx.progress_text`).
    pub(crate) fn delivered_status(&self) -> String {
        self.read_extra(|x| x.status.clone()).unwrap_or_default()
    }

    /// Reads the extra fields, if any were ever set.
    fn read_extra<T>(&self, f: impl FnOnce(&Extra<Y, R, E>) -> T) -> Option<T> {
        self.extra.get().map(|x| f(&x.borrow()))
    }

    /// Changes the extra fields (boxing them on first use).
    fn write_extra<T>(&self, f: impl FnOnce(&mut Extra<Y, R, E>) -> T) -> T {
        f(&mut self.extra.get_or_init(Box::default).borrow_mut())
    }

    /// Changes the extra fields only if they exist (a take or a clear needs no box).
    fn change_extra<T>(&self, f: impl FnOnce(&mut Extra<Y, R, E>) -> Option<T>) -> Option<T> {
        self.extra.get().and_then(|x| f(&mut x.borrow_mut()))
    }

    fn tap(&self) -> Option<TapRef<Y, R, E>> {
        self.read_extra(|x| x.tap.clone()).flatten()
    }

    /// Stops all further delivery (the owner dropped the worker inside a callback); the
    /// running drain skips what is left and then drops the receiver.
    pub(crate) fn close_delivery(&self) {
        if self.delivery.get() == Delivery::Open {
            self.delivery.set(Delivery::Closed);
        }
    }

    /// From now on the hub keeps this driver until `finished` (see `Owner`).
    pub(crate) fn detach(&self) {
        self.owner.set(Owner::Itself);
    }

    /// Hands every further event to `tap` (replacing an earlier one); with `hold`, yielded
    /// values count as undelivered for a `Bounded` producer until the tap reports them taken
    /// (`Handle::release_held`). A tap set after `finished` is closed at once.
    pub(crate) fn set_tap(&self, tap: Option<TapRef<Y, R, E>>, hold: bool) {
        if let Ok(mut slot) = self.receiver.try_borrow_mut()
            && let Some(r) = slot.as_mut()
        {
            r.set_hold(hold);
        }
        let gone = self.receiver.try_borrow().is_ok_and(|r| r.is_none());
        let old = self.write_extra(|x| std::mem::replace(&mut x.tap, tap.clone()));
        drop(old);
        if let Some(t) = tap
            && (gone || self.state.get() == WorkerState::Finished)
        {
            t.close();
        }
    }

    /// Whether the tap, if any, hands `ev` on.
    fn tap_receives(&self, ev: &Event<Y, R, E>) -> bool {
        self.tap().is_some_and(|t| t.receives(ev))
    }

    /// Tells the tap, if any, that nothing more will come.
    fn close_tap(&self) {
        let tap = self.change_extra(|x| x.tap.take());
        if let Some(t) = tap {
            t.close();
        }
    }

    pub(crate) fn delivered_state(&self) -> WorkerState {
        self.state.get()
    }

    pub(crate) fn delivered_progress(&self) -> Progress {
        self.read_extra(|x| x.progress).unwrap_or_default()
    }

    /// `true` once the attached QObject was destroyed.
    pub(crate) fn qobject_gone(&self) -> bool {
        self.delivery.get() == Delivery::ObjectGone
    }

    /// The attached `QWorker`, if any and still alive, as the raw pointer its owner holds.
    pub(crate) fn qobject_ptr(&self) -> Option<*mut QWorker> {
        let x = self.extra.get()?.borrow();
        let a = x.attached.as_ref()?;
        (!a.guard.is_destroyed()).then_some(a.obj)
    }

    /// Calls `f` with the attached `QWorker`, if any and still alive. The object is looked
    /// up for each call: a receiver may delete it (C++ hosts), and nothing is touched after.
    pub(crate) fn with_qobject<T>(&self, f: impl FnOnce(Pin<&mut QWorker>) -> T) -> Option<T> {
        let p = self.qobject_ptr()?;
        // SAFETY: the guard said just now that the object is alive, and it cannot be destroyed
        // before `f` runs: this is its thread (the GUI thread, where drivers live), and nothing
        // runs between the check and the call. QWorker is never moved (it is a QObject behind
        // a pointer). No borrow of `attached` is held, so `f` may destroy the object; the
        // reference does not outlive `f`.
        Some(f(unsafe { Pin::new_unchecked(&mut *p) }))
    }
}

impl<Y, S, R, E> TypedDriver<Y, S, R, E>
where
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    /// Registers this driver with the hub before its worker can wake it: weakly while a
    /// worker value or a `QWorker` owns it, strongly (`keeps_itself`) once it runs on its own
    /// until `finished`. Once weakly; a strong registration replaces a weak one.
    pub(crate) fn enter_hub(&self, keeps_itself: bool) {
        if self.in_hub.replace(true) && !keeps_itself {
            return;
        }
        if let Some(me) = self.me.upgrade() {
            hub::register(self.ctl.id(), &(me as Rc<dyn Drain>), keeps_itself);
        }
    }

    fn worker_name(&self) -> String {
        self.ctl.handle.name()
    }

    /// The task-list half of a delivery (never for `yielded`: rows do not show values).
    fn update_row(&self, ev: &Event<Y, R, E>) {
        if matches!(ev, Event::Started) {
            self.add_row();
            self.started_at.set(Some(Instant::now()));
        }
        let outcome = match ev {
            Event::Yielded(_) | Event::Warned(_) => return,
            Event::Finished => return self.end_row(),
            Event::Aborted => Some(Outcome::Aborted),
            Event::Returned(_) => Some(Outcome::Returned),
            Event::Errored(e) if e.is_timeout() => Some(Outcome::TimedOut),
            Event::Errored(_) => Some(Outcome::Errored),
            _ => None,
        };
        if outcome.is_some() {
            self.outcome.set(outcome);
        }
        // An entry made on demand has no row to change: the fields above are what it shows.
        let row = self.row.borrow();
        let Some(row) = row.as_ref() else { return };
        let state = self.state.get();
        let changed = match ev {
            Event::Started => Changed::STATE | Changed::ELAPSED,
            Event::Progress(_) => Changed::STATE | Changed::PROGRESS | Changed::STATUS,
            _ if outcome.is_some() => Changed::STATE | Changed::OUTCOME,
            _ => Changed::STATE,
        };
        tasks::update(row, changed, |r| {
            r.state = state;
            match ev {
                Event::Started => r.started_at = self.started_at.get(),
                Event::Progress(p) => {
                    r.progress = *p;
                    if let Some(text) = self.read_extra(|x| x.status.clone()) {
                        r.status = text;
                    }
                }
                _ => {}
            }
            if outcome.is_some() {
                r.outcome = outcome;
            }
        });
    }

    /// A value could not be converted for a connected receiver: stop the worker and make
    /// its outcome an error that says why.
    fn undeliverable(&self, signal: &str, e: ConvertError) {
        let first = self.write_extra(|x| {
            let first = x.undeliverable.is_none();
            if first {
                x.undeliverable = Some(format!(
                    "the `{signal}` value could not be passed to QML/C++: {e}"
                ));
            }
            first
        });
        if first {
            self.ctl.handle.quit();
        }
    }

    /// Applies the conversion rules to an outcome: a pending conversion failure replaces it;
    /// a `returned` value for a connected receiver is converted first (a failure becomes
    /// `errored`). Returns the event to deliver and the converted `returned` value.
    /// The object's connections, read at the first event of this drain that needs them.
    fn connected<'c>(&self, c: &'c LazyConnected) -> &'c Connected {
        c.0.get_or_init(|| self.with_qobject(Connected::of).unwrap_or_default())
    }

    fn settle(&self, ev: Event<Y, R, E>, c: &LazyConnected) -> (Event<Y, R, E>, Option<QVariant>) {
        if ev.is_outcome()
            && let Some(msg) = self.change_extra(|x| x.undeliverable.take())
        {
            return (Event::Errored(WorkerError::Undeliverable(msg)), None);
        }
        match ev {
            Event::Returned(r) if self.connected(c).returned => match r.to_variant() {
                Ok(v) => (Event::Returned(r), Some(v)),
                Err(e) => (
                    Event::Errored(WorkerError::Undeliverable(format!(
                        "the `returned` value could not be passed to QML/C++: {e}"
                    ))),
                    None,
                ),
            },
            other => (other, None),
        }
    }

    /// One event: the state, the typed callbacks, the Qt signals, then the tap. Returns
    /// whether the drain may go on (`false`: the tap's consumer has a chunk waiting).
    fn deliver(&self, ev: Event<Y, R, E>, c: &LazyConnected) -> bool {
        let (ev, returned) = self.settle(ev, c);
        let before = self.state.get();
        self.state.set(before.after(&ev));
        if let Event::Progress(p) = &ev {
            let text = self.ctl.handle.status();
            self.write_extra(|x| {
                x.progress = *p;
                if let Some(text) = text {
                    x.status = text;
                }
            });
        }
        if !matches!(ev, Event::Yielded(_)) {
            self.update_row(&ev);
        }
        self.run_callbacks(&ev);
        self.emit_signals(&ev, returned.as_ref(), c);
        if self.state.get() != before {
            self.with_qobject(|o| o.state_changed());
        }
        let tap = self.tap();
        match tap {
            Some(t) => t.put(ev),
            None => true,
        }
    }

    /// The typed half of a delivery: the Rust callbacks get the values themselves.
    fn run_callbacks(&self, ev: &Event<Y, R, E>) {
        // Most events of a short worker have no callback (W3's `started` and `finished`).
        if !self.callbacks.has(EVENT | bit_of(ev)) {
            return;
        }
        let name = || self.worker_name();
        // Stops at once when a callback of this very value quit the worker.
        let go = || !self.ctl.handle.is_abort_requested();
        self.callbacks.run(ev, &name, &go);
    }

    /// The Qt half of a delivery: the `QWorker`'s signals, and the logging rules for
    /// warnings and errors nobody receives.
    fn emit_signals(&self, ev: &Event<Y, R, E>, returned: Option<&QVariant>, c: &LazyConnected) {
        let cb = &self.callbacks;
        match ev {
            Event::Started => drop(self.with_qobject(|o| o.started())),
            Event::Yielded(v) => {
                let stopped = self.ctl.handle.is_abort_requested();
                if self.connected(c).yielded
                    && !stopped
                    && self
                        .read_extra(|x| x.undeliverable.is_none())
                        .unwrap_or(true)
                {
                    match v.yield_variant() {
                        Ok(q) => drop(self.with_qobject(|o| o.yielded(&q))),
                        Err(e) => self.undeliverable("yielded", e),
                    }
                }
            }
            Event::Progress(p) => {
                self.with_qobject(|o| o.progress_changed(p.done as f64, p.total as f64));
            }
            Event::Warned(m) => {
                if self.connected(c).warned {
                    self.with_qobject(|o| o.warned(&QString::from(m.as_str())));
                } else if !cb.has(EVENT | bit_of(ev)) && !self.tap_receives(ev) {
                    log(
                        Level::Warning,
                        &format!("worker '{}': {m}", self.worker_name()),
                    );
                }
            }
            Event::Paused => drop(self.with_qobject(|o| o.paused())),
            Event::Resumed => drop(self.with_qobject(|o| o.resumed())),
            Event::Aborted => {
                self.notify_abort_requested();
                self.with_qobject(|o| o.aborted());
            }
            Event::Returned(_) => {
                if let Some(v) = returned {
                    self.with_qobject(|o| o.returned(v));
                }
            }
            Event::Errored(e) => {
                let msg = e.to_string();
                if self.connected(c).errored {
                    self.with_qobject(|o| o.errored(&QString::from(msg.as_str())));
                } else if !cb.has(EVENT | bit_of(ev)) && !self.tap_receives(ev) {
                    let name = self.worker_name();
                    let text = format!("worker '{name}' failed (nothing handles `errored`): {msg}");
                    log(Level::Critical, &text);
                }
            }
            Event::Finished => {
                self.notify_abort_requested();
                self.with_qobject(|o| o.finished());
            }
        }
    }

    /// Emits `abortRequestedChanged` once, the first time quit is seen requested.
    fn notify_abort_requested(&self) {
        if self.take_abort_notice() {
            self.with_qobject(|o| o.abort_requested_changed());
        }
    }
}

impl<Y, S, R, E> Drain for TypedDriver<Y, S, R, E>
where
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    fn drain(&self, until: Instant) -> Drained {
        if self.draining.replace(true) {
            return Drained::Empty; // never nested; the running drain goes on
        }
        let c = LazyConnected::default();
        let mut status = match self.receiver.try_borrow_mut() {
            Ok(mut slot) => match slot.as_mut() {
                Some(r) => r.drain_while(Some(until), |ev| {
                    self.delivery.get() != Delivery::Open || self.deliver(ev, &c)
                }),
                None => Drained::Finished,
            },
            Err(_) => Drained::Empty,
        };
        self.draining.set(false);
        if self.delivery.get() != Delivery::Open {
            drop(self.receiver.borrow_mut().take()); // quits, drops what is undelivered
            self.close_tap(); // a no-op for a tap that saw `finished`
            self.end_row();
            status = Drained::Finished;
        }
        status
    }

    fn after_finished(&self) {
        if self.owner.get() == Owner::Itself {
            self.with_qobject(|o| glue::delete_later(o.upcast_pin()));
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<Y, S, R, E> Driver for TypedDriver<Y, S, R, E>
where
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    fn id(&self) -> u64 {
        self.ctl.id()
    }

    fn attach_qobject(&self, obj: *mut QWorker, guard: CxxQtThread<QWorker>) {
        self.write_extra(|x| x.attached = Some(Attached { obj, guard }));
    }

    fn enter_hub(&self, keeps_itself: bool) {
        TypedDriver::enter_hub(self, keeps_itself);
    }

    fn start(&self) -> Result<(), StartError> {
        TypedDriver::enter_hub(self, false);
        self.ctl.start()?;
        self.add_row();
        Ok(())
    }

    fn control(&self, c: Control) {
        let h = &self.ctl.handle;
        if self.ctl.kind() == WorkerKind::Function && c != Control::Quit {
            let call = match c {
                Control::Pause => "pause",
                Control::Resume => "resume",
                _ => "togglePause",
            };
            log(
                Level::Warning,
                &format!(
                    "worker '{}': {call}() has no effect on a function worker (only generator workers can be paused)",
                    h.name()
                ),
            );
            return;
        }
        match c {
            Control::Pause => h.pause(),
            Control::Resume => h.resume(),
            Control::Toggle => drop(h.toggle_pause()),
            Control::Quit => h.quit(),
        }
    }

    fn send_variant(&self, v: &QVariant) -> Result<(), String> {
        if self.ctl.kind() == WorkerKind::Function {
            return Err(
                "a function worker does not receive values (only generator workers do)".into(),
            );
        }
        let value = S::from_variant(v).map_err(|e| e.to_string())?;
        self.ctl.handle.send(value).map_err(|e| match e {
            SendError::Finished(_) => "the worker has finished; the value was refused".to_string(),
            other => other.to_string(),
        })
    }

    fn state(&self) -> WorkerState {
        self.delivered_state()
    }

    fn progress(&self) -> Progress {
        self.delivered_progress()
    }

    fn status(&self) -> String {
        self.delivered_status()
    }

    fn description(&self) -> String {
        self.ctl.description()
    }

    fn set_description(&self, text: &str) {
        self.ctl.set_description(text);
    }

    fn set_timeout(&self, timeout: Duration) -> bool {
        self.ctl.configure(|t| t.set_timeout(Some(timeout)))
    }

    fn is_started(&self) -> bool {
        self.ctl.handle.is_started()
    }

    fn abort_requested(&self) -> bool {
        self.ctl.handle.is_abort_requested()
    }

    fn take_abort_notice(&self) -> bool {
        self.abort_requested() && !self.abort_noticed.replace(true)
    }

    fn name(&self) -> String {
        self.ctl.handle.name()
    }

    fn kind(&self) -> WorkerKind {
        self.ctl.kind()
    }

    fn owner_dropped(&self) {
        // A worker whose `finished` was delivered has nothing to quit (its control block is
        // closed): no lock taken for it (an awaited worker is dropped right after `finished`).
        if self.state.get() != WorkerState::Finished {
            self.ctl.handle.quit();
        }
        if self.draining.get() {
            // A callback dropped it: deliver nothing more. The object may be on the stack
            // (an emit), so it goes later.
            self.close_delivery();
            self.with_qobject(|o| glue::delete_later(o.upcast_pin()));
        } else if let Some(p) = self.qobject_ptr() {
            // SAFETY: alive (checked just now), made by `UniquePtr::into_raw` for the owner
            // that is going now (`WorkerBase::qobject_ptr`), on its thread; deleted once, here.
            drop(unsafe { cxx::UniquePtr::from_raw(p) });
        }
    }

    fn qobject_destroyed(&self) {
        let _ = self.change_extra(|x| x.attached.take().map(drop));
        self.delivery.set(Delivery::ObjectGone);
        self.ctl.handle.quit();
        if let Ok(mut slot) = self.receiver.try_borrow_mut() {
            drop(slot.take()); // closes the mailbox: undelivered events are dropped
        }
        self.close_tap(); // a no-op for a tap that saw `finished`
        self.end_row();
    }
}

/// What a live short worker costs in memory: W3 starts 10,000 before it delivers any, and
/// each holds its shared state and its driver (`docs/ARCHITECTURE.md`, "What a short worker
/// allocates"). These bounds are today's sizes on 64-bit Linux (Rust 1.95); a field added to
/// either block fails here, so that its cost is a decision, not an accident.
#[cfg(all(test, target_pointer_width = "64", target_os = "linux"))]
mod sizes {
    use super::*;

    #[test]
    fn a_short_workers_shared_state_and_driver_stay_small() {
        let shared = size_of::<Shared<NoYield, (), u64, crate::BoxError>>();
        let driver = size_of::<TypedDriver<NoYield, (), u64, crate::BoxError>>();
        assert!(shared <= 200, "the shared state grew to {shared} bytes");
        assert!(driver <= 168, "the driver grew to {driver} bytes");
    }
}
