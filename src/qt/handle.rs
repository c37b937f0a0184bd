//! A guarded handle to a QObject of your own (a cxx-qt `#[qobject]` of your crate), so a
//! worker's callbacks can emit that object's signals without `unsafe`: custom signals.
//!
//! # Guarantees
//!
//! - [`ObjectHandle::with`] runs its closure only while the object exists: once it was
//!   destroyed (by QML, by its parent, by a C++ `delete`), every call does nothing and returns
//!   `None`. The check is cxx-qt's own (`CxxQtThread::is_destroyed`), the same guard cxx-qt's
//!   threading support uses.
//! - The handle is not `Send`: it is made from a `Pin<&mut T>` on the object's thread and can
//!   only be used there (the GUI thread, where worker callbacks run).

use std::fmt;
use std::pin::Pin;

use cxx_qt::{CxxQtThread, Threading};

/// A guarded handle to a QObject `T` of your own crate (declared with `#[qobject]` in a
/// cxx-qt bridge, with `impl cxx_qt::Threading for T {}`). Clone it into worker callbacks and
/// emit `T`'s signals from there; after the object is gone the calls do nothing.
///
/// ```ignore
/// // In an invokable of your QObject `Tracker` (signals `status_changed`, `point_added`):
/// fn start(self: Pin<&mut Tracker>) {
///     let me = qworker::ObjectHandle::new(self);
///     let worker = qworker::generator(trace_body);
///     worker.on_yielded(move |msg| {
///         me.with(|tracker| match msg {
///             Msg::Status(s) => tracker.status_changed(&QString::from(s.as_str())),
///             Msg::Point(x, y) => tracker.point_added(*x, *y),
///         });
///     });
///     worker.detach().unwrap();
/// }
/// ```
///
/// (`examples/downstream/` compiles and tests this pattern in a crate of its own.)
pub struct ObjectHandle<T: Threading> {
    obj: *mut T,
    guard: CxxQtThread<T>,
}

impl<T: Threading> ObjectHandle<T> {
    /// A handle to `obj`. Call it on the object's thread (where you hold the `Pin<&mut T>`).
    pub fn new(obj: Pin<&mut T>) -> Self {
        let guard = obj.qt_thread();
        // SAFETY: only the address is taken; nothing moves the object (a QObject lives behind
        // a pointer for its whole life).
        let obj = unsafe { obj.get_unchecked_mut() as *mut T };
        ObjectHandle { obj, guard }
    }

    /// `true` once the object was destroyed.
    pub fn is_destroyed(&self) -> bool {
        self.guard.is_destroyed()
    }

    /// Runs `f` with the object if it still exists; `None` (and nothing runs) once it is gone.
    pub fn with<R>(&self, f: impl FnOnce(Pin<&mut T>) -> R) -> Option<R> {
        if self.guard.is_destroyed() {
            return None;
        }
        // SAFETY: the guard said just now that the object is alive, and nothing can destroy it
        // before `f` runs: the handle is not `Send`, so this runs on the thread the handle was
        // made on, the object's thread, where its destruction would also run. QObjects are
        // never moved. The reference does not outlive `f`; `f` may destroy the object (later
        // calls then see the guard say so).
        Some(f(unsafe { Pin::new_unchecked(&mut *self.obj) }))
    }
}

impl<T: Threading> Clone for ObjectHandle<T> {
    fn clone(&self) -> Self {
        ObjectHandle {
            obj: self.obj,
            guard: self.guard.clone(),
        }
    }
}

impl<T: Threading> fmt::Debug for ObjectHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectHandle")
            .field("type", &std::any::type_name::<T>())
            .field("destroyed", &self.is_destroyed())
            .finish()
    }
}
