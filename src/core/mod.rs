//! The Qt-free engine: the task runner, its control block, the mailbox with its delivery
//! policies, and the thread pool with its roster of live workers.
//!
//! Nothing here knows Qt. The one seam is [`Waker`]: the mailbox calls it when events wait,
//! and the Qt layer answers by posting a drain to the GUI thread. Everything here is usable
//! and tested without any event loop. The vocabulary a worker body uses (`Context`, `Policy`,
//! `Event`, `Pool`, ...) is re-exported at the crate root and lives there only; this module
//! adds what it takes to run a task on an event loop of your own: [`task`], its three
//! [`Parts`], and [`Receiver::drain`].
//!
//! The files, one concept each:
//! 1. `context` — what a body receives: `yield_`, `check`, `progress`, `warn`, `recv`.
//! 2. `control` — pause, resume, quit, send; the worker-side checkpoint and park.
//! 3. `event` — what a worker reports, in order; its errors; the delivered state.
//! 4. `mailbox` — events from the worker thread to the receiver: one wake per batch, policies.
//! 5. `task` — one worker: runs the body, owns the shared state, hands out its two ends.
//! 6. `pool` — the threads that run bodies, and the roster of live workers.
//! 7. `sched` — what the Linux scheduler says about a pool thread (blocked or running).
//! 8. `work` — the `Work` trait and the adapters that turn closures and iterators into bodies.
//! 9. `sync` — the one lock helper (poisoning ignored, and why); the primitives loom swaps.
//! 10. `ready` — the hub's ready list and its pending flag, without Qt.
//! 11. `deadline` — per-worker timeouts: one watchdog thread asks a worker to quit at its
//!     deadline and reports one that does not stop.
//! 12. `pace` — paced progress: a body reporting faster than `PROGRESS_INTERVAL` wakes its
//!     receiver at most about once per interval; one pacer thread delivers the postponed wakes.
//! 13. `reap` — one thread that drops floods of discarded values, so the GUI thread does not.
//! 14. `small_body` — a body as its task keeps it: inline when its closure is small.

pub(crate) mod context;
pub(crate) mod control;
mod deadline;
pub(crate) mod event;
pub(crate) mod mailbox;
mod once_box;
pub(crate) mod pace;
pub(crate) mod pool;
pub(crate) mod ready;
mod reap;
mod sched;
pub(crate) mod small_body;
mod sync;
pub(crate) mod task;
pub(crate) mod work;

// The engine's tests run real workers; loom's primitives work only inside a model.
#[cfg(all(test, not(feature = "loom")))]
mod tests;

#[cfg(all(test, feature = "loom"))]
mod loom_models;

pub(crate) use event::panic_message;
pub(crate) use sync::lock;

pub(crate) use mailbox::WakeBy;
pub use mailbox::{Drained, Waker};
pub use pool::SpawnError;
pub(crate) use small_body::{SmallBody, fits_in};
pub use task::{Body, Handle, Options, Parts, Receiver, STUCK_REPORT_AFTER, Task, task};
pub(crate) use task::{Host, Shared, Unstarted, task_woken_by};
pub use work::{function_body, iter_body, work_body};
pub(crate) use work::{function_fn, iter_fn, work_fn};
