//! The worker layer: the only code that knows Qt for workers. The `QWorker` QObject and its
//! QML module, the typed Rust API on top of it, the delivery hub, the task registry, value
//! conversion to `QVariant`, and application-wide behaviour.
//!
//! The files, one concept each, leaves first:
//! 1. `glue` — the C++ glue of `cpp/glue.h` (logging, GUI-thread checks, `deleteLater`, the
//!    `aboutToQuit` hook). Uses nothing of this crate.
//! 2. `variant` — `ToVariant` / `FromVariant` conversions.
//! 3. `hub` — owns the hub QObject; one posted drain on the GUI thread serves every worker.
//!    Knows its entries only through the three-method `Drain` trait.
//! 4. `app` — the quit hook and `await_workers`.
//! 5. `driver` — the typed driver of one worker: drains its receiver, runs the typed
//!    callbacks, emits the Qt signals. Drivers are built here (`make_driver`).
//! 6. `qobject` — the `QWorker` QObject.
//! 7. `registry` — tasks registered by name, for `Worker { task: ... }` in QML and C++.
//! 8. `worker` — the typed Rust API (`generator`, `function`, ... and the worker types).
//! 9. `handle` — `ObjectHandle`, a guarded handle to a QObject of the user's own (custom
//!    signals from worker callbacks, without `unsafe`).
//! 10. `sugar` — napari's decorator as Rust: `create_worker` and what `#[thread_worker]`
//!     expands to (the macro itself is the `macros/` crate).
//! 11. `tasks` — the live task list of the GUI thread: a row per started worker, updated by
//!     the drivers, synced to its views at most every 50 ms. Knows views only as `View`.
//! 12. `workerpool` — the `WorkerPool` QObject (QML singleton): a list-model view of the
//!     task list, `quitAll`, `awaitAll`, and the application-quit guard of `CloseGuard`.
//!
//! # The one import cycle
//!
//! `qobject` ⟷ `driver`: the `QWorker` object holds its driver (type-erased, as
//! `Rc<dyn Driver>`), and the driver emits the object's signals. This is inherent to a
//! cxx-qt QObject whose Rust side delegates to a generic type. Every other dependency points
//! one way: the registry reaches the object through `qobject::set_task_source` (installed at
//! registration), not the other way round.

pub(crate) mod app;
pub(crate) mod blocking;
pub(crate) mod callbacks;
pub(crate) mod driver;
pub(crate) mod executor;
pub(crate) mod futures;
pub(crate) mod glue;
pub(crate) mod handle;
pub(crate) mod hub;
pub(crate) mod qobject;
pub(crate) mod registry;
pub(crate) mod signals;
pub(crate) mod sugar;
pub(crate) mod tasks;
pub(crate) mod timer;
pub(crate) mod variant;
pub(crate) mod worker;
pub(crate) mod workerpool;
