//! The typed Rust callbacks of one worker (`on_returned`, `on_yielded`, ...), in one list.
//!
//! A worker with no callback pays an empty list and a bit set, not a list per signal: a short
//! function worker usually has one callback, and most of a driver's memory used to be eleven
//! empty lists. The first callback is held inline ([`List`]), so that one costs no
//! allocation beyond its own box.
//!
//! # Order
//!
//! For each event, the `on_event` callbacks run first, then those of the event's own signal,
//! each group in the order it was connected. The list is taken out while a group runs, so a
//! callback may connect another one: a callback connected while the `on_event` group runs,
//! for the signal being delivered, runs for this event too; one connected while its own group
//! runs waits for the next event. A panicking callback is caught and logged; the others run.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::glue::{Level, log};
use crate::core::panic_message;
use crate::{Event, Progress, WorkerError};

type EventFn<Y, R, E> = dyn FnMut(&Event<Y, R, E>);
type ErrorFn<E> = dyn FnMut(&WorkerError<E>);

/// One connected callback, tagged by its signal.
pub(crate) enum Callback<Y, R, E> {
    Event(Box<EventFn<Y, R, E>>),
    Started(Box<dyn FnMut()>),
    Yielded(Box<dyn FnMut(&Y)>),
    Progress(Box<dyn FnMut(Progress)>),
    Warned(Box<dyn FnMut(&str)>),
    Paused(Box<dyn FnMut()>),
    Resumed(Box<dyn FnMut()>),
    Aborted(Box<dyn FnMut()>),
    Returned(Box<dyn FnMut(&R)>),
    Errored(Box<ErrorFn<E>>),
    Finished(Box<dyn FnMut()>),
}

/// The bit of `on_event` callbacks in [`Callbacks::has`].
pub(crate) const EVENT: u16 = 1;

impl<Y, R, E> Callback<Y, R, E> {
    fn bit(&self) -> u16 {
        match self {
            Callback::Event(_) => EVENT,
            Callback::Started(_) => 1 << 1,
            Callback::Yielded(_) => 1 << 2,
            Callback::Progress(_) => 1 << 3,
            Callback::Warned(_) => 1 << 4,
            Callback::Paused(_) => 1 << 5,
            Callback::Resumed(_) => 1 << 6,
            Callback::Aborted(_) => 1 << 7,
            Callback::Returned(_) => 1 << 8,
            Callback::Errored(_) => 1 << 9,
            Callback::Finished(_) => 1 << 10,
        }
    }
}

/// The bit of the callbacks of `ev`'s own signal.
pub(crate) fn bit_of<Y, R, E>(ev: &Event<Y, R, E>) -> u16 {
    match ev {
        Event::Started => 1 << 1,
        Event::Yielded(_) => 1 << 2,
        Event::Progress(_) => 1 << 3,
        Event::Warned(_) => 1 << 4,
        Event::Paused => 1 << 5,
        Event::Resumed => 1 << 6,
        Event::Aborted => 1 << 7,
        Event::Returned(_) => 1 << 8,
        Event::Errored(_) => 1 << 9,
        Event::Finished => 1 << 10,
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
        self.group(EVENT, "event", worker, &always, |cb| {
            if let Callback::Event(f) = cb {
                f(ev)
            }
        });
        let go: &dyn Fn() -> bool = match ev {
            Event::Yielded(_) => go_yielded,
            _ => &always,
        };
        self.group(bit_of(ev), ev.kind(), worker, go, |cb| match (cb, ev) {
            (Callback::Yielded(f), Event::Yielded(v)) => f(v),
            (Callback::Progress(f), Event::Progress(p)) => f(*p),
            (Callback::Warned(f), Event::Warned(m)) => f(m),
            (Callback::Returned(f), Event::Returned(r)) => f(r),
            (Callback::Errored(f), Event::Errored(e)) => f(e),
            (
                Callback::Started(f)
                | Callback::Paused(f)
                | Callback::Resumed(f)
                | Callback::Aborted(f)
                | Callback::Finished(f),
                _,
            ) => f(),
            _ => {}
        });
    }

    /// Calls each callback whose bit is `bit`, in order, while `go()` holds (asked before
    /// each one), with the list taken out.
    fn group(
        &self,
        bit: u16,
        signal: &str,
        worker: &dyn Fn() -> String,
        go: &dyn Fn() -> bool,
        mut each: impl FnMut(&mut Callback<Y, R, E>),
    ) {
        if !self.has(bit) {
            return;
        }
        let mut list = std::mem::take(&mut *self.list.borrow_mut());
        for cb in list.as_mut_slice().iter_mut().filter(|cb| cb.bit() == bit) {
            if !go() {
                break;
            }
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| each(cb))) {
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
    use super::List;

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
