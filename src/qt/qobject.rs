//! The `QWorker` QObject (QML: `Worker`): one per worker, with real Qt signals, properties
//! reflecting the delivered state, and invokable controls. It holds a type-erased driver
//! (`driver.rs`), which emits on it: the one import cycle of this layer (see `mod.rs`).
//!
//! A `QWorker` made by QML or C++ gets its driver at `start()`, from the task named in
//! `task` ([`TaskSource`], installed by the task registry).

use std::pin::Pin;
use std::rc::Rc;

use std::sync::OnceLock;
use std::time::Duration;

use cxx_qt::{CxxQtType, Threading};
use cxx_qt_lib::{QList, QString, QVariant};

use super::app;
use super::driver::{self, Control, Driver, Maker};
use super::glue::{self, Level, log};
use super::hub;
use crate::core::Options;
use crate::{Policy, WorkerState};

/// The cxx-qt bridge: the `QWorker` QObject.
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
        #[qproperty(QString, status, READ = status_text, NOTIFY = progress_changed)]
        #[qproperty(QString, description, READ = description_text, WRITE = set_description, NOTIFY = description_changed)]
        #[qproperty(i32, timeout, READ = timeout_ms, WRITE = set_timeout, NOTIFY = timeout_changed)]
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
        /// `description` changed.
        #[qsignal]
        #[cxx_name = "descriptionChanged"]
        fn description_changed(self: Pin<&mut QWorker>);
        /// `timeout` changed.
        #[qsignal]
        #[cxx_name = "timeoutChanged"]
        fn timeout_changed(self: Pin<&mut QWorker>);

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
        #[cxx_name = "status"]
        fn status_text(self: &QWorker) -> QString;
        #[cxx_name = "description"]
        fn description_text(self: &QWorker) -> QString;
        #[cxx_name = "setDescription"]
        fn set_description(self: Pin<&mut QWorker>, description: QString);
        #[cxx_name = "timeout"]
        fn timeout_ms(self: &QWorker) -> i32;
        #[cxx_name = "setTimeout"]
        fn set_timeout(self: Pin<&mut QWorker>, ms: i32);

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

    #[namespace = "rust::cxxqtlib1"]
    unsafe extern "C++" {
        include!("cxx-qt-lib/common.h");
        #[rust_name = "new_qworker"]
        fn make_unique() -> UniquePtr<QWorker>;
    }
}

pub use ffi::QWorker;

/// How a QML- or C++-made `QWorker` gets the work its `task` names: the converted arguments
/// as a [`Maker`], or a message saying what was expected. Installed by the task registry
/// when the first task is registered, so this file does not depend on the registry.
pub(crate) type TaskSource = fn(task: &str, args: &[QVariant]) -> Result<Maker, String>;

static TASK_SOURCE: OnceLock<TaskSource> = OnceLock::new();

/// Installs the task source (once; later calls change nothing).
pub(crate) fn set_task_source(source: TaskSource) {
    let _ = TASK_SOURCE.set(source);
}

/// The Rust side of a `QWorker` (cxx-qt's name for it; not used directly).
#[doc(hidden)]
pub struct QWorkerRust {
    pub(crate) driver: Option<Rc<dyn Driver>>,
    task: QString,
    args: QList<QVariant>,
    policy: QString,
    /// Set before start on a QML/C++ worker; handed to its driver at `start()`.
    description: String,
    timeout_ms: i32,
}

impl Default for QWorkerRust {
    fn default() -> Self {
        // Keeps cpp/qml_module.cpp linked wherever QWorker is (see cpp/glue.h).
        glue::qml_module_anchor();
        QWorkerRust {
            driver: None,
            task: QString::default(),
            args: QList::default(),
            policy: QString::default(),
            description: String::new(),
            timeout_ms: 0,
        }
    }
}

impl std::fmt::Debug for QWorkerRust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QWorkerRust")
            .field("task", &self.task.to_string())
            .field("attached", &self.driver.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for QWorkerRust {
    fn drop(&mut self) {
        if let Some(d) = self.driver.take() {
            d.qobject_destroyed();
            hub::unregister(d.id());
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
            .is_some_and(|d| d.state() == WorkerState::Paused)
    }

    /// QML `state`: `"pending"`, `"running"`, `"paused"` or `"finished"`.
    pub fn state_name(&self) -> QString {
        QString::from(
            self.driver()
                .map_or(WorkerState::Pending, |d| d.state())
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

    /// QML `status`: the status line delivered with the latest progress
    /// (`cx.progress_text`), else the description.
    pub fn status_text(&self) -> QString {
        let text = self.driver().map(|d| d.status()).unwrap_or_default();
        if text.is_empty() {
            self.description_text()
        } else {
            QString::from(text.as_str())
        }
    }

    /// QML `description`: a line about the work (napari's progress `desc`).
    pub fn description_text(&self) -> QString {
        match self.driver() {
            Some(d) => QString::from(d.description().as_str()),
            None => QString::from(self.rust().description.as_str()),
        }
    }

    /// QML/C++ `description`; may be set at any time.
    pub fn set_description(self: Pin<&mut Self>, description: QString) {
        let text = description.to_string();
        let mut this = self;
        match this.driver() {
            Some(d) => d.set_description(&text),
            None => this.as_mut().fields().description = text,
        }
        this.description_changed();
    }

    /// QML `timeout`: milliseconds after its start at which the worker is asked to quit
    /// (its outcome is then `errored`, "timed out after ..."); 0 means none.
    pub fn timeout_ms(&self) -> i32 {
        self.rust().timeout_ms
    }

    /// QML/C++ `timeout`; before `start()`. Zero or negative is refused with a warning.
    pub fn set_timeout(self: Pin<&mut Self>, ms: i32) {
        if ms <= 0 {
            log(
                Level::Warning,
                &format!(
                    "worker '{}': timeout {ms} refused; a timeout is a number of milliseconds greater than 0",
                    self.name_value()
                ),
            );
            return;
        }
        if self.refuse_after_start("timeout") {
            return;
        }
        let mut this = self;
        this.as_mut().fields().timeout_ms = ms;
        if let Some(d) = this.driver() {
            d.set_timeout(Duration::from_millis(ms as u64));
        }
        this.timeout_changed();
    }

    /// Whether the work already started (a warning naming `what` when so).
    fn refuse_after_start(&self, what: &str) -> bool {
        let started = self
            .driver()
            .is_some_and(|d| d.state() != WorkerState::Pending || d.is_started());
        if started {
            log(
                Level::Warning,
                &format!(
                    "worker '{}': `{what}` can only be set before start()",
                    self.name_value()
                ),
            );
        }
        started
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

    /// Builds the driver for `task` from the task source (QML/C++-created workers). An
    /// unknown task, bad arguments or a bad policy give a worker that reports `errored`
    /// saying why.
    fn attach_task(self: &mut Pin<&mut Self>) -> bool {
        let task = self.rust().task.to_string();
        if task.is_empty() {
            log(
                Level::Warning,
                "Worker.start(): set `task` to the name of a task registered from Rust \
                 (qworker::register_generator or register_function)",
            );
            return false;
        }
        let args: Vec<QVariant> = self.rust().args.iter().cloned().collect();
        let policy_text = self.rust().policy.to_string();
        let policy = if policy_text.is_empty() {
            Ok(Policy::All)
        } else {
            Policy::parse(&policy_text).map_err(|e| format!("task '{task}': {e}"))
        };
        let made = policy.clone().and_then(|_| match TASK_SOURCE.get() {
            Some(source) => source(&task, &args),
            None => Err(format!(
                "unknown task '{task}': no task is registered (register one from Rust with \
                 qworker::register_generator or register_function)"
            )),
        });
        let options = Options {
            name: task,
            policy: policy.unwrap_or_default(),
            ..Options::default()
        };
        app::install_quit_hook();
        let driver = match made {
            Ok(maker) => maker(options),
            Err(message) => driver::failing(message, options),
        };
        driver.set_description(&self.rust().description);
        if self.rust().timeout_ms > 0 {
            driver.set_timeout(Duration::from_millis(self.rust().timeout_ms as u64));
        }
        driver.attach_qobject(self.as_mut().get_ptr(), self.qt_thread());
        driver.enter_hub(false); // this object owns it
        self.as_mut().fields().driver = Some(driver);
        self.as_mut().name_changed();
        self.as_mut().state_changed();
        true
    }

    /// The driver, or a warning naming the call when this object has none.
    fn driver_or_warn(&self, call: &str) -> Option<Rc<dyn Driver>> {
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
        let Some(d) = self.driver_or_warn("start") else {
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
        if let Some(d) = self.driver_or_warn("pause") {
            d.control(Control::Pause);
        }
    }

    /// QML `resume()`.
    pub fn resume(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_or_warn("resume") {
            d.control(Control::Resume);
        }
    }

    /// QML `togglePause()`.
    pub fn toggle_pause(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_or_warn("togglePause") {
            d.control(Control::Toggle);
        }
    }

    /// QML `quit()`.
    pub fn quit(self: Pin<&mut Self>) {
        if let Some(d) = self.driver_or_warn("quit") {
            d.control(Control::Quit);
            if d.take_abort_notice() {
                self.abort_requested_changed();
            }
        }
    }

    /// QML `send(value)`: `false` with a warning saying what was expected when refused.
    pub fn send(self: Pin<&mut Self>, value: &QVariant) -> bool {
        let Some(d) = self.driver_or_warn("send") else {
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
