//! W8: 100,000 short function workers started and finished in sequence: each one's `finished`
//! callback starts the next (workers are detached, so each `QWorker` deletes itself). Reports
//! RSS after 10k and after 100k workers (a leak shows as growth) and workers/s.
//!
//! Runs under `app.exec()` like an application (deferred deletes then happen as they do in
//! one), and quits through `QQmlEngine::quit` after the last worker.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;

use cxx_qt::casting::Upcast;
use cxx_qt_lib::{QByteArray, QGuiApplication, QQmlApplicationEngine, QQmlEngine, QUrl};
use qworker::BoxError;

use crate::measure::{Report, Stopwatch, rss_mb};

const N: u64 = 100_000;

struct Chain {
    engine: *mut QQmlApplicationEngine,
    sw: Stopwatch,
    rss_10k: Cell<f64>,
    rss_100k: Cell<f64>,
    wall: Cell<Option<f64>>,
}

fn launch(k: u64, chain: Rc<Chain>) {
    let w = qworker::function(move || -> Result<u64, BoxError> { Ok(k) });
    w.on_finished(move || {
        let done = k + 1;
        if done == 10_000 {
            chain.rss_10k.set(rss_mb());
        }
        if done == N {
            chain.wall.set(Some(chain.sw.read().0));
            chain.rss_100k.set(rss_mb());
            // SAFETY: the engine outlives the event loop that runs this callback.
            let engine = unsafe { Pin::new_unchecked(&mut *chain.engine) };
            let e: Pin<&mut QQmlEngine> = engine.upcast_pin();
            e.quit();
        } else {
            launch(k + 1, chain.clone());
        }
    });
    w.detach().expect("start");
}

pub fn run(variant: &str, app: Pin<&mut QGuiApplication>) -> i32 {
    let mut engine = QQmlApplicationEngine::new();
    // Qt 6.4 connects the engine's quit signal to QCoreApplication::quit on the first load.
    engine.pin_mut().load_data(
        &QByteArray::from("import QtQml\nQtObject {}"),
        &QUrl::default(),
    );
    // SAFETY: only used to emit quit() on the GUI thread while `engine` is alive.
    let engine_ptr = unsafe { engine.pin_mut().get_unchecked_mut() as *mut _ };
    let chain = Rc::new(Chain {
        engine: engine_ptr,
        sw: Stopwatch::start(),
        rss_10k: Cell::new(0.0),
        rss_100k: Cell::new(0.0),
        wall: Cell::new(None),
    });
    launch(0, chain.clone());
    app.exec();
    let wall = chain.wall.get().unwrap_or(f64::NAN);
    Report::new("W8", variant)
        .metric("workers_per_s", N as f64 / wall)
        .metric("rss_10k_mb", chain.rss_10k.get())
        .metric("rss_100k_mb", chain.rss_100k.get())
        .metric("rss_growth_mb", chain.rss_100k.get() - chain.rss_10k.get())
        .print();
    drop(engine);
    0
}
