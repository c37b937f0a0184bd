//! A `QWorker`'s signals as futures: [`QWorker::next_signal`] waits for the next emission of
//! one signal of a worker made anywhere (QML, C++ or Rust), through a real Qt connection.
//!
//! # Invariants
//!
//! - The connection's closure and the future share a `Slot` on the GUI thread (`OnGui`): the
//!   `QWorker` lives on the GUI thread and emits there, Qt calls and drops the closure on the
//!   object's thread, and the future is `!Send`.
//! - The closure's `Gone` guard marks the slot when Qt drops the closure (the object was
//!   destroyed, or the future disconnected), so a future whose object went resolves to `None`
//!   instead of waiting forever.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use cxx_qt::QMetaObjectConnectionGuard;
use cxx_qt_lib::QVariant;

use super::qobject::QWorker;

/// Which `QWorker` signal [`QWorker::next_signal`] waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `started()`.
    Started,
    /// `yielded(QVariant)`.
    Yielded,
    /// `returned(QVariant)`.
    Returned,
    /// `errored(QString)`.
    Errored,
    /// `warned(QString)`.
    Warned,
    /// `paused()`.
    Paused,
    /// `resumed()`.
    Resumed,
    /// `aborted()`.
    Aborted,
    /// `finished()`.
    Finished,
    /// `progressChanged(done, total)`.
    Progress,
}

/// A signal as it was emitted, with its arguments.
pub enum Emitted {
    /// `started()`.
    Started,
    /// `yielded(value)`.
    Yielded(QVariant),
    /// `returned(value)`.
    Returned(QVariant),
    /// `errored(message)`.
    Errored(String),
    /// `warned(message)`.
    Warned(String),
    /// `paused()`.
    Paused,
    /// `resumed()`.
    Resumed,
    /// `aborted()`.
    Aborted,
    /// `finished()`.
    Finished,
    /// `progressChanged(done, total)`; total 0 means unknown.
    Progress {
        /// Units done.
        done: f64,
        /// The total, 0 when unknown.
        total: f64,
    },
}

impl fmt::Debug for Emitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Emitted::Yielded(v) => write!(f, "Yielded({})", v.type_name()),
            Emitted::Returned(v) => write!(f, "Returned({})", v.type_name()),
            Emitted::Errored(m) => write!(f, "Errored({m:?})"),
            Emitted::Warned(m) => write!(f, "Warned({m:?})"),
            Emitted::Progress { done, total } => write!(f, "Progress({done}/{total})"),
            Emitted::Started => f.write_str("Started"),
            Emitted::Paused => f.write_str("Paused"),
            Emitted::Resumed => f.write_str("Resumed"),
            Emitted::Aborted => f.write_str("Aborted"),
            Emitted::Finished => f.write_str("Finished"),
        }
    }
}

#[derive(Default)]
struct Slot {
    emitted: Option<Emitted>,
    gone: bool,
    waker: Option<Waker>,
}

impl Slot {
    fn wake(this: &RefCell<Slot>) {
        let w = this.borrow_mut().waker.take();
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// A value only the GUI thread touches, inside a closure Qt requires to be `Send`.
struct OnGui<T>(T);
// SAFETY: see the module's invariants: the closure holding it is called and dropped on the
// `QWorker`'s thread, the GUI thread, where the future that shares the value lives (`!Send`).
unsafe impl<T> Send for OnGui<T> {}

impl<T> OnGui<T> {
    /// The value (a method, so a closure captures the whole wrapper, not a field of it).
    fn get(&self) -> &T {
        &self.0
    }
}

/// Marks the slot when the closure is dropped (by Qt, or by the future's disconnect).
struct Gone(Rc<RefCell<Slot>>);

impl Drop for Gone {
    fn drop(&mut self) {
        self.0.borrow_mut().gone = true;
        Slot::wake(&self.0);
    }
}

/// The next emission of one `QWorker` signal (made by [`QWorker::next_signal`]): `Some` with
/// its arguments, or `None` when the object was destroyed first. Dropping it disconnects.
pub struct SignalFuture {
    slot: Rc<RefCell<Slot>>,
    guard: Option<QMetaObjectConnectionGuard>,
}

impl fmt::Debug for SignalFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.slot.borrow();
        f.debug_struct("SignalFuture")
            .field("emitted", &s.emitted)
            .field("gone", &s.gone)
            .finish()
    }
}

impl Future for SignalFuture {
    type Output = Option<Emitted>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Emitted>> {
        let mut s = self.slot.borrow_mut();
        if let Some(e) = s.emitted.take() {
            drop(s);
            self.guard = None; // disconnect: the next emission is not ours
            return Poll::Ready(Some(e));
        }
        if s.gone {
            return Poll::Ready(None);
        }
        match s.waker.as_ref() {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => s.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl QWorker {
    /// The next emission of `signal` on this worker, as a future (qmetaobject's
    /// `wait_on_signal`, Qt's `QtFuture::connect`): for a `Worker` made by QML or a `QWorker`
    /// made by C++. It resolves to `None` when the object is destroyed first. Call it on the
    /// GUI thread and await it there.
    ///
    /// ```no_run
    /// use qworker::future::{Emitted, Signal};
    /// # async fn f(worker: std::pin::Pin<&mut qworker::QWorker>) {
    /// match worker.next_signal(Signal::Returned).await {
    ///     Some(Emitted::Returned(v)) => println!("returned a {}", v.type_name()),
    ///     _ => println!("the worker was destroyed"),
    /// }
    /// # }
    /// ```
    pub fn next_signal(self: Pin<&mut Self>, signal: Signal) -> SignalFuture {
        let slot = Rc::new(RefCell::new(Slot::default()));
        let cell = OnGui((Gone(slot.clone()), slot.clone()));
        macro_rules! on {
            ($connect:ident, [$($arg:ident),*] $emitted:expr) => {{
                let cell = cell;
                self.$connect(move |_, $($arg),*| {
                    let (_, slot) = cell.get();
                    let mut s = slot.borrow_mut();
                    if s.emitted.is_none() {
                        s.emitted = Some($emitted);
                        drop(s);
                        Slot::wake(slot);
                    }
                })
            }};
        }
        let guard = match signal {
            Signal::Started => on!(on_started, [] Emitted::Started),
            Signal::Yielded => on!(on_yielded, [v] Emitted::Yielded(v.clone())),
            Signal::Returned => on!(on_returned, [v] Emitted::Returned(v.clone())),
            Signal::Errored => on!(on_errored, [m] Emitted::Errored(m.to_string())),
            Signal::Warned => on!(on_warned, [m] Emitted::Warned(m.to_string())),
            Signal::Paused => on!(on_paused, [] Emitted::Paused),
            Signal::Resumed => on!(on_resumed, [] Emitted::Resumed),
            Signal::Aborted => on!(on_aborted, [] Emitted::Aborted),
            Signal::Finished => on!(on_finished, [] Emitted::Finished),
            Signal::Progress => on!(on_progress_changed, [done, total] Emitted::Progress {
                done,
                total
            }),
        };
        SignalFuture {
            slot,
            guard: Some(guard),
        }
    }
}
