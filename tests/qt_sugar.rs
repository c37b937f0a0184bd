//! napari's sugar on a real Qt event loop (offscreen): `#[qworker::thread_worker]` functions
//! and `qworker::create_worker` build real workers whose events arrive from the event loop.
//! The compile errors for misuse are pinned by `compile_fail` doc tests (src/qt/sugar.rs)
//! and the macro crate's unit tests (their messages).

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::wait;
use cxx_qt_lib::QGuiApplication;
use qworker::{BoxError, Context, Progress, WorkerKind, WorkerState};

/// A function worker: the arguments move in, the `Ok` value is `returned`.
#[qworker::thread_worker]
fn add(a: u32, b: u32) -> Result<u32, BoxError> {
    Ok(a + b)
}

fn attribute_on_a_function_returns_an_unstarted_function_worker() {
    let worker = add(2, 3);
    assert_eq!(worker.kind(), WorkerKind::Function);
    assert_eq!(worker.name(), "add", "the default name is the function's");
    let got = Rc::new(Cell::new(None));
    let g = got.clone();
    worker.on_returned(move |v| g.set(Some(*v)));
    qworker::testing::process_events(std::time::Duration::from_millis(20));
    assert_eq!(
        worker.state(),
        WorkerState::Pending,
        "not started by the call"
    );
    worker.start().expect("starts");
    wait("returned", || got.get().is_some());
    assert_eq!(got.get(), Some(5));
}

/// A generator with `connect`: calling it connects the callbacks and starts it. The handlers
/// use arguments the body does not (they stay on the GUI thread).
#[qworker::thread_worker(
    connect(yielded = move |v: &u32| seen.borrow_mut().push(*v), finished = move || done.set(true)),
    progress(total = u64::from(n), desc = "counting"),
    name = "counter"
)]
fn count(
    n: u32,
    seen: Rc<RefCell<Vec<u32>>>,
    done: Rc<Cell<bool>>,
    cx: &mut Context<u32>,
) -> Result<(), BoxError> {
    for i in 0..n {
        cx.yield_(i)?;
    }
    Ok(())
}

fn attribute_with_connect_starts_and_delivers_every_value() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let done = Rc::new(Cell::new(false));
    let worker = count(50, seen.clone(), done.clone());
    assert_eq!(worker.kind(), WorkerKind::Generator);
    assert_eq!(worker.name(), "counter");
    assert_eq!(worker.description(), "counting");
    wait("finished", || done.get());
    assert_eq!(*seen.borrow(), (0..50).collect::<Vec<_>>());
    assert_eq!(
        worker.progress(),
        Progress::new(50, 50),
        "one tick per yield"
    );
}

#[qworker::thread_worker(connect(returned = move |v: &u32| got.set(Some(*v))), start_thread = false)]
fn later(got: Rc<Cell<Option<u32>>>) -> Result<u32, BoxError> {
    Ok(7)
}

fn start_thread_false_connects_but_does_not_start() {
    let got = Rc::new(Cell::new(None));
    let worker = later(got.clone());
    qworker::testing::process_events(std::time::Duration::from_millis(20));
    assert_eq!(worker.state(), WorkerState::Pending);
    assert_eq!(got.get(), None);
    worker.start().expect("starts");
    wait("returned", || got.get().is_some());
    assert_eq!(got.get(), Some(7));
}

/// A function worker with a context: `quit()` stops it at `cx.check()`.
#[qworker::thread_worker]
fn spin(cx: &mut Context) -> Result<(), BoxError> {
    loop {
        cx.check()?;
        std::thread::yield_now();
    }
}

fn a_context_without_a_yield_type_makes_a_quittable_function_worker() {
    let worker = spin();
    assert_eq!(worker.kind(), WorkerKind::Function);
    let aborted = Rc::new(Cell::new(false));
    let a = aborted.clone();
    worker.on_aborted(move || a.set(true));
    worker.start().expect("starts");
    wait("started", || worker.is_running());
    worker.quit();
    wait("aborted", || aborted.get());
}

fn create_worker_picks_the_kind_from_the_closure() {
    let function = qworker::create_worker(|| -> Result<u8, BoxError> { Ok(1) });
    assert_eq!(function.kind(), WorkerKind::Function);
    let with_cx = qworker::create_worker(|cx: &mut Context| -> Result<u8, BoxError> {
        cx.check()?;
        Ok(2)
    });
    assert_eq!(with_cx.kind(), WorkerKind::Function);
    let generator = qworker::create_worker(|cx: &mut Context<u8>| -> Result<u8, BoxError> {
        cx.yield_(9)?;
        Ok(3)
    });
    assert_eq!(generator.kind(), WorkerKind::Generator);
    let results = Rc::new(RefCell::new(Vec::new()));
    let yielded = Rc::new(Cell::new(None));
    for w in [&function, &with_cx] {
        let r = results.clone();
        w.on_returned(move |v| r.borrow_mut().push(*v));
    }
    let r = results.clone();
    let y = yielded.clone();
    generator
        .on_yielded(move |v| y.set(Some(*v)))
        .on_returned(move |v| r.borrow_mut().push(*v));
    function.start().unwrap();
    with_cx.start().unwrap();
    generator.start().unwrap();
    wait("three returned", || results.borrow().len() == 3);
    let mut got = results.borrow().clone();
    got.sort();
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(yielded.get(), Some(9));
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    common::run(&[
        (
            "attribute_on_a_function_returns_an_unstarted_function_worker",
            attribute_on_a_function_returns_an_unstarted_function_worker,
        ),
        (
            "attribute_with_connect_starts_and_delivers_every_value",
            attribute_with_connect_starts_and_delivers_every_value,
        ),
        (
            "start_thread_false_connects_but_does_not_start",
            start_thread_false_connects_but_does_not_start,
        ),
        (
            "a_context_without_a_yield_type_makes_a_quittable_function_worker",
            a_context_without_a_yield_type_makes_a_quittable_function_worker,
        ),
        (
            "create_worker_picks_the_kind_from_the_closure",
            create_worker_picks_the_kind_from_the_closure,
        ),
    ]);
}
