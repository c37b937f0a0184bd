//! The context a worker body receives: how it yields values, reports progress and warnings,
//! and honours pause and quit. Every method that can block or stop the body is a checkpoint.

use std::sync::Arc;

use super::event::{Aborted, Progress};

/// The uninhabited yield type of function workers: their context has no usable `yield_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoYield {}

/// What a context needs from its worker's shared state (implemented in `task.rs`). The port
/// erases the worker's `R` and `E`, so a body's context names only what it yields and
/// receives. One virtual call per context method.
pub(crate) trait Port<Y, S>: Send + Sync {
    /// Quit check, push (with the progress tick), checkpoint, take the oldest sent value.
    fn yield_(&self, value: Y, tick: Option<Progress>) -> Result<Option<S>, Aborted>;
    fn checkpoint(&self) -> Result<(), Aborted>;
    fn take_sent(&self) -> Option<S>;
    fn recv(&self) -> Result<S, Aborted>;
    /// Pushes (coalesced) progress, with a new status line when `status` is some, then is a
    /// checkpoint.
    fn progress(&self, p: Progress, status: Option<String>) -> Result<(), Aborted>;
    fn warn(&self, message: String);
    fn quit_requested(&self) -> bool;
}

/// Handed to a worker body. `Y` is what it yields, `S` what the GUI can send in.
///
/// Checkpoints (`yield_`, `recv`, `check`, `progress`) return `Err(Aborted)` once `quit()` was
/// requested; propagate it with `?`. They also park the thread while the worker is paused
/// (generator workers), using no CPU.
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// fn body(cx: &mut Context<u32, u32>) -> Result<&'static str, BoxError> {
///     let mut total = 1;
///     loop {
///         // Deliver `total`, stop here if paused or quit, get the next value sent in.
///         if let Some(factor) = cx.yield_(total)? {
///             total *= factor;
///         }
///         if total == 0 {
///             return Ok("Game Over!");
///         }
///     }
/// }
/// ```
pub struct Context<Y = NoYield, S = ()> {
    port: Arc<dyn Port<Y, S>>,
    /// Set when a total was given up front: each yield counts one unit.
    auto: Option<Progress>,
    /// The progress last reported (what `advance` counts on).
    last: Progress,
}

impl<Y, S> std::fmt::Debug for Context<Y, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("abort_requested", &self.port.quit_requested())
            .field("progress", &self.auto)
            .finish_non_exhaustive()
    }
}

impl<Y, S> Context<Y, S> {
    pub(crate) fn new(port: Arc<dyn Port<Y, S>>, total: Option<u64>) -> Self {
        Context {
            port,
            auto: total.map(|t| Progress::new(0, t)),
            last: Progress::new(0, total.unwrap_or(0)),
        }
    }

    /// Delivers `value` as `yielded(value)`, then is a checkpoint (pause, quit). Returns the
    /// oldest value sent in with `send` that this body has not received yet, if any.
    /// With a progress total set up front, each call also counts one unit of progress.
    pub fn yield_(&mut self, value: Y) -> Result<Option<S>, Aborted> {
        let tick = self.auto.as_mut().map(|p| {
            *p = Progress::new(p.done + 1, p.total);
            *p
        });
        if let Some(p) = tick {
            self.last = p;
        }
        self.port.yield_(value, tick)
    }

    /// Blocks until a value is sent in (or quit); a checkpoint. Use it for two-way protocols
    /// where the body must wait for the GUI's answer.
    pub fn recv(&mut self) -> Result<S, Aborted> {
        self.port.recv()
    }

    /// The oldest value sent in and not received yet, without blocking. Not a checkpoint.
    pub fn try_recv(&mut self) -> Option<S> {
        self.port.take_sent()
    }

    /// A checkpoint with nothing to deliver: returns `Err(Aborted)` after `quit()`, parks
    /// while paused. Call it in long loops of function workers so they can be stopped.
    pub fn check(&mut self) -> Result<(), Aborted> {
        self.port.checkpoint()
    }

    /// Reports progress (`total == 0`: unknown) and is a checkpoint. A `done` past a known
    /// `total` reports the total as unknown instead of overflowing. Undelivered progress is
    /// coalesced: the GUI sees the newest value, never a backlog.
    pub fn progress(&mut self, done: u64, total: u64) -> Result<(), Aborted> {
        self.report(Progress::new(done, total), None)
    }

    /// [`progress`](Self::progress) with a status line ("reading slice 4 of 64"): QML's
    /// `status`, the tasks model's `status` role, [`Progress`] callbacks read it with
    /// `worker.status()`. Coalesced like progress: the GUI sees the newest line.
    ///
    /// ```no_run
    /// # use qworker::{BoxError, Context};
    /// fn body(cx: &mut Context) -> Result<(), BoxError> {
    ///     for slice in 0..64 {
    ///         cx.progress_text(slice, 64, format!("reading slice {} of 64", slice + 1))?;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn progress_text(
        &mut self,
        done: u64,
        total: u64,
        status: impl Into<String>,
    ) -> Result<(), Aborted> {
        self.report(Progress::new(done, total), Some(status.into()))
    }

    /// Counts `units` more of progress against the total reported last (or set up front
    /// with the builder's `progress_total`) and is a checkpoint: for function workers, whose
    /// progress is not counted by yields.
    ///
    /// ```no_run
    /// # use qworker::{BoxError, Context};
    /// // With `.progress_total(files.len() as u64)` on the worker:
    /// fn body(files: Vec<String>, cx: &mut Context) -> Result<(), BoxError> {
    ///     for f in &files {
    ///         std::fs::metadata(f)?;
    ///         cx.advance(1)?;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn advance(&mut self, units: u64) -> Result<(), Aborted> {
        let p = Progress::new(self.last.done.saturating_add(units), self.last.total);
        self.report(p, None)
    }

    fn report(&mut self, p: Progress, status: Option<String>) -> Result<(), Aborted> {
        if let Some(auto) = self.auto.as_mut() {
            *auto = p;
        }
        self.last = p;
        self.port.progress(p, status)
    }

    /// Emits `warned(message)` on the GUI thread. Not a checkpoint.
    pub fn warn(&self, message: impl Into<String>) {
        self.port.warn(message.into());
    }

    /// `true` once `quit()` was requested; for bodies that poll instead of using `check()`.
    pub fn is_abort_requested(&self) -> bool {
        self.port.quit_requested()
    }
}
