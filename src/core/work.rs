//! Custom workers: a user type with a `work` method gets the full generator lifecycle.
//! Also the adapters that turn closures and iterators into task bodies.

use std::convert::Infallible;

use super::context::{Context, NoYield};
use super::small_body::BodyFn;
use super::task::Body;

/// A worker as a type of your own (the counterpart of subclassing superqt's `WorkerBase`).
/// It runs like a generator worker: it may yield, be paused, receive sent values and quit.
///
/// ```
/// use qworker::{Aborted, Context, Work};
///
/// struct Countdown(u32);
///
/// impl Work for Countdown {
///     type Yield = u32;
///     type Input = ();
///     type Output = &'static str;
///     type Error = Aborted;
///     fn work(&mut self, cx: &mut Context<u32>) -> Result<&'static str, Aborted> {
///         while self.0 > 0 {
///             cx.yield_(self.0)?;
///             self.0 -= 1;
///         }
///         Ok("liftoff")
///     }
/// }
/// ```
pub trait Work: Send + 'static {
    /// What `yield_` delivers.
    type Yield: Send + 'static;
    /// What the GUI can `send` in.
    type Input: Send + 'static;
    /// What a successful run returns.
    type Output: Send + 'static;
    /// What a failed run returns.
    type Error: Send + 'static;

    /// The body. Runs once, on a pool thread.
    fn work(
        &mut self,
        cx: &mut Context<Self::Yield, Self::Input>,
    ) -> Result<Self::Output, Self::Error>;
}

/// The body of a [`Work`] value.
pub fn work_body<W: Work>(work: W) -> Body<W::Yield, W::Input, W::Output, W::Error> {
    Box::new(work_fn(work))
}

/// The body of a function worker that needs no context.
pub fn function_body<R, E, F>(f: F) -> Body<NoYield, (), R, E>
where
    F: FnOnce() -> Result<R, E> + Send + 'static,
{
    Box::new(function_fn(f))
}

/// A body that yields every item of `iter`; returns `()`; stops early on quit.
pub fn iter_body<I>(iter: I) -> Body<I::Item, (), (), Infallible>
where
    I: IntoIterator + Send + 'static,
    I::Item: Send + 'static,
{
    Box::new(iter_fn(iter))
}

// The same three bodies unboxed, for the Qt layer: a task stores a small closure inline
// (`small_body.rs`), so these cost a worker no allocation when their captures are small.

/// [`work_body`], unboxed.
pub(crate) fn work_fn<W: Work>(
    mut work: W,
) -> impl BodyFn<W::Yield, W::Input, W::Output, W::Error> {
    move |cx| work.work(cx)
}

/// [`function_body`], unboxed.
pub(crate) fn function_fn<R, E, F>(f: F) -> impl BodyFn<NoYield, (), R, E>
where
    F: FnOnce() -> Result<R, E> + Send + 'static,
{
    move |_cx| f()
}

/// [`iter_body`], unboxed.
pub(crate) fn iter_fn<I>(iter: I) -> impl BodyFn<I::Item, (), (), Infallible>
where
    I: IntoIterator + Send + 'static,
    I::Item: Send + 'static,
{
    move |cx| {
        for item in iter {
            if cx.yield_(item).is_err() {
                break; // the runner reports `aborted`
            }
        }
        Ok(())
    }
}
