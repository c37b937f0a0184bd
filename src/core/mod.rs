//! The Qt-free runtime: worker bodies, their context, the control block, the mailbox with its
//! delivery policies, the thread pool and the registry of live workers.
//!
//! Nothing here knows Qt. The one seam is [`Waker`]: the mailbox calls it when events wait,
//! and the Qt layer answers by posting a drain to the GUI thread. Everything here is usable
//! and tested without any event loop.

mod context;
mod control;
mod event;
mod mailbox;
mod pool;
mod task;
mod work;

#[cfg(test)]
mod tests;

pub use context::{Context, NoYield};
pub use control::SendError;
pub(crate) use event::panic_message;
pub use event::{Aborted, BoxError, Event, Progress, State, WorkerError};
pub use mailbox::{Drained, Policy, Receiver, Waker};
pub use pool::{AwaitError, Pool, SpawnError};
pub use task::{Body, Handle, Options, Parts, Task, task};
pub use work::{Work, function_body, iter_body, work_body};
