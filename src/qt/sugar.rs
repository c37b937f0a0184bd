//! Syntactic sugar over the constructors, as napari's `create_worker` and `@thread_worker`:
//! [`create_worker`] picks the kind of worker from the closure's signature, and
//! `#[thread_worker]` (the `qworker-macros` crate) turns a function into one that returns a
//! worker. The support items its expansion names live here too (re-exported, hidden, as
//! `qworker::__private`). The guide is `docs/sugar.md`.
//!
//! ```no_run
//! use qworker::{BoxError, Context};
//!
//! /// napari's running mean: yields the mean of the stack so far every 16 slices.
//! #[qworker::thread_worker(connect(yielded = show), progress(total = depth as u64 / 16))]
//! fn running_mean(depth: u32, cx: &mut Context<Vec<f32>>) -> Result<(), BoxError> {
//!     let mut sum = vec![0f32; 64 * 64];
//!     for i in 0..depth {
//!         sum.iter_mut().for_each(|s| *s += 0.5);
//!         if i % 16 == 0 {
//!             cx.yield_(sum.iter().map(|s| s / (i + 1) as f32).collect())?;
//!         }
//!     }
//!     Ok(())
//! }
//!
//! fn show(mean: &Vec<f32>) {
//!     println!("mean[0] = {}", mean[0]);
//! }
//!
//! let worker = running_mean(1024); // started, because of `connect`
//! assert_eq!(worker.name(), "running_mean");
//! ```
//!
//! A function without a context gives a function worker, with its arguments moved in (not
//! started here: no `connect`, no `start_thread`):
//!
//! ```no_run
//! use qworker::{BoxError, FunctionWorker};
//!
//! #[qworker::thread_worker(name = format!("average {depth} slices"))]
//! fn average(depth: usize, size: usize) -> Result<f32, BoxError> {
//!     Ok((0..depth * size).map(|i| (i % 7) as f32).sum::<f32>() / (depth * size) as f32)
//! }
//!
//! let worker: FunctionWorker<f32, BoxError> = average(64, 512 * 512);
//! worker.on_returned(|mean| println!("mean {mean}"));
//! worker.start()?;
//! # Ok::<(), qworker::StartError>(())
//! ```
//!
//! `cx: &mut Context` (no yield type) gives a function worker that `quit()` stops at
//! `cx.check()`; an alias of `Result` works as the return type:
//!
//! ```no_run
//! use qworker::Context;
//!
//! type Result<T> = std::result::Result<T, String>;
//!
//! #[qworker::thread_worker(start_thread = true, progress(desc = "summing"))]
//! fn sum(n: u64, cx: &mut Context) -> Result<u64> {
//!     let mut total = 0;
//!     for i in 0..n {
//!         cx.check().map_err(|e| e.to_string())?;
//!         total += i;
//!     }
//!     Ok(total)
//! }
//!
//! let worker = sum(1_000_000); // a FunctionWorker<u64, String>, started
//! assert_eq!(worker.description(), "summing");
//! worker.detach()?; // runs to its end on its own
//! # Ok::<(), qworker::StartError>(())
//! ```
//!
//! # What the attribute rejects
//!
//! Each of these fails to compile, with a message that says what to write instead (the
//! `qworker-macros` unit tests pin the messages).
//!
//! An `async fn` (the body runs on a pool thread, not in an executor):
//!
//! ```compile_fail
//! #[qworker::thread_worker]
//! async fn load() -> Result<u32, qworker::BoxError> {
//!     Ok(1)
//! }
//! ```
//!
//! A method that takes `self` (the body must own what it uses):
//!
//! ```compile_fail
//! struct Stack(Vec<f32>);
//! impl Stack {
//!     #[qworker::thread_worker]
//!     fn mean(&self) -> Result<f32, qworker::BoxError> {
//!         Ok(self.0.iter().sum::<f32>() / self.0.len() as f32)
//!     }
//! }
//! ```
//!
//! An unknown option (the message lists the known ones):
//!
//! ```compile_fail
//! #[qworker::thread_worker(start = true)]
//! fn work() -> Result<(), qworker::BoxError> {
//!     Ok(())
//! }
//! ```
//!
//! `connect(yielded = ..)` on a function worker (only generator workers yield):
//!
//! ```compile_fail
//! #[qworker::thread_worker(connect(yielded = |v: &u32| println!("{v}")))]
//! fn work() -> Result<(), qworker::BoxError> {
//!     Ok(())
//! }
//! ```
//!
//! `policy` on a function worker, even one with a context:
//!
//! ```compile_fail
//! #[qworker::thread_worker(policy = Latest)]
//! fn work(cx: &mut qworker::Context) -> Result<(), qworker::BoxError> {
//!     Ok(())
//! }
//! ```
//!
//! A context that is not the last parameter:
//!
//! ```compile_fail
//! use qworker::{BoxError, Context};
//! #[qworker::thread_worker]
//! fn count(cx: &mut Context<u32>, n: u32) -> Result<(), BoxError> {
//!     Ok(())
//! }
//! ```
//!
//! A context not taken by `&mut`:
//!
//! ```compile_fail
//! use qworker::{BoxError, Context};
//! #[qworker::thread_worker]
//! fn count(n: u32, cx: &Context<u32>) -> Result<(), BoxError> {
//!     Ok(())
//! }
//! ```
//!
//! A pattern instead of a name for the context:
//!
//! ```compile_fail
//! use qworker::{BoxError, Context};
//! #[qworker::thread_worker]
//! fn count(n: u32, _: &mut Context<u32>) -> Result<(), BoxError> {
//!     Ok(())
//! }
//! ```
//!
//! No return type:
//!
//! ```compile_fail
//! #[qworker::thread_worker]
//! fn work() {}
//! ```
//!
//! A return type that is not a `Result`:
//!
//! ```compile_fail
//! #[qworker::thread_worker]
//! fn work() -> u32 {
//!     1
//! }
//! ```
//!
//! An alias-like name that is not a `Result` after all is caught by the type checker
//! (`WorkerResult` is not implemented):
//!
//! ```compile_fail
//! type NotAResult<T> = Option<T>;
//! #[qworker::thread_worker]
//! fn work() -> NotAResult<u32> {
//!     Some(1)
//! }
//! ```

use std::fmt::Display;

use super::glue::{Level, log};
use super::variant::{FromVariant, ToVariant};
use super::worker::{FunctionWorker, GeneratorWorker, function, function_with_context, generator};
use crate::{Context, StartError};

/// A closure or function that [`create_worker`] can turn into a worker. `Signature` is the
/// closure's signature as a function-pointer type (`fn() -> Result<R, E>`,
/// `fn(&mut Context) -> Result<R, E>`, `fn(&mut Context<Y, S>) -> Result<R, E>`); Rust
/// infers it from the closure, you never write it.
///
/// Implemented for every `FnOnce` that [`function`], [`function_with_context`] or
/// [`generator`] takes. The with-context and generator signatures do not overlap because
/// a generator's yield type implements [`ToVariant`] and `NoYield`, the yield type of
/// `Context`, does not.
pub trait IntoWorker<Signature>: Sized {
    /// The worker it becomes: [`FunctionWorker`] or [`GeneratorWorker`].
    type Worker;

    /// The worker, not started, on the global pool.
    fn into_worker(self) -> Self::Worker;
}

impl<F, R, E> IntoWorker<fn() -> Result<R, E>> for F
where
    F: FnOnce() -> Result<R, E> + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    type Worker = FunctionWorker<R, E>;

    fn into_worker(self) -> FunctionWorker<R, E> {
        function(self)
    }
}

impl<F, R, E> IntoWorker<fn(&mut Context) -> Result<R, E>> for F
where
    F: FnOnce(&mut Context) -> Result<R, E> + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    type Worker = FunctionWorker<R, E>;

    fn into_worker(self) -> FunctionWorker<R, E> {
        function_with_context(self)
    }
}

impl<F, Y, S, R, E> IntoWorker<fn(&mut Context<Y, S>) -> Result<R, E>> for F
where
    F: FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static,
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    type Worker = GeneratorWorker<Y, S, R, E>;

    fn into_worker(self) -> GeneratorWorker<Y, S, R, E> {
        generator(self)
    }
}

/// One constructor for every closure, as napari's `create_worker`: the kind of worker
/// follows the closure's signature. Not started; call it on the GUI thread.
///
/// | the closure | the worker | as |
/// |---|---|---|
/// | `\|\| -> Result<R, E>` | [`FunctionWorker<R, E>`] | [`function`] |
/// | `\|cx: &mut Context\| -> Result<R, E>` | [`FunctionWorker<R, E>`], stoppable at `cx.check()` | [`function_with_context`] |
/// | `\|cx: &mut Context<Y, S>\| -> Result<R, E>` | [`GeneratorWorker<Y, S, R, E>`] | [`generator`] |
///
/// Write the context parameter's type (`cx: &mut Context<u32>`): Rust picks the kind from
/// it before it looks into the body. As with the constructors, give the return type
/// (`-> Result<u32, BoxError>`) unless the body pins it.
///
/// ```no_run
/// use qworker::{BoxError, Context, FunctionWorker, GeneratorWorker};
///
/// let stack: Vec<f32> = vec![0.5; 64 * 512 * 512];
/// let average: FunctionWorker<f32, BoxError> = qworker::create_worker(move || {
///     Ok(stack.iter().sum::<f32>() / stack.len() as f32)
/// });
///
/// let count: FunctionWorker<u64, BoxError> =
///     qworker::create_worker(|cx: &mut Context| -> Result<u64, BoxError> {
///         let mut n = 0;
///         for i in 0..1_000_000u64 {
///             if i % 1024 == 0 {
///                 cx.check()?; // quit() stops it here
///             }
///             n += i;
///         }
///         Ok(n)
///     });
///
/// let multiplier: GeneratorWorker<u64, u64, &str, BoxError> =
///     qworker::create_worker(|cx: &mut Context<u64, u64>| -> Result<&str, BoxError> {
///         let mut total = 1;
///         loop {
///             if let Some(factor) = cx.yield_(total)? {
///                 total *= factor;
///             }
///             if total == 0 {
///                 return Ok("Game Over!");
///             }
///         }
///     });
///
/// average.on_returned(|mean| println!("mean {mean}"));
/// multiplier.on_returned(|text| println!("{text}"));
/// average.start()?;
/// count.start()?;
/// multiplier.start()?;
/// # Ok::<(), qworker::StartError>(())
/// ```
///
/// A function item works as well as a closure, and the three forms of napari's guide are
/// the same worker:
///
/// ```no_run
/// use qworker::{BoxError, Context};
///
/// fn countdown(cx: &mut Context<u32>) -> Result<&'static str, BoxError> {
///     for i in (1..=3).rev() {
///         cx.yield_(i)?;
///     }
///     Ok("liftoff")
/// }
///
/// let a = qworker::create_worker(countdown); // a GeneratorWorker<u32, (), &str, BoxError>
/// let b = qworker::generator(countdown);
/// a.on_yielded(|i| println!("{i}"));
/// b.on_yielded(|i| println!("{i}"));
/// # Ok::<(), qworker::StartError>(())
/// ```
pub fn create_worker<Signature, F>(f: F) -> F::Worker
where
    F: IntoWorker<Signature>,
{
    f.into_worker()
}

/// `R` and `E` of a `Result<R, E>` written through an alias (`anyhow::Result<T>`): the
/// generated signature of a `#[thread_worker]` function names them through it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `#[thread_worker]` function must return `Result<R, E>`, not `{Self}`",
    label = "not a `Result`",
    note = "the `Ok` value is delivered as `returned`, the `Err` value as `errored`; \
            write `-> Result<T, qworker::BoxError>`"
)]
pub trait WorkerResult {
    /// `R`.
    type Ok;
    /// `E`.
    type Err;
}

impl<T, E> WorkerResult for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// A `#[thread_worker]` function that starts its worker could not start it (no pool thread
/// could be made): it says so through Qt's message handler and returns the worker unstarted.
#[doc(hidden)]
pub fn start_failed(name: &str, error: &StartError) {
    log(
        Level::Critical,
        &format!("worker '{name}' could not be started: {error}"),
    );
}
