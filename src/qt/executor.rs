//! The GUI thread's executor: [`spawn_local`] runs a future (`!Send` allowed) on the thread of
//! the `QCoreApplication`, polled only from the Qt event loop, through the same hub that
//! delivers every worker's events. Also the one Qt timer behind `sleep` and `timeout`
//! (`timer.rs`) and the executor's `aboutToQuit` hook; their C++ is `cpp/executor.cpp`.
//!
//! # Protocol
//!
//! 1. `spawn_local` makes a [`Spawned`] entry (the boxed future, its [`JoinState`], a
//!    [`WakeFlag`]), keeps it in `TASKS` (GUI thread only), registers it with the hub weakly
//!    (the executor owns it) and wakes it once: the first poll happens from the event loop,
//!    never inside `spawn_local`.
//! 2. A wake, from any thread, swaps the flag's `pending` from false to true and only then
//!    calls the hub's waker for the entry's id: many wakes before the next poll cost one hub
//!    wake, and the hub posts at most one drain for any number of woken entries.
//! 3. The hub's drain calls [`Spawned::drain`], which clears `pending` and polls the future
//!    once (inside `catch_unwind`). A wake during the poll sets `pending` again and queues the
//!    id again, so the hub polls it again (within its time slice, or in the next drain).
//! 4. `Ready`, a panic or an abort settle the `JoinState` (the output, or the error), drop the
//!    future and remove the entry from `TASKS` and from the hub.
//! 5. On `aboutToQuit` the executor closes: every pending future is dropped (its handle reports
//!    [`JoinError::Quit`]) and later spawns are refused with [`SpawnError::Quit`].
//!
//! # Invariants
//!
//! - A future is polled only on the GUI thread, only by a hub drain, and never after its
//!   handle reported an outcome: `future` is `None` from then on.
//! - `pending` is true from a wake until the drain that polls next; while it is true the id
//!   is queued in the hub (or being drained), so no wake is lost. A drain that finds the
//!   future being polled (a nested event loop inside a poll) records `missed`, and the outer
//!   poll queues the id again when it returns.
//! - No borrow of `TASKS`, of a future or of a `JoinState` is held while user code runs (a
//!   poll, a drop of a future, a waker): user code may spawn, abort or drop handles.
//! - The `JoinState` is settled exactly once: the first of output, panic, abort or quit wins.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use super::app;
use super::glue::{self, Level, log};
use super::hub::{self, Drain, IdMap};
use crate::core::{Drained, panic_message};

#[cxx_qt::bridge]
pub(crate) mod ffi {
    #[namespace = "qworker::executor"]
    unsafe extern "C++" {
        include!("qworker/executor.h");
        fn arm_timer(ms: i32, fire: fn());
        fn disarm_timer();
    }
}

/// Why [`try_spawn_local`] refused a future.
///
/// ```
/// use qworker::future::SpawnError;
/// assert!(SpawnError::NotGuiThread.to_string().contains("GUI thread"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// No `QCoreApplication` (or `QGuiApplication`) exists.
    NoApplication,
    /// Called on a thread other than the application's (the GUI thread).
    NotGuiThread,
    /// The application is quitting (`aboutToQuit` was emitted): nothing would poll it.
    Quit,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpawnError::NoApplication => {
                "qworker::spawn_local: no QCoreApplication exists; create the application first"
            }
            SpawnError::NotGuiThread => {
                "qworker::spawn_local must be called on the GUI thread (the thread of the \
                 QCoreApplication); from another thread, send the work there (a channel the \
                 GUI future awaits) or use qworker::spawn_blocking"
            }
            SpawnError::Quit => {
                "qworker::spawn_local: the application has quit (aboutToQuit was emitted); \
                 the future would never be polled"
            }
        })
    }
}

impl std::error::Error for SpawnError {}

/// Why a [`JoinHandle`] gives no output.
///
/// ```
/// use qworker::future::JoinError;
/// assert_eq!(JoinError::Aborted.to_string(), "the future was aborted");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// [`JoinHandle::abort`] was called (or the handle was dropped with `abort_on_drop`).
    Aborted,
    /// The future panicked; the message. The panic was logged with the future's name.
    Panicked(String),
    /// The application quit before the future finished; it was dropped.
    Quit,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Aborted => f.write_str("the future was aborted"),
            JoinError::Panicked(m) => write!(f, "the future panicked: {m}"),
            JoinError::Quit => f.write_str("the application quit before the future finished"),
        }
    }
}

impl std::error::Error for JoinError {}

/// The settled-once state a spawned future shares with its handle (GUI thread only).
struct JoinState<T> {
    id: u64,
    name: RefCell<String>,
    /// `Some` once settled and not taken yet.
    output: RefCell<Option<Result<T, JoinError>>>,
    settled: Cell<bool>,
    taken: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl<T> JoinState<T> {
    /// Settles with `out` unless settled already; wakes the handle's task.
    fn settle(&self, out: Result<T, JoinError>) {
        if self.settled.replace(true) {
            return;
        }
        *self.output.borrow_mut() = Some(out);
        let w = self.waker.borrow_mut().take();
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// What the executor needs from a `JoinState<T>`, whatever `T` is.
trait Settle {
    fn fail(&self, e: JoinError);
    fn name(&self) -> String;
}

impl<T> Settle for JoinState<T> {
    fn fail(&self, e: JoinError) {
        self.settle(Err(e));
    }

    fn name(&self) -> String {
        self.name.borrow().clone()
    }
}

/// The data of a spawned future's `std::task::Waker` (any thread).
struct WakeFlag {
    /// A poll is due (see the protocol, step 2).
    pending: AtomicBool,
    hub_waker: crate::core::WakeBy,
    /// The entry's id in the hub, which `hub_waker` is called with.
    id: u64,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            self.hub_waker.wake(self.id);
        }
    }
}

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// One spawned future: the hub entry that polls it.
struct Spawned {
    id: u64,
    future: RefCell<Option<LocalFuture>>,
    state: Rc<dyn Settle>,
    flag: Arc<WakeFlag>,
    waker: Waker,
    /// A drain came while the future was being polled (a nested event loop).
    missed: Cell<bool>,
    /// `abort` was called while the future was being polled: drop it when the poll returns.
    abort_after_poll: Cell<Option<JoinError>>,
}

thread_local! {
    /// The pending futures of the GUI thread, by hub id (the executor owns them).
    static TASKS: RefCell<IdMap<Rc<Spawned>>> = RefCell::new(IdMap::default());
    /// `aboutToQuit` was emitted: spawns are refused.
    static CLOSED: Cell<bool> = const { Cell::new(false) };
}

impl Spawned {
    /// Drops the future (outside any borrow) and forgets the entry.
    fn retire(&self) {
        let fut = self.future.borrow_mut().take();
        if let Some(fut) = fut
            && let Err(p) = catch_unwind(AssertUnwindSafe(move || drop(fut)))
        {
            log(
                Level::Critical,
                &format!(
                    "future '{}' panicked while being dropped: {}",
                    self.state.name(),
                    panic_message(&*p)
                ),
            );
        }
        let gone = TASKS.with(|t| t.borrow_mut().remove(&self.id));
        hub::unregister(self.id);
        drop(gone);
    }

    /// Settles the handle with `e` and drops the future now (or right after the running poll).
    fn abort_with(&self, e: JoinError) {
        if self.future.try_borrow_mut().is_err() {
            // Being polled (the future aborts itself): settle now, drop when the poll returns.
            self.state.fail(e.clone());
            self.abort_after_poll.set(Some(e));
            return;
        }
        self.state.fail(e);
        self.retire();
    }
}

impl Drain for Spawned {
    fn drain(&self, _until: Instant) -> Drained {
        let Ok(mut slot) = self.future.try_borrow_mut() else {
            self.missed.set(true);
            return Drained::Empty;
        };
        let Some(fut) = slot.as_mut() else {
            return Drained::Finished;
        };
        self.flag.pending.store(false, Ordering::Release);
        let mut cx = Context::from_waker(&self.waker);
        let polled = catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
        drop(slot);
        match polled {
            Ok(Poll::Pending) => {
                if let Some(e) = self.abort_after_poll.take() {
                    self.state.fail(e);
                    self.retire();
                    return Drained::Empty;
                }
                if self.missed.take() {
                    self.flag.hub_waker.wake(self.flag.id);
                }
                Drained::Empty
            }
            Ok(Poll::Ready(())) => Drained::Finished,
            Err(p) => {
                let msg = panic_message(&*p);
                log(
                    Level::Critical,
                    &format!("future '{}' panicked: {msg}", self.state.name()),
                );
                self.state.fail(JoinError::Panicked(msg));
                Drained::Finished
            }
        }
    }

    fn after_finished(&self) {
        self.retire();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A handle to a future spawned with [`spawn_local`]: itself a future of the output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] when the future was aborted, panicked
/// or was dropped at application quit. **Dropping the handle detaches the future**: it runs on
/// (as with glib's, Slint's and tokio's handles); [`abort_on_drop`](JoinHandle::abort_on_drop)
/// makes dropping the handle abort it instead. The handle lives on the GUI thread (`!Send`).
///
/// ```no_run
/// # async fn f() {
/// let handle = qworker::spawn_local(async { 6 * 7 });
/// assert!(!handle.is_finished()); // polled from the event loop, never inside spawn_local
/// assert_eq!(handle.await, Ok(42));
/// # }
/// ```
pub struct JoinHandle<T> {
    state: Rc<JoinState<T>>,
    abort_on_drop: bool,
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("name", &*self.state.name.borrow())
            .field("finished", &self.is_finished())
            .field("abort_on_drop", &self.abort_on_drop)
            .finish()
    }
}

impl<T> JoinHandle<T> {
    /// Drops the future now (also when it is waiting on something): it is never polled
    /// again, and awaiting the handle gives [`JoinError::Aborted`]. Nothing happens when it
    /// has finished already. Called by the future on its own handle, the future is dropped
    /// as soon as its current poll returns.
    ///
    /// ```no_run
    /// let handle = qworker::spawn_local(async { qworker::sleep(std::time::Duration::from_secs(60)).await });
    /// handle.abort();
    /// assert!(handle.is_finished());
    /// ```
    pub fn abort(&self) {
        if self.state.settled.get() {
            return;
        }
        let id = self.state.id;
        let task = TASKS.with(|t| t.borrow().get(&id).cloned());
        match task {
            Some(task) => task.abort_with(JoinError::Aborted),
            None => self.state.settle(Err(JoinError::Aborted)),
        }
    }

    /// `true` once the future will never be polled again: it returned, panicked, was aborted
    /// or was dropped at application quit.
    pub fn is_finished(&self) -> bool {
        self.state.settled.get()
    }

    /// Makes dropping this handle abort the future (Iced's `abort_on_drop`); by default
    /// dropping the handle detaches it.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// let handle = qworker::spawn_local(qworker::sleep(Duration::from_secs(5))).abort_on_drop();
    /// drop(handle); // the sleep is dropped now
    /// ```
    pub fn abort_on_drop(mut self) -> Self {
        self.abort_on_drop = true;
        self
    }

    /// Names the future in logs (a panic is logged with it). The default name is the
    /// future's type name.
    pub fn named(self, name: &str) -> Self {
        *self.state.name.borrow_mut() = name.to_string();
        self
    }

    /// The future's name (see [`named`](JoinHandle::named)).
    pub fn name(&self) -> String {
        self.state.name.borrow().clone()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let state = &self.state;
        if let Some(out) = state.output.borrow_mut().take() {
            state.taken.set(true);
            return Poll::Ready(out);
        }
        assert!(
            !state.taken.get(),
            "qworker: a JoinHandle was polled after it gave its output"
        );
        let mut w = state.waker.borrow_mut();
        match w.as_ref() {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => *w = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.abort_on_drop {
            self.abort();
        }
    }
}

/// Runs `future` on the GUI thread, polled from the Qt event loop only (never inside this
/// call), and returns its handle. Wakes from any thread (a worker's pool thread, a tokio
/// runtime, a std thread) schedule a poll; many wakes before the poll cost one posted event.
///
/// # Panics
///
/// Off the GUI thread, without an application, or once the application quit: see
/// [`try_spawn_local`] for the same as an error.
///
/// ```no_run
/// use std::time::Duration;
/// let handle = qworker::spawn_local(async {
///     qworker::sleep(Duration::from_millis(10)).await; // a Qt timer
///     "slept"
/// });
/// // Dropping `handle` would detach the future; `handle.abort()` drops it.
/// # drop(handle);
/// ```
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match try_spawn_local(future) {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    }
}

/// [`spawn_local`] that reports a refusal instead of panicking: no application, not the GUI
/// thread, or the application has quit.
///
/// ```no_run
/// let refused = std::thread::spawn(|| qworker::try_spawn_local(async {}).map(drop).unwrap_err())
///     .join()
///     .unwrap();
/// assert_eq!(refused, qworker::future::SpawnError::NotGuiThread);
/// ```
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if !glue::has_application() {
        return Err(SpawnError::NoApplication);
    }
    // Once a worker was made here, this thread is known as the current application's GUI
    // thread with `aboutToQuit` connected (`app::gui_thread_with_quit_hook`): one
    // thread-local read instead of the two thread lookups, and no reconnection check.
    let known = glue::known_gui_thread();
    if !known && !glue::on_gui_thread() {
        return Err(SpawnError::NotGuiThread);
    }
    if CLOSED.with(Cell::get) {
        return Err(SpawnError::Quit);
    }
    // Listed once per process; connected per application object (done already when known).
    static LISTED: AtomicBool = AtomicBool::new(false);
    if !known || !LISTED.load(Ordering::Acquire) {
        app::on_application_quit(on_about_to_quit);
        LISTED.store(true, Ordering::Release);
    }
    let id = hub::next_id();
    let state = Rc::new(JoinState {
        id,
        name: RefCell::new(std::any::type_name::<F>().to_string()),
        output: RefCell::new(None),
        settled: Cell::new(false),
        taken: Cell::new(false),
        waker: RefCell::new(None),
    });
    let s = state.clone();
    let wrapped: LocalFuture = Box::pin(async move {
        let out = future.await;
        s.settle(Ok(out));
    });
    let flag = Arc::new(WakeFlag {
        pending: AtomicBool::new(false),
        hub_waker: hub::waker(),
        id,
    });
    let task = Rc::new(Spawned {
        id,
        future: RefCell::new(Some(wrapped)),
        state: state.clone(),
        waker: Waker::from(flag.clone()),
        flag,
        missed: Cell::new(false),
        abort_after_poll: Cell::new(None),
    });
    let entry: Rc<dyn Drain> = task.clone();
    hub::register(id, &entry, false);
    TASKS.with(|t| t.borrow_mut().insert(id, task.clone()));
    task.waker.wake_by_ref(); // the first poll, from the event loop
    Ok(JoinHandle {
        state,
        abort_on_drop: false,
    })
}

/// How many futures spawned with [`spawn_local`] are pending (not finished, aborted or
/// dropped at quit), for tests and task lists.
///
/// ```no_run
/// assert_eq!(qworker::future::pending_futures(), 0);
/// ```
pub fn pending_futures() -> usize {
    TASKS.with(|t| t.borrow().len())
}

/// `aboutToQuit`: closes the executor and drops every pending future.
fn on_about_to_quit() {
    CLOSED.with(|c| c.set(true));
    let tasks: Vec<Rc<Spawned>> = TASKS.with(|t| t.borrow().values().cloned().collect());
    for task in tasks {
        task.abort_with(JoinError::Quit);
    }
}
