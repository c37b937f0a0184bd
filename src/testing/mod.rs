//! Helpers for tests and examples that drive a real Qt event loop from Rust: spin it until a
//! condition holds, record what went through Qt's message handler, and script a QML scene or
//! a widget ([`SceneObject`]). The C++ side is `cpp/testing.cpp` and `cpp/scene.cpp`.

use std::time::{Duration, Instant};

mod scene;

pub use scene::SceneObject;

#[cxx_qt::bridge]
mod ffi {
    #[namespace = "qworker::testing"]
    unsafe extern "C++" {
        include!("qworker/testing.h");
        fn process_events_for(max_ms: i32);
        fn capture_begin();
        fn capture_end();
        fn capture_take() -> Vec<String>;
    }
}

/// Runs the current thread's event loop for `duration` (events are delivered meanwhile).
///
/// ```no_run
/// qworker::testing::process_events(std::time::Duration::from_millis(10));
/// ```
pub fn process_events(duration: Duration) {
    ffi::process_events_for(duration.as_millis().min(i32::MAX as u128) as i32);
}

/// Runs the event loop until `cond()` holds or `timeout` passes; returns whether it held.
/// The timeout is a guard against hangs, not a measurement.
///
/// ```no_run
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// let done = Rc::new(Cell::new(false));
/// let worker = qworker::function(|| Ok::<_, qworker::BoxError>(1));
/// let d = done.clone();
/// worker.on_finished(move || d.set(true));
/// worker.start().unwrap();
/// assert!(qworker::testing::wait_until(Duration::from_secs(10), || done.get()));
/// ```
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() >= deadline {
            return false;
        }
        ffi::process_events_for(1);
    }
    true
}

/// Records the messages that go through Qt's message handler (they are still printed) until
/// dropped. For tests that check what was logged.
///
/// ```no_run
/// let capture = qworker::testing::MessageCapture::start();
/// // ... run something that logs ...
/// for line in capture.take() {
///     println!("{line}"); // "warning: worker 'loader': ..."
/// }
/// ```
#[derive(Debug)]
pub struct MessageCapture(());

impl MessageCapture {
    /// Starts recording.
    pub fn start() -> MessageCapture {
        ffi::capture_begin();
        ffi::capture_take();
        MessageCapture(())
    }

    /// The messages recorded since the last call, as `"<level>: <text>"`.
    pub fn take(&self) -> Vec<String> {
        ffi::capture_take()
    }
}

impl Drop for MessageCapture {
    fn drop(&mut self) {
        ffi::capture_end();
        ffi::capture_take();
    }
}
