//! qworker runs long work off the Qt GUI thread and delivers everything it reports (started,
//! yielded values, progress, warnings, the result or the error, finished) as Qt signals on the
//! GUI event loop, with pause, resume, quit and send-a-value-in as controls: napari's and
//! superqt's `thread_worker`, in Rust, on cxx-qt.
//!
//! ```no_run
//! use qworker::BoxError;
//!
//! // napari's first example: average a large random stack without freezing the GUI.
//! let worker = qworker::function(|| -> Result<Vec<f32>, BoxError> {
//!     Ok(vec![0.5; 512 * 512]) // ... the heavy computation ...
//! });
//! worker.on_returned(|mean| println!("{} pixels", mean.len()));
//! worker.start()?;
//! # Ok::<(), qworker::StartError>(())
//! ```
//!
//! # Where things are
//!
//! - The crate root: everything a worker needs. The constructors ([`function`],
//!   [`function_with_context`], [`generator`], [`from_iter`], [`from_work`]), the worker types
//!   ([`GeneratorWorker`], [`FunctionWorker`], their shared part [`WorkerBase`], the
//!   [`QWorker`] QObject), the body's [`Context`], the vocabulary ([`Event`], [`Policy`],
//!   [`Progress`], [`WorkerError`], [`WorkerState`], [`WorkerKind`], ...), conversions for QML
//!   and C++ ([`ToVariant`], [`FromVariant`]), tasks started by name from QML and C++
//!   ([`register_generator`], [`register_function`]), and the application's quit
//!   ([`await_workers`], [`set_quit_timeout`], ...).
//! - [`image`]: images on screen (`Frame`, the `FrameView` Qt Quick item, the `ImageView`
//!   widget). [`widgets`]: the `QApplication` of a widget program.
//! - [`testing`]: event-loop helpers, message capture, scene scripting, for tests and tools.
//! - [`core`]: the Qt-free engine, to run a task on an event loop of your own.
//!
//! Type parameters always come in one order: `Y` (yielded), `S` (sent in), `R` (returned),
//! `E` (error).
//!
//! # Setting up an application
//!
//! An application links qworker's C++ and QML module with one line in `main`, creates its Qt
//! application object, then creates workers on the GUI thread and runs the event loop (the
//! guide, `docs/guide.md`, has the `Cargo.toml` lines):
//!
//! ```no_run
//! use cxx_qt_lib::QGuiApplication;
//! use qworker::{BoxError, Context};
//!
//! fn main() {
//!     cxx_qt::init_crate!(qworker); // qworker's C++, QML module and initializers
//!     let mut app = QGuiApplication::new();
//!     let worker = qworker::generator(|cx: &mut Context<u32>| -> Result<(), BoxError> {
//!         for i in 0..3 {
//!             cx.yield_(i)?;
//!         }
//!         Ok(())
//!     });
//!     worker.on_yielded(|i| println!("got {i}"));
//!     worker.on_finished(|| qworker::exit_application(0));
//!     worker.start().expect("started");
//!     if let Some(app) = app.as_mut() {
//!         std::process::exit(app.exec());
//!     }
//! }
//! ```

#![warn(missing_docs)]
#![warn(missing_debug_implementations)]

extern crate cxx_qt_lib;

pub mod core;
#[cfg(feature = "image")]
pub mod image;
mod qt;
#[cfg(feature = "testing")]
pub mod testing;

/// The `QApplication` of a widget program (for [`image::ImageView`] and your own widgets).
#[cfg(feature = "widgets")]
pub mod widgets {
    pub use crate::image::widgets::Application;
}

/// The types of async/await on the GUI event loop (`docs/async.md`): what [`spawn_local`],
/// [`sleep`], [`timeout`], [`spawn_blocking`] and the workers' `result()`, `stream()`,
/// `events()` return, and the signal futures of a [`QWorker`].
pub mod future {
    pub use crate::qt::blocking::Blocking;
    pub use crate::qt::executor::{JoinError, JoinHandle, SpawnError, pending_futures};
    pub use crate::qt::futures::{EventStream, ResultFuture, Stopped, YieldStream};
    pub use crate::qt::signals::{Emitted, Signal, SignalFuture};
    pub use crate::qt::timer::{Elapsed, Sleep, Timeout};
}

pub use crate::core::context::{Context, NoYield};
pub use crate::core::control::SendError;
pub use crate::core::event::{
    Aborted, BoxError, Event, Progress, WorkerError, WorkerKind, WorkerState,
};
pub use crate::core::mailbox::Policy;
pub use crate::core::pace::PROGRESS_INTERVAL;
pub use crate::core::pool::{AwaitError, Pool};
pub use crate::core::work::Work;
pub use crate::qt::app::{
    await_workers, exit_application, install_quit_hook, is_gui_thread, quit_application,
    quit_timeout, set_quit_timeout,
};
pub use crate::qt::blocking::{spawn_blocking, spawn_blocking_with_context};
pub use crate::qt::driver::StartError;
pub use crate::qt::executor::{spawn_local, try_spawn_local};
pub use crate::qt::handle::ObjectHandle;
pub use crate::qt::qobject::QWorker;
pub use crate::qt::registry::{FromArgs, register_function, register_generator, registered_tasks};
pub use crate::qt::sugar::{IntoWorker, create_worker};
pub use crate::qt::tasks::{
    ELAPSED_TICK, FLUSH_INTERVAL, Outcome, TaskInfo, live_tasks, quit_all, recent_tasks_kept,
    set_recent_tasks_kept,
};
pub use crate::qt::timer::{sleep, timeout};
pub use crate::qt::variant::{ConvertError, FromVariant, ToVariant};
pub use crate::qt::worker::{
    FunctionWorker, GeneratorWorker, WorkerBase, from_iter, from_work, function,
    function_with_context, generator,
};
pub use crate::qt::workerpool::{TASK_ROLES, WorkerPool};
pub use qworker_macros::thread_worker;

#[doc(hidden)]
pub mod __private {
    //! Used by the code `#[thread_worker]` generates; not public API.
    pub use crate::qt::sugar::{WorkerResult, start_failed};
}

/// The guide's and the README's Rust blocks, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
#[doc = include_str!("../README.md")]
struct DocsCompile;

/// docs/sugar.md's Rust blocks, compiled as doc tests (they use `image` and `widgets`).
#[cfg(all(doctest, feature = "image", feature = "widgets"))]
#[doc = include_str!("../docs/sugar.md")]
struct SugarDocsCompile;

/// The Rust blocks of docs/supervision.md, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/supervision.md")]
struct SupervisionDocsCompile;

/// The Rust blocks of docs/async.md, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/async.md")]
struct AsyncDocsCompile;
