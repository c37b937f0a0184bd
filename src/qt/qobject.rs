//! The `QWorker` QObject (QML: `Worker`): one per worker, with real Qt signals, properties
//! reflecting the delivered state, and invokable controls. Also the glue functions written in
//! C++ (`cpp/glue.cpp`).
//!
//! The object holds a type-erased driver (`driver.rs`); everything typed lives
//! there. Draining runs here, on the object's thread, when the worker's waker posts it.

use std::pin::Pin;
use std::rc::Rc;

use cxx_qt::{CxxQtType, Threading};
use cxx_qt_lib::{QList, QString, QVariant};

use super::driver::Driver;

/// The cxx-qt bridge: the `QWorker` QObject and the C++ glue functions.
#[cxx_qt::bridge]
pub(crate) mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
        include!("cxx-qt-lib/qvariant.h");
        type QVariant = cxx_qt_lib::QVariant;
        include!("cxx-qt-lib/qlist.h");
        type QList_QVariant = cxx_qt_lib::QList<QVariant>;
    }

    #[namespace = "qworker::glue"]
    unsafe extern "C++" {
        include!("qworker/glue.h");
        fn log_message(level: i32, message: &str);
        fn signal_index(obj: &QObject, signature: &str) -> i32;
        fn signal_connected(obj: &QObject, index: i32) -> bool;
        fn has_application() -> bool;
        fn on_gui_thread() -> bool;
        fn move_to_gui_thread(obj: Pin<&mut QObject>);
        fn delete_later(obj: Pin<&mut QObject>);
        fn set_cpp_ownership(obj: Pin<&mut QObject>);
        fn exit_application(code: i32);
        fn connect_about_to_quit(callback: fn());
        fn process_events_for(max_ms: i32);
        fn capture_begin();
        fn capture_end();
        fn capture_take() -> Vec<String>;
    }

    unsafe extern "RustQt" {
        /// A background worker whose events arrive as Qt signals on its thread (the GUI
        /// thread). Created from Rust (`qworker::generator`, `qworker::function`, ...), or
        /// in QML/C++ naming a task registered from Rust (`task`, `args`, `policy`).
        #[qobject]
        #[qml_element = "Worker"]
        #[qproperty(bool, running, READ = is_running, NOTIFY = state_changed)]
        #[qproperty(bool, paused, READ = is_paused, NOTIFY = state_changed)]
        #[qproperty(QString, state, READ = state_name, NOTIFY = state_changed)]
        #[qproperty(bool, abort_requested, cxx_name = "abortRequested", READ = is_abort_requested, NOTIFY = abort_requested_changed)]
        #[qproperty(f64, progress, READ = progress_done, NOTIFY = progress_changed)]
        #[qproperty(f64, progress_total, cxx_name = "progressTotal", READ = progress_total_value, NOTIFY = progress_changed)]
        #[qproperty(QString, name, READ = name_value, NOTIFY = name_changed)]
        #[qproperty(QString, kind, READ = kind_name, NOTIFY = state_changed)]
        #[qproperty(QString, task, READ, WRITE = set_task, NOTIFY)]
        #[qproperty(QList_QVariant, args, READ, WRITE = set_args, NOTIFY)]
        #[qproperty(QString, policy, READ, WRITE = set_policy, NOTIFY)]
        type QWorker = super::QWorkerRust;

        /// The body began to run on a pool thread. First, exactly once.
        #[qsignal]
        fn started(self: Pin<&mut QWorker>);
        /// A value the body yielded, converted to `QVariant` (generator workers).
        #[qsignal]
        fn yielded(self: Pin<&mut QWorker>, value: &QVariant);
        /// The body's result. Never after `aborted` or `errored`.
        #[qsignal]
        fn returned(self: Pin<&mut QWorker>, value: &QVariant);
        /// The body failed or panicked; the message says why.
        #[qsignal]
        fn errored(self: Pin<&mut QWorker>, message: &QString);
        /// A warning from `cx.warn(...)`.
        #[qsignal]
        fn warned(self: Pin<&mut QWorker>, message: &QString);
        /// The worker is parked after a pause request.
        #[qsignal]
        fn paused(self: Pin<&mut QWorker>);
        /// The worker left the parked state.
        #[qsignal]
        fn resumed(self: Pin<&mut QWorker>);
        /// The worker stopped because quit was requested.
        #[qsignal]
        fn aborted(self: Pin<&mut QWorker>);
        /// Last signal, exactly once.
        #[qsignal]
        fn finished(self: Pin<&mut QWorker>);
        /// Progress (coalesced); `total` 0 means unknown.
        #[qsignal]
        #[cxx_name = "progressChanged"]
        fn progress_changed(self: Pin<&mut QWorker>, done: f64, total: f64);
        /// `running`, `paused`, `state` or `kind` changed.
        #[qsignal]
        #[cxx_name = "stateChanged"]
        fn state_changed(self: Pin<&mut QWorker>);
        /// `abortRequested` became true.
        #[qsignal]
        #[cxx_name = "abortRequestedChanged"]
        fn abort_requested_changed(self: Pin<&mut QWorker>);
        /// `name` changed.
        #[qsignal]
        #[cxx_name = "nameChanged"]
        fn name_changed(self: Pin<&mut QWorker>);

        // C++ names in Qt style (isRunning(), setTask(...)); Rust and QML names unchanged.
        #[cxx_name = "isRunning"]
        fn is_running(self: &QWorker) -> bool;
        #[cxx_name = "isPaused"]
        fn is_paused(self: &QWorker) -> bool;
        #[cxx_name = "state"]
        fn state_name(self: &QWorker) -> QString;
        #[cxx_name = "isAbortRequested"]
        fn is_abort_requested(self: &QWorker) -> bool;
        #[cxx_name = "progress"]
        fn progress_done(self: &QWorker) -> f64;
        #[cxx_name = "progressTotal"]
        fn progress_total_value(self: &QWorker) -> f64;
        #[cxx_name = "name"]
        fn name_value(self: &QWorker) -> QString;
        #[cxx_name = "kind"]
        fn kind_name(self: &QWorker) -> QString;
        #[cxx_name = "setTask"]
        fn set_task(self: Pin<&mut QWorker>, task: QString);
        #[cxx_name = "setArgs"]
        fn set_args(self: Pin<&mut QWorker>, args: QList_QVariant);
        #[cxx_name = "setPolicy"]
        fn set_policy(self: Pin<&mut QWorker>, policy: QString);

        /// Starts the worker. A second call is refused with a warning.
        #[qinvokable]
        fn start(self: Pin<&mut QWorker>) -> bool;
        /// Requests a pause (generator workers); `paused` follows once it is parked.
        #[qinvokable]
        fn pause(self: Pin<&mut QWorker>);
        /// Lifts a pause request; `resumed` follows.
        #[qinvokable]
        fn resume(self: Pin<&mut QWorker>);
        /// Flips the pause request.
        #[qinvokable]
        #[cxx_name = "togglePause"]
        fn toggle_pause(self: Pin<&mut QWorker>);
        /// Requests quit: `aborted` then `finished` follow at the next checkpoint.
        #[qinvokable]
        fn quit(self: Pin<&mut QWorker>);
        /// Queues a value for the worker's next `yield_`. Returns false (with a warning) when
        /// the value is refused.
        #[qinvokable]
        fn send(self: Pin<&mut QWorker>, value: &QVariant) -> bool;
    }

    impl cxx_qt::Threading for QWorker {}

    unsafe extern "RustQt" {
        /// The delivery hub's object: drains of all workers are posted to it (one at a time).
        #[qobject]
        type QWorkerHub = super::QWorkerHubRust;
    }

    impl cxx_qt::Threading for QWorkerHub {}

    #[namespace = "rust::cxxqtlib1"]
    unsafe extern "C++" {
        include!("cxx-qt-lib/common.h");
        #[rust_name = "new_qworker"]
        fn make_unique() -> UniquePtr<QWorker>;
        #[rust_name = "new_hub"]
        fn make_unique() -> UniquePtr<QWorkerHub>;
    }
}

pub use ffi::QWorker;
pub(crate) use ffi::QWorkerHub;

/// The Rust side of the hub's object (no state: the hub lives in `hub.rs`).
#[derive(Default)]
pub struct QWorkerHubRust;

/// Log levels of [`log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Warning = 2,
    Critical = 3,
}

/// Writes through Qt's message handler, category `qworker`.
pub(crate) fn log(level: Level, message: &str) {
    ffi::log_message(level as i32, message);
}

/// The Rust side of a `QWorker`.
#[derive(Default)]
pub struct QWorkerRust {
    pub(crate) driver: Option<Rc<dyn Driver>>,
    task: QString,
    args: QList<QVariant>,
    policy: QString,
}

impl Drop for QWorkerRust {
    fn drop(&mut self) {
        if let Some(d) = self.driver.take() {
            d.qobject_destroyed();
            super::hub::unregister(d.id());
        }
    }
}

impl QWorker {
    pub(crate) fn driver(&self) -> Option<Rc<dyn Driver>> {
        self.rust().driver.clone()
    }

    /// QML `running`: between the delivered `started` and `finished`.
    pub fn is_running(&self) -> bool {
        self.driver().is_some_and(|d| d.state().is_running())
    }

    /// QML `paused`: between the delivered `paused` and `resumed`.
    pub fn is_paused(&self) -> bool {
        self.driver()
            .is_some_and(|d| d.state() == crate::core::State::Paused)
    }

    /// QML `state`: `"pending"`, `"running"`, `"paused"` or `"finished"`.
    pub fn state_name(&self) -> QString {
        QString::from(
            self.driver()
                .map_or(crate::core::State::Pending, |d| d.state())
                .as_str(),
        )
    }

    /// QML `abortRequested`: quit was requested.
    pub fn is_abort_requested(&self) -> bool {
        self.driver().is_some_and(|d| d.abort_requested())
    }

    /// QML `progress`: units done, as last delivered.
    pub fn progress_done(&self) -> f64 {
        self.driver().map_or(0.0, |d| d.progress().done as f64)
    }

    /// QML `progressTotal`: 0 when unknown.
    pub fn progress_total_value(&self) -> f64 {
        self.driver().map_or(0.0, |d| d.progress().total as f64)
    }

    /// QML `name`.
    pub fn name_value(&self) -> QString {
        QString::from(self.driver().map(|d| d.name()).unwrap_or_default().as_str())
    }

    /// QML `kind`: `"function"` or `"generator"`.
    pub fn kind_name(&self) -> QString {
        QString::from(self.driver().map_or("none", |d| d.kind().as_str()))
    }

    /// QML/C++ `task`: the name of a task registered from Rust; set it before `start()`.
    pub fn set_task(self: Pin<&mut Self>, task: QString) {
        if self.refuse_after_attach("task") {
            return;
        }
        let mut this = self;
        this.as_mut().fields().task = task;
        this.task_changed();
    }

    /// QML/C++ `args`: the task's arguments; set them before `start()`.
    pub fn set_args(self: Pin<&mut Self>, args: QList<QVariant>) {
        if self.refuse_after_attach("args") {
            return;
        }
        let mut this = self;
        this.as_mut().fields().args = args;
        this.args_changed();
    }

    /// QML/C++ `policy`: `"all"` (default), `"latest"` or `"bounded:N"`; before `start()`.
    pub fn set_policy(self: Pin<&mut Self>, policy: QString) {
        if self.refuse_after_attach("policy") {
            return;
        }
        let mut this = self;
        this.as_mut().fields().policy = policy;
        this.policy_changed();
    }

    fn fields(self: Pin<&mut Self>) -> &mut QWorkerRust {
        self.rust_mut().get_mut()
    }

    fn get_ptr(self: Pin<&mut Self>) -> *mut QWorker {
        // SAFETY: only the address is taken; nothing moves the object.
        unsafe { self.get_unchecked_mut() as *mut QWorker }
    }

    fn refuse_after_attach(&self, what: &str) -> bool {
        let attached = self.driver().is_some();
        if attached {
            log(
                Level::Warning,
                &format!(
                    "worker '{}': `{what}` can only be set before start()",
                    self.name_value()
                ),
            );
        }
        attached
    }

    /// Builds the driver for `task` from the registry (QML/C++-created workers). An unknown
    /// task, bad arguments or a bad policy give a worker that reports `errored` saying why.
    fn attach_task(self: &mut Pin<&mut Self>) -> bool {
        let task = self.rust().task.to_string();
        if task.is_empty() {
            let known = super::registry::registered_tasks().join(", ");
            log(
                Level::Warning,
                &format!(
                    "Worker.start(): set `task` to the name of a task registered from Rust (registered: {})",
                    if known.is_empty() { "none" } else { &known }
                ),
            );
            return false;
        }
        let args: Vec<QVariant> = self.rust().args.iter().cloned().collect();
        let policy_text = self.rust().policy.to_string();
        let policy = if policy_text.is_empty() {
            Ok(crate::core::Policy::All)
        } else {
            crate::core::Policy::parse(&policy_text)
        };
        let made = policy
            .clone()
            .map_err(|e| format!("task '{task}': {e}"))
            .and_then(|_| super::registry::driver_for(&task, &args));
        let maker = made.unwrap_or_else(super::registry::failing);
        let options = crate::core::Options {
            name: task,
            policy: policy.unwrap_or_default(),
            progress_total: None,
        };
        super::app::install_quit_hook();
        let driver = maker(options);
        driver.attach_qobject(self.as_mut().get_ptr(), self.qt_thread());
        super::hub::register(&driver, false); // this object owns it
        self.as_mut().fields().driver = Some(driver);
        self.as_mut().name_changed();
        self.as_mut().state_changed();
        true
    }

    /// The driver, or a warning naming the call when this object has none.
    fn driver_for(&self, call: &str) -> Option<Rc<dyn Driver>> {
        let d = self.driver();
        if d.is_none() {
            log(
                Level::Warning,
                &format!("Worker.{call}(): this Worker has no work attached; create it from Rust"),
            );
        }
        d
    }

    /// QML `start()`: starts the work; `false` with a warning when refused.
    pub fn start(mut self: Pin<&mut Self>) -> bool {
        if self.driver().is_none() && !self.attach_task() {
            return false;
        }
        let Some(d) = self.driver_for("start") else {
            return false;
        };
        match d.start() {
            Ok(()) => true,
            Err(e) => {
                log(
                    Level::Warning,
                    &format!("worker '{}': start(): {e}", d.name()),
                );
                false
            }
        }
    }

    /// QML `pause()`: a warning on a function worker.
    pub fn pause(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_for("pause") {
            d.control(Control::Pause);
        }
    }

    /// QML `resume()`.
    pub fn resume(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_for("resume") {
            d.control(Control::Resume);
        }
    }

    /// QML `togglePause()`.
    pub fn toggle_pause(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_for("togglePause") {
            d.control(Control::Toggle);
        }
    }

    /// QML `quit()`.
    pub fn quit(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_for("quit") {
            d.control(Control::Quit);
            if d.take_abort_notice() {
                self.abort_requested_changed();
            }
        }
    }

    /// QML `send(value)`: `false` with a warning saying what was expected when refused.
    pub fn send(self: Pin<&mut Self>, value: &QVariant) -> bool {
        let Some(d) = self.driver_for("send") else {
            return false;
        };
        match d.send_variant(value) {
            Ok(()) => true,
            Err(e) => {
                log(
                    Level::Warning,
                    &format!("worker '{}': send(): {e}", d.name()),
                );
                false
            }
        }
    }
}

/// A control request, type-erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Pause,
    Resume,
    Toggle,
    Quit,
}

/// Creates a `QWorker` for an existing driver (the QObject of a Rust-created worker, made
/// when something asks for it). Returns the owning pointer.
pub(crate) fn new_qworker_for(driver: Rc<dyn Driver>) -> cxx::UniquePtr<QWorker> {
    let mut obj = ffi::new_qworker();
    let guard = obj.qt_thread();
    let ptr = obj.pin_mut().get_ptr();
    driver.attach_qobject(ptr, guard);
    obj.pin_mut().fields().driver = Some(driver);
    obj
}
