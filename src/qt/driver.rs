//! The typed driver behind a `QWorker`: it delivers each event, in order, to the typed Rust
//! callbacks (the value itself) and then to the Qt signal (converted to `QVariant` only when a
//! QML or C++ receiver is connected).
//!
//! Lives on the object's thread only. Invariants:
//! - Deliveries never nest: `draining` guards the drain, and callbacks are taken out of their
//!   slot while they run, so a callback may register another callback or control the worker.
//! - A panicking callback is caught and logged; delivery goes on.
//! - An error nobody receives (no callback, no connection) is logged with the worker's name;
//!   so is a warning nobody receives.
//! - A value that cannot be converted for a connected receiver stops the worker; its outcome
//!   becomes `errored` with the conversion message.

use std::cell::{Cell, RefCell};
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cxx_qt::CxxQtThread;
use cxx_qt::casting::Upcast;
use cxx_qt_lib::{QString, QVariant};

use super::qobject::{Control, Level, QWorker, ffi, log};
use super::variant::{ConvertError, FromVariant, ToVariant};
use crate::core::{
    Drained, Event, Handle, Pool, Progress, Receiver, SendError, SpawnError, State, Task,
    WorkerError, panic_message,
};

/// How long one drain may deliver before it re-posts itself.
pub(crate) const SLICE: Duration = Duration::from_millis(4);

/// Function or generator: decides which controls exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Runs once; `pause`/`resume`/`send` do not apply.
    Function,
    /// Yields values; can be paused, resumed and sent values.
    Generator,
}

impl Kind {
    /// `"function"` or `"generator"`, as QML's `kind` property shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Generator => "generator",
        }
    }
}

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

/// The type-erased face of a driver, as the hub and the QObject see it.
pub(crate) trait Driver {
    /// The worker's id in the hub.
    fn id(&self) -> u64;
    /// Delivers events for at most `budget`.
    fn drain(&self, budget: Duration) -> Drained;
    /// Called once `finished` was delivered.
    fn after_finished(&self);
    /// Emits this worker's Qt signals on `obj` from now on.
    fn attach_qobject(&self, obj: *mut QWorker, guard: CxxQtThread<QWorker>);
    fn start(&self) -> Result<(), StartError>;
    fn control(&self, c: Control);
    fn send_variant(&self, v: &QVariant) -> Result<(), String>;
    fn state(&self) -> State;
    fn progress(&self) -> Progress;
    fn abort_requested(&self) -> bool;
    /// `true` once after quit was first requested, so `abortRequestedChanged` fires once.
    fn take_abort_notice(&self) -> bool;
    fn name(&self) -> String;
    fn kind(&self) -> Kind;
    /// The QObject is being destroyed: quit, drop undelivered events.
    fn qobject_destroyed(&self);
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The thread-safe half shared by the QObject's driver and the Rust handle: the unstarted
/// body, the control handle and the pool to run on.
pub(crate) struct Ctl<Y, S, R, E> {
    pub(crate) task: Mutex<Option<Task<Y, S, R, E>>>,
    pub(crate) handle: Handle<Y, S, R, E>,
    pub(crate) pool: Mutex<Pool>,
}

impl<Y, S, R, E> Ctl<Y, S, R, E>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    pub(crate) fn start(&self) -> Result<(), StartError> {
        let task = self
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or(StartError::AlreadyStarted)?;
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner()).clone();
        task.start(&pool).map_err(StartError::Spawn)
    }

    pub(crate) fn with_task(&self, f: impl FnOnce(&mut Task<Y, S, R, E>)) -> bool {
        match self.task.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            Some(t) => {
                f(t);
                true
            }
            None => false,
        }
    }
}

/// Callbacks of one signal. Taken out while they run, so they may add callbacks.
pub(crate) struct Slot<F: ?Sized>(RefCell<Vec<Box<F>>>);

impl<F: ?Sized> Default for Slot<F> {
    fn default() -> Self {
        Slot(RefCell::new(Vec::new()))
    }
}

impl<F: ?Sized> Slot<F> {
    pub(crate) fn add(&self, f: Box<F>) {
        self.0.borrow_mut().push(f);
    }

    fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    fn call(&self, signal: &str, worker: &dyn Fn() -> String, mut each: impl FnMut(&mut F)) {
        if self.is_empty() {
            return;
        }
        let mut list = std::mem::take(&mut *self.0.borrow_mut());
        for f in list.iter_mut() {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| each(f))) {
                log(
                    Level::Critical,
                    &format!(
                        "worker '{}': a `{signal}` callback panicked: {}",
                        worker(),
                        panic_message(&*p)
                    ),
                );
            }
        }
        let mut cur = self.0.borrow_mut();
        list.append(&mut cur);
        *cur = list;
    }
}

type Unit = dyn FnMut();
type ErrorFn<E> = dyn FnMut(&WorkerError<E>);
type EventFn<Y, R, E> = dyn FnMut(&Event<Y, R, E>);

/// The typed callbacks of one worker.
pub(crate) struct Callbacks<Y, R, E> {
    pub(crate) started: Slot<Unit>,
    pub(crate) yielded: Slot<dyn FnMut(&Y)>,
    pub(crate) progress: Slot<dyn FnMut(Progress)>,
    pub(crate) warned: Slot<dyn FnMut(&str)>,
    pub(crate) paused: Slot<Unit>,
    pub(crate) resumed: Slot<Unit>,
    pub(crate) aborted: Slot<Unit>,
    pub(crate) returned: Slot<dyn FnMut(&R)>,
    pub(crate) errored: Slot<ErrorFn<E>>,
    pub(crate) finished: Slot<Unit>,
    pub(crate) event: Slot<EventFn<Y, R, E>>,
}

impl<Y, R, E> Default for Callbacks<Y, R, E> {
    fn default() -> Self {
        Callbacks {
            started: Slot::default(),
            yielded: Slot::default(),
            progress: Slot::default(),
            warned: Slot::default(),
            paused: Slot::default(),
            resumed: Slot::default(),
            aborted: Slot::default(),
            returned: Slot::default(),
            errored: Slot::default(),
            finished: Slot::default(),
            event: Slot::default(),
        }
    }
}

/// Which payload signals have a QML/C++ receiver right now.
struct Connected {
    yielded: bool,
    returned: bool,
    errored: bool,
    warned: bool,
}

fn connected(obj: Option<*mut QWorker>) -> Connected {
    let Some(p) = obj else {
        return Connected {
            yielded: false,
            returned: false,
            errored: false,
            warned: false,
        };
    };
    // SAFETY: alive (the caller checked), read-only use on its thread.
    let obj: &QWorker = unsafe { &*p };
    static INDEXES: OnceLock<[i32; 4]> = OnceLock::new();
    let o: &cxx_qt::QObject = obj.upcast();
    let idx = INDEXES.get_or_init(|| {
        [
            "yielded(QVariant)",
            "returned(QVariant)",
            "errored(QString)",
            "warned(QString)",
        ]
        .map(|s| ffi::signal_index(o, s))
    });
    Connected {
        yielded: ffi::signal_connected(o, idx[0]),
        returned: ffi::signal_connected(o, idx[1]),
        errored: ffi::signal_connected(o, idx[2]),
        warned: ffi::signal_connected(o, idx[3]),
    }
}

/// The typed driver.
pub(crate) struct Typed<Y, S, R, E> {
    id: u64,
    pub(crate) ctl: Arc<Ctl<Y, S, R, E>>,
    /// The `QWorker` whose signals this driver emits, once one exists (null before).
    obj: Cell<*mut QWorker>,
    /// Tells whether `obj` was destroyed behind our back (a C++ host's `delete`).
    guard: RefCell<Option<CxxQtThread<QWorker>>>,
    receiver: RefCell<Option<Receiver<Y, R, E>>>,
    pub(crate) callbacks: Callbacks<Y, R, E>,
    kind: Kind,
    state: Cell<State>,
    progress: Cell<Progress>,
    draining: Cell<bool>,
    abort_noticed: Cell<bool>,
    undeliverable: RefCell<Option<String>>,
    pub(crate) detached: Cell<bool>,
    /// The owner let go during a delivery: deliver nothing more.
    closed: Cell<bool>,
    /// The attached QObject was destroyed (the work was asked to quit then).
    gone: Cell<bool>,
}

impl<Y, S, R, E> Typed<Y, S, R, E> {
    pub(crate) fn new(
        id: u64,
        ctl: Arc<Ctl<Y, S, R, E>>,
        receiver: Receiver<Y, R, E>,
        kind: Kind,
    ) -> Self {
        Typed {
            id,
            ctl,
            obj: Cell::new(std::ptr::null_mut()),
            guard: RefCell::new(None),
            receiver: RefCell::new(Some(receiver)),
            callbacks: Callbacks::default(),
            kind,
            state: Cell::new(State::Pending),
            progress: Cell::new(Progress::default()),
            draining: Cell::new(false),
            abort_noticed: Cell::new(false),
            undeliverable: RefCell::new(None),
            detached: Cell::new(false),
            closed: Cell::new(false),
            gone: Cell::new(false),
        }
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.get()
    }

    /// Stops all further delivery (the owner dropped the worker inside a callback); the
    /// running drain skips what is left and then drops the receiver.
    pub(crate) fn close_delivery(&self) {
        self.closed.set(true);
    }

    pub(crate) fn delivered_state(&self) -> State {
        self.state.get()
    }

    pub(crate) fn delivered_progress(&self) -> Progress {
        self.progress.get()
    }

    /// `true` once the attached QObject was destroyed.
    pub(crate) fn qobject_gone(&self) -> bool {
        self.gone.get()
    }

    /// The attached `QWorker`, if any and still alive.
    pub(crate) fn qobject(&self) -> Option<*mut QWorker> {
        let p = self.obj.get();
        if p.is_null()
            || self
                .guard
                .borrow()
                .as_ref()
                .is_none_or(|g| g.is_destroyed())
        {
            return None;
        }
        Some(p)
    }

    /// Emits on the attached `QWorker`, if any. The object is looked up for each emit: a
    /// receiver may delete it (C++ hosts) and nothing is touched after that.
    fn emit(&self, f: impl FnOnce(Pin<&mut QWorker>)) {
        if let Some(p) = self.qobject() {
            // SAFETY: alive (checked by the guard just now), on its thread (the GUI thread,
            // where drains run); the reference lives for this one emit.
            f(unsafe { Pin::new_unchecked(&mut *p) });
        }
    }
}

impl<Y, S, R, E> Typed<Y, S, R, E>
where
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    fn worker_name(&self) -> String {
        self.ctl.handle.name()
    }

    /// A value could not be converted for a connected receiver: stop the worker and make
    /// its outcome an error that says why.
    fn undeliverable(&self, signal: &str, e: ConvertError) {
        let mut slot = self.undeliverable.borrow_mut();
        if slot.is_none() {
            *slot = Some(format!(
                "the `{signal}` value could not be passed to QML/C++: {e}"
            ));
            self.ctl.handle.quit();
        }
    }

    /// Applies the conversion rules to an outcome: a pending conversion failure replaces it;
    /// a `returned` value for a connected receiver is converted first (a failure becomes
    /// `errored`). Returns the event to deliver and the converted `returned` value.
    fn settle(&self, ev: Event<Y, R, E>, c: &Connected) -> (Event<Y, R, E>, Option<QVariant>) {
        if ev.is_outcome()
            && let Some(msg) = self.undeliverable.borrow_mut().take()
        {
            return (Event::Errored(WorkerError::Undeliverable(msg)), None);
        }
        match ev {
            Event::Returned(r) if c.returned => match r.to_variant() {
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

    fn deliver(&self, ev: Event<Y, R, E>, c: &Connected) {
        let (ev, returned) = self.settle(ev, c);
        let name = || self.worker_name();
        let before = self.state.get();
        self.state.set(before.after(&ev));
        let cb = &self.callbacks;
        cb.event.call("event", &name, |f| f(&ev));
        match &ev {
            Event::Started => {
                cb.started.call("started", &name, |f| f());
                self.emit(|o| o.started());
            }
            Event::Yielded(v) => {
                cb.yielded.call("yielded", &name, |f| f(v));
                if c.yielded && self.undeliverable.borrow().is_none() {
                    match v.to_variant() {
                        Ok(q) => self.emit(|o| o.yielded(&q)),
                        Err(e) => self.undeliverable("yielded", e),
                    }
                }
            }
            Event::Progress(p) => {
                self.progress.set(*p);
                cb.progress.call("progress", &name, |f| f(*p));
                self.emit(|o| o.progress_changed(p.done as f64, p.total as f64));
            }
            Event::Warned(m) => {
                cb.warned.call("warned", &name, |f| f(m));
                if c.warned {
                    self.emit(|o| o.warned(&QString::from(m.as_str())));
                } else if cb.warned.is_empty() && cb.event.is_empty() {
                    log(Level::Warning, &format!("worker '{}': {m}", name()));
                }
            }
            Event::Paused => {
                cb.paused.call("paused", &name, |f| f());
                self.emit(|o| o.paused());
            }
            Event::Resumed => {
                cb.resumed.call("resumed", &name, |f| f());
                self.emit(|o| o.resumed());
            }
            Event::Aborted => {
                cb.aborted.call("aborted", &name, |f| f());
                if self.take_abort_notice() {
                    self.emit(|o| o.abort_requested_changed());
                }
                self.emit(|o| o.aborted());
            }
            Event::Returned(r) => {
                cb.returned.call("returned", &name, |f| f(r));
                if let Some(v) = &returned {
                    self.emit(|o| o.returned(v));
                }
            }
            Event::Errored(e) => {
                let msg = e.to_string();
                cb.errored.call("errored", &name, |f| f(e));
                if c.errored {
                    self.emit(|o| o.errored(&QString::from(msg.as_str())));
                } else if cb.errored.is_empty() && cb.event.is_empty() {
                    log(
                        Level::Critical,
                        &format!(
                            "worker '{}' failed (nothing handles `errored`): {msg}",
                            name()
                        ),
                    );
                }
            }
            Event::Finished => {
                if self.take_abort_notice() {
                    self.emit(|o| o.abort_requested_changed());
                }
                cb.finished.call("finished", &name, |f| f());
                self.emit(|o| o.finished());
            }
        }
        if self.state.get() != before {
            self.emit(|o| o.state_changed());
        }
    }
}

impl<Y, S, R, E> Driver for Typed<Y, S, R, E>
where
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    fn id(&self) -> u64 {
        self.id
    }

    fn drain(&self, budget: Duration) -> Drained {
        if self.draining.replace(true) {
            return Drained::Empty; // never nested; the running drain goes on
        }
        let c = connected(self.qobject());
        let mut status = match self.receiver.try_borrow_mut() {
            Ok(mut slot) => match slot.as_mut() {
                Some(r) => r.drain(Some(budget), |ev| {
                    if !self.closed.get() {
                        self.deliver(ev, &c)
                    }
                }),
                None => Drained::Finished,
            },
            Err(_) => Drained::Empty,
        };
        self.draining.set(false);
        if self.closed.get() {
            drop(self.receiver.borrow_mut().take()); // quits, drops what is undelivered
            status = Drained::Finished;
        }
        status
    }

    fn after_finished(&self) {
        if self.detached.get()
            && let Some(p) = self.qobject()
        {
            // SAFETY: alive (checked), on its thread.
            let o: Pin<&mut cxx_qt::QObject> = unsafe { Pin::new_unchecked(&mut *p) }.upcast_pin();
            ffi::delete_later(o);
        }
    }

    fn attach_qobject(&self, obj: *mut QWorker, guard: CxxQtThread<QWorker>) {
        self.obj.set(obj);
        *self.guard.borrow_mut() = Some(guard);
    }

    fn start(&self) -> Result<(), StartError> {
        self.ctl.start()
    }

    fn control(&self, c: Control) {
        let h = &self.ctl.handle;
        if self.kind == Kind::Function && c != Control::Quit {
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
            Control::Toggle => {
                h.toggle_pause();
            }
            Control::Quit => h.quit(),
        }
    }

    fn send_variant(&self, v: &QVariant) -> Result<(), String> {
        if self.kind == Kind::Function {
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

    fn state(&self) -> State {
        self.delivered_state()
    }

    fn progress(&self) -> Progress {
        self.delivered_progress()
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

    fn kind(&self) -> Kind {
        self.kind
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn qobject_destroyed(&self) {
        self.obj.set(std::ptr::null_mut());
        self.gone.set(true);
        self.ctl.handle.quit();
        self.closed.set(true);
        if let Ok(mut slot) = self.receiver.try_borrow_mut() {
            drop(slot.take()); // closes the mailbox: undelivered events are dropped
        }
    }
}
