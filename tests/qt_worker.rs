//! The worker on a real Qt event loop: signal order and payloads, controls, errors, lifetimes.

mod common;

extern crate qworker;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::{Harness, wait};
use cxx_qt_lib::QGuiApplication;
use qworker::{BoxError, Context, Event};

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    let mut h = Harness::new();

    h.case("generator_signals_in_order", || {
        let log = Rc::new(RefCell::new(Vec::<String>::new()));
        let w = qworker::generator(|cx: &mut Context<u32>| -> Result<&'static str, BoxError> {
            for i in 0..5 {
                cx.yield_(i)?;
            }
            Ok("done")
        });
        w.start().unwrap();
        let l = log.clone();
        w.on_event(move |e| {
            l.borrow_mut().push(match e {
                Event::Yielded(v) => format!("yielded {v}"),
                Event::Returned(r) => format!("returned {r}"),
                other => other.kind().to_string(),
            })
        });
        wait("finished", || w.is_finished());
        assert_eq!(
            *log.borrow(),
            [
                "started",
                "yielded 0",
                "yielded 1",
                "yielded 2",
                "yielded 3",
                "yielded 4",
                "returned done",
                "finished"
            ]
        );
        let _ = Cell::new(0);
    });

    h.finish();
}
