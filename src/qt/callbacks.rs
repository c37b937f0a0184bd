//! The typed Rust callbacks of one worker (`on_returned`, `on_yielded`, ...), in one list.
//!
//! A worker with no callback pays an empty list and a bit set, not a list per signal: a short
//! function worker usually has one callback, and most of a driver's memory used to be eleven
//! empty lists. The first callback is held inline ([`List`]), and a callback's closure of up
//! to two words is held inline too ([`SmallFn`]): a short worker's one `on_returned` that
//! captures an `Rc` costs no allocation at all.
//!
//! # Order
//!
//! For each event, the `on_event` callbacks run first, then those of the event's own signal,
//! each group in the order it was connected. The list is taken out while a group runs, so a
//! callback may connect another one: a callback connected while the `on_event` group runs,
//! for the signal being delivered, runs for this event too; one connected while its own group
//! runs waits for the next event. A panicking callback is caught and logged; the others run.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

use super::glue::{Level, log};
use crate::core::{fits_in, panic_message};
use crate::{Event, Progress, WorkerError};

/// The signal a callback is connected to, as its bit in [`Callbacks::has`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum Signal {
    /// `on_event`: every event.
    Event = 1,
    Started = 1 << 1,
    Yielded = 1 << 2,
    Progress = 1 << 3,
    Warned = 1 << 4,
    Paused = 1 << 5,
    Resumed = 1 << 6,
    Aborted = 1 << 7,
    Returned = 1 << 8,
    Errored = 1 << 9,
    Finished = 1 << 10,
}

/// The bit of `on_event` callbacks in [`Callbacks::has`].
pub(crate) const EVENT: u16 = Signal::Event as u16;

/// The bit of the callbacks of `ev`'s own signal.
pub(crate) fn bit_of<Y, R, E>(ev: &Event<Y, R, E>) -> u16 {
    let signal = match ev {
        Event::Started => Signal::Started,
        Event::Yielded(_) => Signal::Yielded,
        Event::Progress(_) => Signal::Progress,
        Event::Warned(_) => Signal::Warned,
        Event::Paused => Signal::Paused,
        Event::Resumed => Signal::Resumed,
        Event::Aborted => Signal::Aborted,
        Event::Returned(_) => Signal::Returned,
        Event::Errored(_) => Signal::Errored,
        Event::Finished => Signal::Finished,
    };
    signal as u16
}

/// One connected callback: its signal, and the closure, called with each event of that
/// signal (a per-signal callback is wrapped in one that takes the event apart).
pub(crate) struct Callback<Y, R, E> {
    signal: Signal,
    f: SmallFn<Y, R, E>,
}

impl<Y, R, E> Callback<Y, R, E> {
    fn new(signal: Signal, f: impl FnMut(&Event<Y, R, E>) + 'static) -> Self {
        Callback {
            signal,
            f: SmallFn::new(f),
        }
    }

    /// A callback that sees every event (`on_event`).
    pub(crate) fn event(f: impl FnMut(&Event<Y, R, E>) + 'static) -> Self {
        Self::new(Signal::Event, f)
    }

    /// A callback of a signal without a payload: `started`, `paused`, `resumed`, `aborted`
    /// or `finished`.
    pub(crate) fn unit(signal: Signal, mut f: impl FnMut() + 'static) -> Self {
        debug_assert!(matches!(
            signal,
            Signal::Started | Signal::Paused | Signal::Resumed | Signal::Aborted | Signal::Finished
        ));
        Self::new(signal, move |ev| {
            if bit_of(ev) == signal as u16 {
                f()
            }
        })
    }

    pub(crate) fn yielded(mut f: impl FnMut(&Y) + 'static) -> Self {
        Self::new(Signal::Yielded, move |ev| {
            if let Event::Yielded(v) = ev {
                f(v)
            }
        })
    }

    pub(crate) fn progress(mut f: impl FnMut(Progress) + 'static) -> Self {
        Self::new(Signal::Progress, move |ev| {
            if let Event::Progress(p) = ev {
                f(*p)
            }
        })
    }

    pub(crate) fn warned(mut f: impl FnMut(&str) + 'static) -> Self {
        Self::new(Signal::Warned, move |ev| {
            if let Event::Warned(m) = ev {
                f(m)
            }
        })
    }

    pub(crate) fn returned(mut f: impl FnMut(&R) + 'static) -> Self {
        Self::new(Signal::Returned, move |ev| {
            if let Event::Returned(r) = ev {
                f(r)
            }
        })
    }

    pub(crate) fn errored(mut f: impl FnMut(&WorkerError<E>) + 'static) -> Self {
        Self::new(Signal::Errored, move |ev| {
            if let Event::Errored(e) = ev {
                f(e)
            }
        })
    }

    fn bit(&self) -> u16 {
        self.signal as u16
    }
}

/// The inline space of a callback: two words, word-aligned (an `Rc` or two, a sender, a
/// pointer and an index: what most callbacks capture).
type Space = MaybeUninit<[usize; 2]>;

/// What a stored callback can do, for one closure type: be called, or be dropped.
struct Vtable<Y, R, E> {
    call: unsafe fn(*mut Space, &Event<Y, R, E>),
    drop: unsafe fn(*mut Space),
}

/// A callback's closure: inline when it fits in two words, else in a box of its own.
///
/// # Invariants
///
/// - `data` holds exactly one live value of the type `vt` was made for: the closure itself
///   when it fits ([`fits_in`]), else a `Box` of it. Only `new` writes it.
/// - The value is dropped exactly once, in place, by `Drop`; `call` only borrows it. A panic
///   in the closure leaves it in place, live, as a panicking `Box<dyn FnMut>` would.
/// - Not `Send` (the closures are not): a callback lives and runs on the GUI thread.
struct SmallFn<Y, R, E> {
    data: Space,
    /// A `'static` vtable (a raw pointer: a reference would need `Y: 'static` and so on
    /// wherever a callback list is held).
    vt: NonNull<Vtable<Y, R, E>>,
    _not_send: PhantomData<*mut ()>,
}

/// The vtables of one closure type `F`, inline and boxed.
struct Shims<F, Y, R, E>(PhantomData<fn() -> F>, Types<Y, R, E>);

/// A marker of a callback list's three types.
type Types<Y, R, E> = PhantomData<fn() -> (Y, R, E)>;

impl<F, Y, R, E> Shims<F, Y, R, E>
where
    F: FnMut(&Event<Y, R, E>),
{
    const INLINE: Vtable<Y, R, E> = Vtable {
        call: Self::call_inline,
        drop: Self::drop_inline,
    };
    const BOXED: Vtable<Y, R, E> = Vtable {
        call: Self::call_boxed,
        drop: Self::drop_boxed,
    };

    /// SAFETY: `data` holds a live `F`, not borrowed elsewhere.
    unsafe fn call_inline(data: *mut Space, ev: &Event<Y, R, E>) {
        // SAFETY: the caller's contract.
        unsafe { (*data.cast::<F>())(ev) }
    }

    /// SAFETY: `data` holds a live `F`; the caller never touches it again.
    unsafe fn drop_inline(data: *mut Space) {
        // SAFETY: the caller's contract: dropped once.
        unsafe { data.cast::<F>().drop_in_place() }
    }

    /// SAFETY: `data` holds a live `Box<F>`, not borrowed elsewhere.
    unsafe fn call_boxed(data: *mut Space, ev: &Event<Y, R, E>) {
        // SAFETY: the caller's contract.
        unsafe { (*data.cast::<Box<F>>())(ev) }
    }

    /// SAFETY: `data` holds a live `Box<F>`; the caller never touches it again.
    unsafe fn drop_boxed(data: *mut Space) {
        // SAFETY: the caller's contract: dropped once.
        unsafe { data.cast::<Box<F>>().drop_in_place() }
    }
}

impl<Y, R, E> SmallFn<Y, R, E> {
    fn new<F: FnMut(&Event<Y, R, E>) + 'static>(f: F) -> Self {
        let mut data = Space::uninit();
        // Each vtable is an inline constant: the reference points into static memory.
        let vt: &Vtable<Y, R, E> = if fits_in::<F, Space>() {
            // SAFETY: `F` fits `Space` in size and alignment.
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
            const { &Shims::<F, Y, R, E>::INLINE }
        } else {
            // SAFETY: a `Box` is one word, word-aligned.
            unsafe { data.as_mut_ptr().cast::<Box<F>>().write(Box::new(f)) };
            const { &Shims::<F, Y, R, E>::BOXED }
        };
        SmallFn {
            data,
            vt: NonNull::from(vt),
            _not_send: PhantomData,
        }
    }

    fn call(&mut self, ev: &Event<Y, R, E>) {
        // SAFETY: `vt` points to an inline constant (static memory), made for the live value
        // in `data`, which `&mut self` borrows for the call.
        unsafe { (self.vt.as_ref().call)(&mut self.data, ev) }
    }
}

impl<Y, R, E> Drop for SmallFn<Y, R, E> {
    fn drop(&mut self) {
        // SAFETY: `vt` points to an inline constant (static memory); the value is live
        // until here (see "# Invariants").
        unsafe { (self.vt.as_ref().drop)(&mut self.data) }
    }
}

/// A list that holds a single item inline and allocates from the second on.
#[derive(Default)]
enum List<T> {
    #[default]
    Empty,
    One(T),
    Many(Vec<T>),
}

impl<T> List<T> {
    fn push(&mut self, item: T) {
        *self = match std::mem::take(self) {
            List::Empty => List::One(item),
            List::One(first) => List::Many(vec![first, item]),
            List::Many(mut v) => {
                v.push(item);
                List::Many(v)
            }
        };
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            List::Empty => &mut [],
            List::One(item) => std::slice::from_mut(item),
            List::Many(v) => v,
        }
    }

    /// Pushes this list's items, in order, onto `dst`.
    fn push_onto(self, dst: &mut List<T>) {
        match self {
            List::Empty => {}
            List::One(item) => dst.push(item),
            List::Many(v) => v.into_iter().for_each(|item| dst.push(item)),
        }
    }
}

/// The typed callbacks of one worker.
pub(crate) struct Callbacks<Y, R, E> {
    list: RefCell<List<Callback<Y, R, E>>>,
    /// The bits of the signals that have a callback (they are never disconnected).
    kinds: Cell<u16>,
}

impl<Y, R, E> Default for Callbacks<Y, R, E> {
    fn default() -> Self {
        Callbacks {
            list: RefCell::new(List::Empty),
            kinds: Cell::new(0),
        }
    }
}

impl<Y, R, E> Callbacks<Y, R, E> {
    pub(crate) fn add(&self, cb: Callback<Y, R, E>) {
        self.kinds.set(self.kinds.get() | cb.bit());
        self.list.borrow_mut().push(cb);
    }

    /// Whether a callback is connected for any of `bits`.
    pub(crate) fn has(&self, bits: u16) -> bool {
        self.kinds.get() & bits != 0
    }

    /// Runs the callbacks of `ev` (see "# Order"). `go_yielded` is asked before each
    /// `yielded` callback: delivery of a value stops once it says no.
    pub(crate) fn run(
        &self,
        ev: &Event<Y, R, E>,
        worker: &dyn Fn() -> String,
        go_yielded: &dyn Fn() -> bool,
    ) {
        let always = || true;
        // Each group is asked for here, inline: most events have callbacks in one group only.
        if self.has(EVENT) {
            self.group(EVENT, "event", worker, &always, ev);
        }
        let bit = bit_of(ev);
        if self.has(bit) {
            let go: &dyn Fn() -> bool = match ev {
                Event::Yielded(_) => go_yielded,
                _ => &always,
            };
            self.group(bit, ev.kind(), worker, go, ev);
        }
    }

    /// Calls each callback whose bit is `bit` with `ev`, in order, while `go()` holds (asked
    /// before each one), with the list taken out. Inlined: called for each event delivered,
    /// its two calls are the hot path of a stream of values.
    #[inline(always)]
    fn group(
        &self,
        bit: u16,
        signal: &str,
        worker: &dyn Fn() -> String,
        go: &dyn Fn() -> bool,
        ev: &Event<Y, R, E>,
    ) {
        let mut list = std::mem::take(&mut *self.list.borrow_mut());
        for cb in list.as_mut_slice().iter_mut().filter(|cb| cb.bit() == bit) {
            if !go() {
                break;
            }
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| cb.f.call(ev))) {
                log(
                    Level::Critical,
                    &format!(
                        "worker '{}': a `{signal}` callback panicked: {}",
                        worker(),
                        panic_message(&*p)
                    ),
                );
            }
        }
        // Callbacks connected while the group ran go after the others.
        let mut cur = self.list.borrow_mut();
        std::mem::take(&mut *cur).push_onto(&mut list);
        *cur = list;
    }
}

#[cfg(test)]
mod tests {
    use super::{Callback, List, Signal, SmallFn, Space};
    use crate::core::fits_in;
    use crate::{Event, Progress, WorkerError};
    use std::cell::{Cell, RefCell};
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::rc::Rc;

    type Ev = Event<u8, u16, String>;

    /// Counts its drops.
    struct Counted(Rc<Cell<usize>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    fn fits_of<F>(_: &F) -> bool {
        fits_in::<F, Space>()
    }

    #[test]
    fn a_small_callback_is_inline_a_large_one_boxed_and_each_is_dropped_once() {
        let drops = Rc::new(Cell::new(0));
        let calls = Rc::new(Cell::new(0u64));
        let small = {
            let (c, n) = (Counted(drops.clone()), calls.clone());
            move |_: &Ev| {
                let _keep = &c;
                n.set(n.get() + 1)
            }
        };
        assert!(fits_of(&small), "two words");
        let pad = [3u64; 6];
        let large = {
            let (c, n) = (Counted(drops.clone()), calls.clone());
            move |_: &Ev| {
                let _keep = &c;
                n.set(n.get() + pad.iter().sum::<u64>())
            }
        };
        assert!(!fits_of(&large));
        let (mut small, mut large) = (SmallFn::new(small), SmallFn::new(large));
        for _ in 0..2 {
            small.call(&Event::Started);
            large.call(&Event::Started);
        }
        assert_eq!(calls.get(), 2 + 2 * 18, "each called twice, its state kept");
        assert_eq!(drops.get(), 0, "calling drops nothing");
        drop(small);
        assert_eq!(drops.get(), 1);
        drop(large);
        assert_eq!(drops.get(), 2);
    }

    #[test]
    fn a_panicking_callback_stays_live_and_is_dropped_once() {
        let drops = Rc::new(Cell::new(0));
        let mut f = {
            let c = Counted(drops.clone());
            let mut first = true;
            SmallFn::new(move |_: &Ev| {
                let _keep = &c;
                if std::mem::take(&mut first) {
                    panic!("first call");
                }
            })
        };
        assert!(catch_unwind(AssertUnwindSafe(|| f.call(&Event::Finished))).is_err());
        assert_eq!(drops.get(), 0, "a panic drops nothing");
        f.call(&Event::Finished); // the second call returns
        drop(f);
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn each_signals_callback_gets_its_payload_and_no_other_event() {
        let seen = Rc::new(RefCell::new(Vec::<String>::new()));
        let log = |s: &Rc<RefCell<Vec<String>>>| {
            let s = s.clone();
            move |t: String| s.borrow_mut().push(t)
        };
        let mut cbs: Vec<Callback<u8, u16, String>> = vec![
            Callback::yielded({
                let l = log(&seen);
                move |v| l(format!("yielded {v}"))
            }),
            Callback::progress({
                let l = log(&seen);
                move |p| l(format!("progress {}/{}", p.done, p.total))
            }),
            Callback::warned({
                let l = log(&seen);
                move |m| l(format!("warned {m}"))
            }),
            Callback::returned({
                let l = log(&seen);
                move |r| l(format!("returned {r}"))
            }),
            Callback::errored({
                let l = log(&seen);
                move |e| l(format!("errored {e:?}"))
            }),
            Callback::unit(Signal::Finished, {
                let l = log(&seen);
                move || l("finished".into())
            }),
        ];
        let events: Vec<Ev> = vec![
            Event::Yielded(7),
            Event::Progress(Progress::new(2, 5)),
            Event::Warned("low".into()),
            Event::Returned(300),
            Event::Errored(WorkerError::Failed("bad".into())),
            Event::Finished,
            Event::Started,
        ];
        // Each callback is called with every event, as a group would if bits did not match:
        // only its own signal's event reaches the user's closure.
        for ev in &events {
            for cb in &mut cbs {
                cb.f.call(ev);
            }
        }
        assert_eq!(
            *seen.borrow(),
            [
                "yielded 7",
                "progress 2/5",
                "warned low",
                "returned 300",
                "errored Failed(\"bad\")",
                "finished"
            ]
        );
        assert_eq!(cbs[3].bit(), super::bit_of(&events[3]));
    }

    #[test]
    fn a_list_keeps_its_items_in_order_from_one_to_many() {
        let mut list = List::default();
        assert!(list.as_mut_slice().is_empty());
        list.push(1);
        assert!(matches!(list, List::One(1)));
        list.push(2);
        list.push(3);
        assert_eq!(list.as_mut_slice(), [1, 2, 3]);
        let mut later = List::default();
        later.push(4);
        later.push_onto(&mut list);
        let mut more = List::default();
        more.push(5);
        more.push(6);
        more.push_onto(&mut list);
        assert_eq!(list.as_mut_slice(), [1, 2, 3, 4, 5, 6]);
        let mut single = List::default();
        List::<i32>::default().push_onto(&mut single);
        assert!(matches!(single, List::Empty));
    }
}
