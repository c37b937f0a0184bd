//! The `#[thread_worker]` attribute of [qworker](https://crates.io/crates/qworker), re-exported
//! there as `qworker::thread_worker`. Use it through qworker; this crate has no other API.

mod expand;
mod options;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Turns a function into one that returns a qworker worker running the function's body on a
/// pool thread (napari's and superqt's `@thread_worker`).
///
/// The signature says which worker:
///
/// | the function | calling it returns |
/// |---|---|
/// | `fn f(args..) -> Result<R, E>` | `FunctionWorker<R, E>` (`qworker::function`) |
/// | `fn f(args.., cx: &mut Context) -> Result<R, E>` | `FunctionWorker<R, E>` that `quit()` stops at `cx.check()` (`qworker::function_with_context`) |
/// | `fn f(args.., cx: &mut Context<Y, S>) -> Result<R, E>` | `GeneratorWorker<Y, S, R, E>` (`qworker::generator`) |
///
/// The arguments move into the worker; the worker is not started unless `connect(..)` or
/// `start_thread = true` is given. The generated function is `#[must_use]`: a worker dropped
/// at once is stopped; keep it, or call `.detach()`. The return type may be an alias such as
/// `anyhow::Result<T>`.
///
/// Options, all optional, in any order:
///
/// - `connect(returned = f, yielded = [g, h], errored = |e| .., ..)`: connects handlers (paths
///   or closures) to `started`, `yielded`, `returned`, `errored`, `warned`, `progress`,
///   `aborted`, `paused`, `resumed`, `finished`; a key may repeat, or take a list. A
///   `connect` also starts the worker, unless `start_thread = false`.
/// - `start_thread = true`: starts the worker.
/// - `policy = Latest` (or `All`, `Bounded(n)`, any `qworker::Policy` expression; generators).
/// - `progress(total = n, desc = "..")`: each yield counts one unit of `n` (generators);
///   `desc` describes the work.
/// - `name = ".."`: the worker's name in logs and `await_workers` (default: the function's
///   name). `name`, `total` and `desc` may use the arguments.
///
/// ```ignore
/// use qworker::{BoxError, Context};
///
/// // Compiled in qworker's docs (docs/sugar.md): this crate cannot depend on qworker.
/// #[qworker::thread_worker(
///     connect(yielded = show, returned = |n| println!("{n} frames")),
///     policy = Latest,
///     progress(total = frames as u64, desc = "rendering"),
/// )]
/// fn render(frames: u32, cx: &mut Context<Vec<u8>>) -> Result<u32, BoxError> {
///     for i in 0..frames {
///         cx.yield_(vec![i as u8; 64])?;
///     }
///     Ok(frames)
/// }
///
/// let worker = render(100); // started (because of `connect`)
/// ```
#[proc_macro_attribute]
pub fn thread_worker(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::thread_worker(attr.into(), item.into()).into()
}
