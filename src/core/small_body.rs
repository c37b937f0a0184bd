//! A worker body as its task keeps it until a pool thread runs it: a closure of up to three
//! words is stored inline, a larger one in a box of its own.
//!
//! Most bodies capture little (an index, a path, an `Arc`): stored inline, such a body costs
//! its worker no allocation of its own. A short worker used to pay one `malloc` on the GUI
//! thread and one `free` on the pool thread for the box of its closure (W3: 10,000 of them).
//! A [`Body`](super::Body) (already a box) is stored inline as it is: no second box.
//!
//! # Invariants
//!
//! - `data` holds exactly one live value of the type `vt` was made for: the closure itself
//!   when it fits ([`fits`]), else a `Box` of it. Only `new` writes it.
//! - The value is taken out exactly once: by [`SmallBody::call`] (which reads it out and then
//!   never drops `self`) or by `Drop` (which drops it in place). A panic in the closure
//!   unwinds through `call` after the value was read out: its captures drop as the closure's
//!   frame unwinds, and nothing drops them again.
//! - `SmallBody` is `Send` because `new` accepts only `Send` closures, and it is never shared
//!   (`&SmallBody` gives no access to the value).

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit, align_of, size_of};
use std::ptr::NonNull;

use super::context::Context;

/// What a body is: a closure run once on a pool thread (the unboxed [`Body`](super::Body)).
pub(crate) trait BodyFn<Y, S, R, E>:
    FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static
{
}

impl<Y, S, R, E, F> BodyFn<Y, S, R, E> for F where
    F: FnOnce(&mut Context<Y, S>) -> Result<R, E> + Send + 'static
{
}

/// The inline space: three words, word-aligned.
type Space = MaybeUninit<[usize; 3]>;

/// Whether a closure of type `F` is stored inline.
const fn fits<F>() -> bool {
    fits_in::<F, Space>()
}

/// Whether a value of type `F` fits a space of type `S` in size and alignment (here, and for
/// the callbacks' inline closures, `qt/callbacks.rs`).
pub(crate) const fn fits_in<F, S>() -> bool {
    size_of::<F>() <= size_of::<S>() && align_of::<F>() <= align_of::<S>()
}

/// What a stored body can do, for one closure type: run it (consuming it) or drop it.
struct Vtable<Y, S, R, E> {
    call: unsafe fn(*mut Space, &mut Context<Y, S>) -> Result<R, E>,
    drop: unsafe fn(*mut Space),
}

/// A body, inline when small (see the module's text).
pub(crate) struct SmallBody<Y, S, R, E> {
    data: Space,
    /// A `'static` vtable (a raw pointer: a reference would need `Y: 'static` and so on in
    /// every type that holds a body).
    vt: NonNull<Vtable<Y, S, R, E>>,
    /// Not `Sync` (a `&SmallBody` is never handed out across threads), `Send` by hand below.
    _not_sync: PhantomData<*mut ()>,
}

// SAFETY: `new` stores only `Send` closures (or boxes of them); see "# Invariants".
unsafe impl<Y, S, R, E> Send for SmallBody<Y, S, R, E> {}

/// The vtables of one closure type `F`, inline and boxed.
struct Shims<F, Y, S, R, E>(PhantomData<fn() -> F>, Types<Y, S, R, E>);

/// A marker of a body's four types.
type Types<Y, S, R, E> = PhantomData<fn() -> (Y, S, R, E)>;

impl<F, Y, S, R, E> Shims<F, Y, S, R, E>
where
    F: FnOnce(&mut Context<Y, S>) -> Result<R, E>,
{
    const INLINE: Vtable<Y, S, R, E> = Vtable {
        call: Self::call_inline,
        drop: Self::drop_inline,
    };
    const BOXED: Vtable<Y, S, R, E> = Vtable {
        call: Self::call_boxed,
        drop: Self::drop_boxed,
    };

    /// SAFETY: `data` holds a live `F`; the caller never touches it again.
    unsafe fn call_inline(data: *mut Space, cx: &mut Context<Y, S>) -> Result<R, E> {
        // SAFETY: the caller's contract: a live `F` at `data`, read out once.
        let f = unsafe { data.cast::<F>().read() };
        f(cx)
    }

    /// SAFETY: `data` holds a live `F`; the caller never touches it again.
    unsafe fn drop_inline(data: *mut Space) {
        // SAFETY: the caller's contract: a live `F` at `data`, dropped once.
        unsafe { data.cast::<F>().drop_in_place() }
    }

    /// SAFETY: `data` holds a live `Box<F>`; the caller never touches it again.
    unsafe fn call_boxed(data: *mut Space, cx: &mut Context<Y, S>) -> Result<R, E> {
        // SAFETY: the caller's contract: a live `Box<F>` at `data`, read out once.
        let f = unsafe { data.cast::<Box<F>>().read() };
        f(cx)
    }

    /// SAFETY: `data` holds a live `Box<F>`; the caller never touches it again.
    unsafe fn drop_boxed(data: *mut Space) {
        // SAFETY: the caller's contract: a live `Box<F>` at `data`, dropped once.
        unsafe { data.cast::<Box<F>>().drop_in_place() }
    }
}

impl<Y, S, R, E> SmallBody<Y, S, R, E> {
    /// Stores `f`: inline when it fits in three words, else boxed.
    pub(crate) fn new<F: BodyFn<Y, S, R, E>>(f: F) -> Self {
        let mut data = Space::uninit();
        // Each vtable is an inline constant: the reference points into static memory.
        let vt: &Vtable<Y, S, R, E> = if fits::<F>() {
            // SAFETY: `F` fits `Space` in size and alignment (`fits`).
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
            const { &Shims::<F, Y, S, R, E>::INLINE }
        } else {
            // SAFETY: a `Box` is one word, word-aligned.
            unsafe { data.as_mut_ptr().cast::<Box<F>>().write(Box::new(f)) };
            const { &Shims::<F, Y, S, R, E>::BOXED }
        };
        SmallBody {
            data,
            vt: NonNull::from(vt),
            _not_sync: PhantomData,
        }
    }

    /// Runs the body, once.
    pub(crate) fn call(self, cx: &mut Context<Y, S>) -> Result<R, E> {
        let mut me = ManuallyDrop::new(self);
        // SAFETY: `vt` points to an inline constant (static memory); `data` holds the live
        // value it was made for; `me` is never dropped, so the value is taken out here only
        // (see "# Invariants").
        unsafe { (me.vt.as_ref().call)(&mut me.data, cx) }
    }
}

impl<Y, S, R, E> Drop for SmallBody<Y, S, R, E> {
    fn drop(&mut self) {
        // SAFETY: `vt` points to an inline constant (static memory); `call` did not run (it
        // never drops `self`), so the value is still there.
        unsafe { (self.vt.as_ref().drop)(&mut self.data) }
    }
}

#[cfg(test)]
mod tests {
    use super::{SmallBody, fits};
    use crate::core::context::{Context, Port};
    use crate::core::event::{Aborted, Progress};
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn fits_of<F>(_: &F) -> bool {
        fits::<F>()
    }

    /// A port that goes nowhere: these bodies never use their context.
    struct Nowhere;

    impl Port<(), ()> for Nowhere {
        fn yield_(&self, _: (), _: Option<Progress>) -> Result<Option<()>, Aborted> {
            Err(Aborted)
        }
        fn checkpoint(&self) -> Result<(), Aborted> {
            Err(Aborted)
        }
        fn take_sent(&self) -> Option<()> {
            None
        }
        fn recv(&self) -> Result<(), Aborted> {
            Err(Aborted)
        }
        fn progress(&self, _: Progress, _: Option<String>) -> Result<(), Aborted> {
            Err(Aborted)
        }
        fn warn(&self, _: String) {}
        fn quit_requested(&self) -> bool {
            true
        }
    }

    fn with_cx<T>(f: impl FnOnce(&mut Context<(), ()>) -> T) -> T {
        let port: Arc<dyn Port<(), ()>> = Arc::new(Nowhere);
        f(&mut Context::new(port, None))
    }

    #[test]
    fn a_small_closure_is_inline_and_a_large_one_boxed_and_both_run_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let small = {
            let c = Counted(drops.clone());
            move |_: &mut Context<(), ()>| -> Result<usize, ()> {
                Ok(c.0.load(Ordering::SeqCst) + 1)
            }
        };
        assert!(fits_of(&small));
        let big_payload = [7u64; 8];
        let big = {
            let c = Counted(drops.clone());
            move |_: &mut Context<(), ()>| -> Result<usize, ()> {
                let _keep = &c;
                Ok(big_payload.iter().sum::<u64>() as usize)
            }
        };
        assert!(!fits_of(&big));
        let (small, big) = (SmallBody::new(small), SmallBody::new(big));
        assert_eq!(with_cx(|cx| small.call(cx)), Ok(1));
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the small body's captures dropped once"
        );
        assert_eq!(with_cx(|cx| big.call(cx)), Ok(56));
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "the large body's captures dropped once"
        );
    }

    #[test]
    fn a_body_dropped_unrun_drops_its_captures_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        for big in [false, true] {
            let c = Counted(drops.clone());
            let pad = [0u8; 64];
            let body: SmallBody<(), (), (), ()> = if big {
                SmallBody::new(move |_| {
                    let _keep = (&c, pad);
                    Ok(())
                })
            } else {
                SmallBody::new(move |_| {
                    let _keep = &c;
                    Ok(())
                })
            };
            drop(body);
        }
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_panicking_body_drops_its_captures_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let c = Counted(drops.clone());
        let body: SmallBody<(), (), (), ()> = SmallBody::new(move |_| {
            let _keep = &c;
            panic!("boom")
        });
        let r = catch_unwind(AssertUnwindSafe(|| with_cx(|cx| body.call(cx))));
        assert!(r.is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_boxed_body_is_stored_as_it_is() {
        let body: crate::core::Body<(), (), u8, ()> = Box::new(|_| Ok(3));
        assert!(fits_of(&body), "a Box<dyn FnOnce> is two words");
        let body = SmallBody::new(body);
        assert_eq!(with_cx(|cx| body.call(cx)), Ok(3));
    }
}
