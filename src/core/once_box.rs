//! A box set at most once, one word wide: what [`Shared`](super::task::Shared) keeps of the
//! settings few workers use (`Rare`). `std::sync::OnceLock<Box<T>>` is two words (its state
//! and the pointer); every live worker holds one, and W3 starts 10,000 at once.
//!
//! # Invariants
//!
//! - The pointer is null until the first [`OnceBox::get_or_init`] that wins its
//!   compare-and-swap stores a `Box::into_raw`; it never changes after that until `Drop`.
//! - A racing `get_or_init` that loses frees its own box and returns the winner's, so exactly
//!   one box is ever published, and every caller sees the same one.
//! - The store is a release and every load an acquire, so a reader of a non-null pointer sees
//!   the box's contents as they were written before it was published.
//! - `Drop` has `&mut self`: no reader is left, and the box is freed once.

use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

pub(crate) struct OnceBox<T> {
    ptr: AtomicPtr<T>,
    /// Owns a `T` (for drop check and auto traits through `Box<T>`).
    _owns: PhantomData<Box<T>>,
}

impl<T> OnceBox<T> {
    pub(crate) const fn new() -> Self {
        OnceBox {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// The value, if it was set.
    pub(crate) fn get(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: non-null only once published, and then valid until `Drop` (`# Invariants`),
        // which cannot run while `&self` is borrowed.
        unsafe { p.as_ref() }
    }

    /// The value, made by `init` if it was not set yet.
    pub(crate) fn get_or_init(&self, init: impl FnOnce() -> Box<T>) -> &T {
        if let Some(v) = self.get() {
            return v;
        }
        let mine = Box::into_raw(init());
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), mine, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: `mine` is published now and lives until `Drop`.
            Ok(_) => unsafe { &*mine },
            Err(theirs) => {
                // SAFETY: `mine` was never published: this thread still owns it alone.
                drop(unsafe { Box::from_raw(mine) });
                // SAFETY: `theirs` is the published box (`# Invariants`).
                unsafe { &*theirs }
            }
        }
    }
}

impl<T> Drop for OnceBox<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: published by `get_or_init` from `Box::into_raw`, freed only here.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

// SAFETY: `OnceBox<T>` owns a `T` and hands out `&T` to every thread that shares it, as
// `OnceLock<Box<T>>` does: `Send` needs `T: Send`, `Sync` needs `T: Send + Sync`.
unsafe impl<T: Send> Send for OnceBox<T> {}
// SAFETY: see above.
unsafe impl<T: Send + Sync> Sync for OnceBox<T> {}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::OnceBox;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn an_unset_box_reads_none_and_frees_nothing() {
        let b: OnceBox<String> = OnceBox::new();
        assert!(b.get().is_none());
    }

    #[test]
    fn the_first_value_stays() {
        let b = OnceBox::new();
        assert_eq!(*b.get_or_init(|| Box::new(1)), 1);
        assert_eq!(*b.get_or_init(|| Box::new(2)), 1);
        assert_eq!(b.get(), Some(&1));
    }

    #[test]
    fn racing_initialisers_publish_one_box_and_free_the_others() {
        for _ in 0..200 {
            let drops = Arc::new(AtomicUsize::new(0));
            let b = Arc::new(OnceBox::new());
            let made = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let (b, drops, made) = (b.clone(), drops.clone(), made.clone());
                    std::thread::spawn(move || {
                        let v = b.get_or_init(|| {
                            made.fetch_add(1, Ordering::Relaxed);
                            Box::new(Counted(drops.clone()))
                        });
                        std::ptr::from_ref(v) as usize
                    })
                })
                .collect();
            let seen: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            assert!(
                seen.windows(2).all(|w| w[0] == w[1]),
                "every caller saw one box"
            );
            let made = made.load(Ordering::Relaxed);
            // The losers' boxes are freed at once; the winner's when the OnceBox goes.
            assert_eq!(drops.load(Ordering::Relaxed), made - 1);
            drop(Arc::try_unwrap(b).ok().expect("the threads are done"));
            assert_eq!(drops.load(Ordering::Relaxed), made);
        }
    }
}
