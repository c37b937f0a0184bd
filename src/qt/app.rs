//! Application-wide behaviour: the pool is asked to quit and awaited when the application
//! quits (bounded, configurable), and helpers around Qt's message log.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::glue::{self, Level, log};
use crate::core::lock;
use crate::{AwaitError, Pool};

static QUIT_TIMEOUT: Mutex<Duration> = Mutex::new(Duration::from_secs(5));

/// What runs on `aboutToQuit`, in the order first asked for: the pool's await and the
/// executor's close. One Qt connection per application object serves them all.
static QUIT_HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Runs `hook` on the application's `aboutToQuit` (once per hook, however often asked).
pub(crate) fn on_application_quit(hook: fn()) {
    {
        let mut hooks = lock(&QUIT_HOOKS);
        if !hooks.contains(&hook) {
            hooks.push(hook);
        }
    }
    glue::connect_about_to_quit(run_quit_hooks);
}

fn run_quit_hooks() {
    let hooks = lock(&QUIT_HOOKS).clone();
    for hook in hooks {
        hook();
    }
}

/// How long the application's quit waits for running workers (default 5 s). Workers that do
/// not reach a checkpoint in time are reported by name through Qt's message handler; the
/// process still exits normally.
///
/// ```
/// qworker::set_quit_timeout(std::time::Duration::from_millis(500));
/// assert_eq!(qworker::quit_timeout(), std::time::Duration::from_millis(500));
/// ```
pub fn set_quit_timeout(timeout: Duration) {
    *lock(&QUIT_TIMEOUT) = timeout;
}

/// The current quit timeout.
pub fn quit_timeout() -> Duration {
    *lock(&QUIT_TIMEOUT)
}

/// Asks every running worker of the global pool to quit and waits up to `timeout`.
/// Returns an error naming those that did not stop; never kills a thread.
///
/// ```no_run
/// if let Err(e) = qworker::await_workers(std::time::Duration::from_secs(2)) {
///     eprintln!("{e}"); // "1 worker(s) did not stop in time: loader"
/// }
/// ```
pub fn await_workers(timeout: Duration) -> Result<(), AwaitError> {
    Pool::global().await_workers(timeout)
}

fn on_about_to_quit() {
    if let Err(e) = await_workers(quit_timeout()) {
        log(Level::Warning, &format!("on application quit: {e}"));
    }
}

/// Connects `QCoreApplication::aboutToQuit` to [`await_workers`] (once per application).
/// Called when the first worker is created; call it yourself to cover workers you start on
/// a pool of your own through the core API.
pub fn install_quit_hook() {
    // Called for every worker made on the GUI thread: once the hook is listed, only the
    // connection (per application object) is checked.
    static LISTED: AtomicBool = AtomicBool::new(false);
    if LISTED.load(Ordering::Acquire) {
        glue::connect_about_to_quit(run_quit_hooks);
    } else {
        on_application_quit(on_about_to_quit);
        LISTED.store(true, Ordering::Release);
    }
}

/// Whether this is the GUI thread, with [`install_quit_hook`] done for the current application
/// object: what every worker made asks. After the first time on the GUI thread it is one
/// thread-local read (`known_gui_thread`), not the two thread lookups of `on_gui_thread` and
/// the hook's check.
pub(crate) fn gui_thread_with_quit_hook() -> bool {
    if glue::known_gui_thread() {
        return true;
    }
    let gui = glue::on_gui_thread();
    if gui {
        install_quit_hook();
        glue::remember_gui_thread();
    }
    gui
}

/// `true` on the thread of the `QCoreApplication` (the GUI thread).
pub fn is_gui_thread() -> bool {
    glue::on_gui_thread()
}

/// Asks the application to quit (`QCoreApplication::quit()`): unlike
/// [`exit_application`], a `CloseGuard` (or a window that refuses to close) can turn it down
/// while workers run. Does nothing before the event loop runs.
///
/// ```no_run
/// qworker::quit_application(); // a CloseGuard asks the user first when workers run
/// ```
pub fn quit_application() {
    glue::request_quit();
}

/// Ends the application's event loop with `code` (`QCoreApplication::exit`): `exec()` returns
/// after `aboutToQuit`, where running workers are asked to quit and awaited.
///
/// ```no_run
/// let worker = qworker::function(|| Ok::<_, qworker::BoxError>(()));
/// worker.on_finished(|| qworker::exit_application(0));
/// ```
pub fn exit_application(code: i32) {
    glue::exit_application(code);
}
