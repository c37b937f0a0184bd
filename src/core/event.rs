//! What a worker reports, in the order its receiver sees it, and the error types that go with it.
//!
//! An [`Event`] stream always reads: `Started`, then any of `Yielded`, `Progress`, `Warned`,
//! `Paused`, `Resumed` in the order they happened, then at most one of `Aborted` / `Returned` /
//! `Errored`, then `Finished` exactly once, last.

use std::fmt;

/// One thing a worker reported. The GUI thread receives these in order.
///
/// ```
/// use qworker::Event;
/// let e: Event<i32, String, String> = Event::Yielded(3);
/// assert_eq!(e.kind(), "yielded");
/// ```
#[derive(Debug)]
pub enum Event<Y, R, E> {
    /// The body began to run on a pool thread.
    Started,
    /// A value passed to [`Context::yield_`](crate::Context::yield_).
    Yielded(Y),
    /// Progress; consecutive undelivered progress events are coalesced into the newest.
    Progress(Progress),
    /// A message passed to [`Context::warn`](crate::Context::warn).
    Warned(String),
    /// The worker is parked after a pause request.
    Paused,
    /// The worker left the parked state after a resume request.
    Resumed,
    /// The worker stopped because `quit()` was requested. No `Returned` follows.
    Aborted,
    /// The body returned `Ok(value)`.
    Returned(R),
    /// The body returned `Err(e)` or panicked.
    Errored(WorkerError<E>),
    /// Last event, exactly once.
    Finished,
}

impl<Y, R, E> Event<Y, R, E> {
    /// The event's signal name (`"started"`, `"yielded"`, ...), for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Yielded(_) => "yielded",
            Event::Progress(_) => "progress",
            Event::Warned(_) => "warned",
            Event::Paused => "paused",
            Event::Resumed => "resumed",
            Event::Aborted => "aborted",
            Event::Returned(_) => "returned",
            Event::Errored(_) => "errored",
            Event::Finished => "finished",
        }
    }

    /// `true` for `Aborted`, `Returned` and `Errored`.
    pub fn is_outcome(&self) -> bool {
        matches!(
            self,
            Event::Aborted | Event::Returned(_) | Event::Errored(_)
        )
    }
}

/// Work done so far. `total == 0` means the total is unknown.
///
/// ```
/// use qworker::Progress;
/// let p = Progress::new(5, 10);
/// assert_eq!(p.fraction(), Some(0.5));
/// assert_eq!(Progress::new(11, 10).total, 0); // past the total: unknown, not overflow
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in all; 0 when unknown.
    pub total: u64,
}

impl Progress {
    /// Progress `done` of `total`; a `done` past a known total makes the total unknown (0).
    pub fn new(done: u64, total: u64) -> Self {
        let total = if total != 0 && done > total { 0 } else { total };
        Progress { done, total }
    }

    /// `done / total`, or `None` when the total is unknown.
    pub fn fraction(&self) -> Option<f64> {
        (self.total != 0).then(|| self.done as f64 / self.total as f64)
    }
}

/// Why a worker failed: its body returned an error, or it panicked.
///
/// ```
/// use qworker::WorkerError;
/// let e: WorkerError<String> = WorkerError::Failed("disk full".into());
/// assert_eq!(e.to_string(), "disk full");
/// assert_eq!(e.error(), Some(&"disk full".to_string()));
/// let p: WorkerError<String> = WorkerError::Panicked("index out of bounds".into());
/// assert!(p.is_panic());
/// assert_eq!(p.to_string(), "panicked: index out of bounds");
/// ```
#[derive(Debug)]
pub enum WorkerError<E> {
    /// The body returned `Err(e)`.
    Failed(E),
    /// The body panicked; the panic message.
    Panicked(String),
    /// A value the worker produced could not be delivered: a receiver needed it in another
    /// form and the conversion failed (the message says which value and why). The worker
    /// was stopped.
    Undeliverable(String),
    /// The worker's timeout (`.timeout(d)`) passed: it was asked to quit at the deadline and
    /// stopped at its next checkpoint. Distinct from `aborted`, which means someone asked.
    TimedOut(std::time::Duration),
}

impl<E> WorkerError<E> {
    /// The body's error value, if it returned one (not for panics).
    pub fn error(&self) -> Option<&E> {
        match self {
            WorkerError::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// `true` when the worker was stopped by its timeout.
    ///
    /// ```
    /// use qworker::WorkerError;
    /// let e: WorkerError<String> = WorkerError::TimedOut(std::time::Duration::from_millis(1500));
    /// assert!(e.is_timeout());
    /// assert_eq!(e.to_string(), "timed out after 1.5 s");
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, WorkerError::TimedOut(_))
    }

    /// `true` when the body panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, WorkerError::Panicked(_))
    }
}

impl<E: fmt::Display> fmt::Display for WorkerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Failed(e) => e.fmt(f),
            WorkerError::Panicked(msg) => write!(f, "panicked: {msg}"),
            WorkerError::Undeliverable(msg) => write!(f, "stopped: {msg}"),
            WorkerError::TimedOut(d) => write!(f, "timed out after {}", human(*d)),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for WorkerError<E> {}

/// Returned by every checkpoint ([`yield_`](crate::Context::yield_),
/// [`check`](crate::Context::check), ...) once `quit()` was requested.
/// Propagate it with `?`; the worker then reports `aborted`, not an error.
///
/// ```
/// use qworker::Aborted;
/// let boxed: Box<dyn std::error::Error + Send + Sync> = Aborted.into();
/// assert_eq!(boxed.to_string(), "worker aborted: quit was requested");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("worker aborted: quit was requested")
    }
}

impl std::error::Error for Aborted {}

/// The default error type of a worker body: any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A worker's state as its receiver has seen it (not the request): what QML's `state`
/// property shows.
///
/// ```
/// use qworker::WorkerState;
/// assert_eq!(WorkerState::Paused.as_str(), "paused");
/// assert!(WorkerState::Paused.is_running());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WorkerState {
    /// Not started, or started but `started` not delivered yet.
    #[default]
    Pending,
    /// `started` delivered, not paused, not finished.
    Running,
    /// `paused` delivered and no `resumed` since.
    Paused,
    /// `finished` delivered.
    Finished,
}

impl WorkerState {
    /// Lower-case name, as QML sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerState::Pending => "pending",
            WorkerState::Running => "running",
            WorkerState::Paused => "paused",
            WorkerState::Finished => "finished",
        }
    }

    /// `true` between `started` and `finished` (paused included), as superqt's `is_running`.
    pub fn is_running(self) -> bool {
        matches!(self, WorkerState::Running | WorkerState::Paused)
    }

    /// The state after `event` was delivered.
    pub fn after<Y, R, E>(self, event: &Event<Y, R, E>) -> WorkerState {
        match event {
            Event::Started | Event::Resumed => WorkerState::Running,
            Event::Paused => WorkerState::Paused,
            Event::Finished => WorkerState::Finished,
            _ => self,
        }
    }
}

/// Turns a panic payload into its message.
/// Function or generator: decides which controls exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    /// Runs once; `pause`/`resume`/`send` do not apply.
    Function,
    /// Yields values; can be paused, resumed and sent values.
    Generator,
}

impl WorkerKind {
    /// `"function"` or `"generator"`, as QML's `kind` property shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerKind::Function => "function",
            WorkerKind::Generator => "generator",
        }
    }
}

/// A duration as people read it in messages: "500 ms", "1.5 s".
pub(crate) fn human(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        let s = format!("{:.1}", d.as_secs_f64());
        format!("{} s", s.strip_suffix(".0").unwrap_or(&s))
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}
