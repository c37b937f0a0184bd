//! The one way this crate takes a lock or waits on a condition variable, and the one place
//! that picks the synchronisation primitives of the modules loom model-checks.
//!
//! # Poisoning
//!
//! Poisoning is ignored everywhere: a lock here is only ever poisoned by a panic in a user's
//! `Drop` (of a sent or yielded value) while the lock was held, and every state these locks
//! guard is consistent between any two statements that can panic. Recovering keeps a worker's
//! lifecycle going instead of turning one user panic into a second one on another thread.
//!
//! # The modelled primitives
//!
//! `mailbox`, `control` and `ready` take [`Mutex`], [`Condvar`], [`MutexGuard`] and the
//! atomics from here, never from `std::sync`: std's in every normal build, loom's under the
//! `loom` feature, so `loom_models` checks this crate's own protocol code, not a copy of it.
//! [`lock`] and [`wait`] take either kind, so the modules that keep std's types (the pool, the
//! task's name, the Qt layer) call them unchanged. The `loom` feature is for the models only:
//! loom's primitives panic outside `loom::model`, so a build with it runs no worker.
//!
//! # Why a feature, not `cfg(loom)`
//!
//! The usual `RUSTFLAGS="--cfg loom"` changes the flags of every crate in the build, so cargo
//! would rebuild all dependencies, the Qt bindings' C++ included (ten minutes and more here). A
//! cargo feature rebuilds only the crate that has it. The test command runs the models in
//! `core-loom/`, a crate that compiles this directory alone (it is Qt-free): `cargo test -p
//! qworker-core-loom loom_models`, about 15 s, no C++ at all. qworker's own `loom` feature
//! runs the same models (`cargo test --lib --features loom loom_models`) but re-runs qworker's
//! build script and its C++.

use std::time::Duration;

#[cfg(feature = "loom")]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize};
#[cfg(feature = "loom")]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize};
#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// A mutex [`lock`] can take: std's, and loom's under the `loom` feature.
pub(crate) trait Lock {
    /// What locking it gives.
    type Guard<'a>
    where
        Self: 'a;
    /// Locks, ignoring poisoning.
    fn lock_unpoisoned(&self) -> Self::Guard<'_>;
    /// Locks if the lock is free, ignoring poisoning.
    fn try_lock_unpoisoned(&self) -> Option<Self::Guard<'_>>;
}

impl<T> Lock for std::sync::Mutex<T> {
    type Guard<'a>
        = std::sync::MutexGuard<'a, T>
    where
        T: 'a;
    fn lock_unpoisoned(&self) -> Self::Guard<'_> {
        self.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn try_lock_unpoisoned(&self) -> Option<Self::Guard<'_>> {
        match self.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

#[cfg(feature = "loom")]
impl<T> Lock for loom::sync::Mutex<T> {
    type Guard<'a>
        = loom::sync::MutexGuard<'a, T>
    where
        T: 'a;
    fn lock_unpoisoned(&self) -> Self::Guard<'_> {
        self.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn try_lock_unpoisoned(&self) -> Option<Self::Guard<'_>> {
        match self.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// `lock(&arc)` of a shared mutex, as for the mutex itself.
impl<M: Lock + ?Sized> Lock for std::sync::Arc<M> {
    type Guard<'a>
        = M::Guard<'a>
    where
        Self: 'a;
    fn lock_unpoisoned(&self) -> Self::Guard<'_> {
        (**self).lock_unpoisoned()
    }
    fn try_lock_unpoisoned(&self) -> Option<Self::Guard<'_>> {
        (**self).try_lock_unpoisoned()
    }
}

#[cfg(feature = "loom")]
impl<M: Lock + ?Sized> Lock for loom::sync::Arc<M> {
    type Guard<'a>
        = M::Guard<'a>
    where
        Self: 'a;
    fn lock_unpoisoned(&self) -> Self::Guard<'_> {
        (**self).lock_unpoisoned()
    }
    fn try_lock_unpoisoned(&self) -> Option<Self::Guard<'_>> {
        (**self).try_lock_unpoisoned()
    }
}

/// A condition variable [`wait`] can wait on with guard `G`: std's, and loom's under `loom`.
pub(crate) trait Wait<G> {
    /// Waits, ignoring poisoning.
    fn wait_unpoisoned(&self, g: G) -> G;
}

impl<'a, T> Wait<std::sync::MutexGuard<'a, T>> for std::sync::Condvar {
    fn wait_unpoisoned(&self, g: std::sync::MutexGuard<'a, T>) -> std::sync::MutexGuard<'a, T> {
        self.wait(g).unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(feature = "loom")]
impl<'a, T> Wait<loom::sync::MutexGuard<'a, T>> for loom::sync::Condvar {
    fn wait_unpoisoned(&self, g: loom::sync::MutexGuard<'a, T>) -> loom::sync::MutexGuard<'a, T> {
        self.wait(g).unwrap_or_else(|p| p.into_inner())
    }
}

/// A process-wide service (the timeout watchdog, the progress pacer, the reaper): its state,
/// made on first use, and the one thread that serves it, started with it. `None` when that
/// thread could not be started.
pub(crate) fn service<T: Sync + 'static>(
    state: &'static std::sync::OnceLock<T>,
    started: &'static std::sync::OnceLock<bool>,
    init: impl FnOnce() -> T,
    name: &str,
    run: fn(&'static T),
) -> Option<&'static T> {
    let s = state.get_or_init(init);
    let ok = *started.get_or_init(|| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(s))
            .is_ok()
    });
    ok.then_some(s)
}

/// Locks `m`, ignoring poisoning (see `# Poisoning`).
pub(crate) fn lock<M: Lock>(m: &M) -> M::Guard<'_> {
    m.lock_unpoisoned()
}

/// Locks `m` if it is free, ignoring poisoning.
pub(crate) fn try_lock<M: Lock>(m: &M) -> Option<M::Guard<'_>> {
    m.try_lock_unpoisoned()
}

/// Waits on `cv`, ignoring poisoning.
pub(crate) fn wait<G, C: Wait<G>>(cv: &C, g: G) -> G {
    cv.wait_unpoisoned(g)
}

/// Waits on `cv` for at most `timeout`, ignoring poisoning (std's types only: the pool).
pub(crate) fn wait_timeout<'a, T>(
    cv: &std::sync::Condvar,
    g: std::sync::MutexGuard<'a, T>,
    timeout: Duration,
) -> (std::sync::MutexGuard<'a, T>, std::sync::WaitTimeoutResult) {
    cv.wait_timeout(g, timeout)
        .unwrap_or_else(|p| p.into_inner())
}
