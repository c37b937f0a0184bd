//! qworker runs long work off the Qt GUI thread and delivers everything it reports (started,
//! yielded values, progress, warnings, the result or the error, finished) as Qt signals on the
//! GUI event loop, with pause, resume, quit and send-a-value-in as controls: napari's and
//! superqt's `thread_worker`, in Rust, on cxx-qt.
//!
//! ```no_run
//! use qworker::{BoxError, Context};
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
//! Layers: [`core`] knows no Qt (tasks, context, control block, mailbox, pool); [`qt`] holds
//! the `QWorker` QObject, the typed API and the conversions. The common items are re-exported
//! here.

#![warn(missing_docs)]

extern crate cxx_qt_lib;

pub mod core;
pub mod qt;

pub use crate::core::{
    Aborted, AwaitError, BoxError, Context, Event, NoYield, Policy, Pool, Progress, SendError,
    State, Work, WorkerError,
};
pub use crate::qt::app::{
    await_workers, exit_application, install_quit_hook, is_gui_thread, quit_timeout,
    set_quit_timeout,
};
pub use crate::qt::driver::{Kind, StartError};
pub use crate::qt::frame::{Frame, FrameError, FrameFormat, save_image};
pub use crate::qt::frameview::FrameView;
pub use crate::qt::qobject::QWorker;
pub use crate::qt::registry::{FromArgs, register_function, register_generator, registered_tasks};
pub use crate::qt::scene::SceneObject;
pub use crate::qt::testing;
pub use crate::qt::variant::{ConvertError, FromVariant, ToVariant};
pub use crate::qt::widgets;
pub use crate::qt::worker::{
    FunctionWorker, GeneratorWorker, WorkerBase, from_iter, from_work, function,
    function_with_context, generator,
};
