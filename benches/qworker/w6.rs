//! W6: application quit with workers running. Variant `quit-at-0.5s`: 100 generator workers
//! that each yield and sleep 1 ms, started together; the application quits at t = 0.5 s
//! (`QQmlEngine::quit` → `QCoreApplication::quit`, so `exec()` returns through `aboutToQuit`,
//! where qworker awaits its workers). Variant `exit-after-finished`: one worker yields 20
//! values and returns; its `finished` callback quits the application at once.
//!
//! The program prints how many workers ran and the CLOCK_MONOTONIC time of the quit; the
//! runner, which outlives the process, takes quit→exit and the exit code.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cxx_qt::casting::Upcast;
use cxx_qt_lib::{QByteArray, QGuiApplication, QQmlApplicationEngine, QQmlEngine, QUrl};
use qworker::{BoxError, Context};

use crate::measure::{Report, mono_ns};

fn quit_app(engine: *mut QQmlApplicationEngine) {
    // SAFETY: the engine outlives the event loop that runs this (it is dropped after exec()).
    let engine = unsafe { Pin::new_unchecked(&mut *engine) };
    let e: Pin<&mut QQmlEngine> = engine.upcast_pin();
    e.quit();
}

pub fn run(variant: &str, app: Pin<&mut QGuiApplication>) -> i32 {
    let mut engine = QQmlApplicationEngine::new();
    // Qt 6.4 connects the engine's quit signal to QCoreApplication::quit on the first load.
    engine.pin_mut().load_data(
        &QByteArray::from("import QtQml\nQtObject {}"),
        &QUrl::default(),
    );
    let engine_ptr: *mut QQmlApplicationEngine =
        unsafe { engine.pin_mut().get_unchecked_mut() as *mut _ };
    let ran = Arc::new(AtomicUsize::new(0));
    let n = if variant == "quit-at-0.5s" { 100 } else { 1 };
    let mut workers = Vec::new();
    let t_quit = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let ran_at_quit = std::rc::Rc::new(std::cell::Cell::new(0usize));
    for k in 0..n {
        let r = ran.clone();
        let limit = if n == 1 { 20 } else { u64::MAX };
        let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
            r.fetch_add(1, Ordering::AcqRel);
            let mut i = 0;
            while i < limit {
                cx.yield_(i)?;
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(())
        })
        .named(&format!("w6-{k}"));
        w.on_yielded(|_| {});
        if n == 1 {
            let (tq, rq, ran2) = (t_quit.clone(), ran_at_quit.clone(), ran.clone());
            w.on_finished(move || {
                tq.set(mono_ns());
                rq.set(ran2.load(Ordering::Acquire));
                quit_app(engine_ptr);
            });
        }
        workers.push(w);
    }
    for w in &workers {
        w.start().expect("start");
    }
    if n == 100 {
        crate::spin_for(Duration::from_millis(500));
        t_quit.set(mono_ns());
        ran_at_quit.set(ran.load(Ordering::Acquire));
        quit_app(engine_ptr);
    }
    let rc = app.exec();
    Report::new("W6", variant)
        .metric("ran", ran_at_quit.get() as f64)
        .metric("of", n as f64)
        .metric("exec_rc", f64::from(rc))
        .note("quit_mono_ns", t_quit.get())
        .print();
    drop(workers);
    drop(engine);
    0
}
