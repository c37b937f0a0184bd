//! The app's own QObject, `Tracker`: custom signals (`statusChanged`, `pointAdded`) fed by a
//! qworker generator through a guarded `qworker::ObjectHandle` (no `unsafe` in the pattern),
//! an invokable that returns the worker's `QWorker*` to QML, and one that takes a `QWorker*`.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cxx_qt::Threading;
use cxx_qt_lib::QString;
use qworker::{BoxError, Context, ObjectHandle, ToVariant};

#[cxx_qt::bridge]
pub mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
        // qworker's exported header: the QWorker QObject, usable in this crate's bridge.
        include!(<qworker/qworker.h>);
        type QWorker = qworker::QWorker;
    }

    unsafe extern "RustQt" {
        /// Traces points on a worker thread and reports them as signals of its own.
        #[qobject]
        #[qml_element]
        #[qproperty(i32, watched)]
        type Tracker = super::TrackerRust;

        /// A status line from the trace.
        #[qsignal]
        #[cxx_name = "statusChanged"]
        fn status_changed(self: Pin<&mut Tracker>, text: &QString);

        /// One traced point.
        #[qsignal]
        #[cxx_name = "pointAdded"]
        fn point_added(self: Pin<&mut Tracker>, x: f64, y: f64);

        /// Starts a trace of `steps` points, `pace_ms` apart, and returns its worker's QObject
        /// (QML binds to it).
        #[qinvokable]
        fn trace(self: Pin<&mut Tracker>, steps: i32, pace_ms: i32) -> *mut QWorker;

        /// Counts `worker`'s `finished` in `watched` (a QWorker* handed in from QML).
        #[qinvokable]
        unsafe fn watch(self: Pin<&mut Tracker>, worker: *mut QWorker);
    }

    impl cxx_qt::Threading for Tracker {}
}

/// What the trace yields: a status line or a point. Rust callbacks dispatch it to signals.
pub enum Msg {
    Status(String),
    Point(f64, f64),
}

/// Never shown to QML directly (the Tracker's signals carry it), so no conversion.
impl ToVariant for Msg {}

/// Emits that found their Tracker gone (the handle made them no-ops).
pub static SKIPPED_EMITS: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
pub struct TrackerRust {
    watched: i32,
}

/// The trace: a status, `steps` points (one every `pace`), a status.
fn trace_body(steps: u32, pace: Duration, cx: &mut Context<Msg>) -> Result<(), BoxError> {
    cx.yield_(Msg::Status("tracing".into()))?;
    for i in 0..steps {
        let x = f64::from(i);
        cx.yield_(Msg::Point(x, x * x))?;
        std::thread::sleep(pace); // stands for the work of one point
    }
    cx.yield_(Msg::Status("done".into()))?;
    Ok(())
}

impl ffi::Tracker {
    /// Starts the trace; its events become this object's signals while it exists.
    pub fn trace(self: Pin<&mut Self>, steps: i32, pace_ms: i32) -> *mut ffi::QWorker {
        let steps = u32::try_from(steps).unwrap_or(0);
        let pace = Duration::from_millis(u64::try_from(pace_ms).unwrap_or(0));
        let me = ObjectHandle::new(self);
        let worker = qworker::generator(move |cx: &mut Context<Msg>| trace_body(steps, pace, cx))
            .named("trace");
        worker.on_yielded(move |msg| {
            let emitted = me.with(|tracker| match msg {
                Msg::Status(s) => tracker.status_changed(&QString::from(s.as_str())),
                Msg::Point(x, y) => tracker.point_added(*x, *y),
            });
            if emitted.is_none() {
                SKIPPED_EMITS.fetch_add(1, Ordering::Relaxed);
            }
        });
        let ptr = worker.qobject_ptr().unwrap_or(std::ptr::null_mut());
        // Runs to its end on its own; its QWorker deletes itself after `finished`.
        worker.detach().expect("the trace starts");
        ptr
    }

    /// Counts `worker`'s `finished` signal in `watched`.
    ///
    /// # Safety
    /// `worker` is null or a live QWorker on this thread (QML hands its own objects in).
    pub unsafe fn watch(self: Pin<&mut Self>, worker: *mut ffi::QWorker) {
        if worker.is_null() {
            return;
        }
        // A Qt connection's closure must be `Send`: reach this object through cxx-qt's
        // thread queue, which also does nothing once the object is gone.
        let me = self.qt_thread();
        // SAFETY: the caller passes a live QWorker of this thread.
        let worker = unsafe { Pin::new_unchecked(&mut *worker) };
        worker
            .on_finished(move |_| {
                let _ = me.queue(|mut tracker| {
                    let n = *tracker.watched();
                    tracker.as_mut().set_watched(n + 1);
                });
            })
            .release();
    }
}
