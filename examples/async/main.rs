//! napari's threading-guide scenarios with `async`/`await` on the Qt event loop
//! (`cargo run --example async_napari`): without a display it runs offscreen and prints one line per
//! scenario, then `N of N scenarios ok`; the exit code is 1 when a scenario's checks failed.

mod scenarios;

use std::cell::RefCell;
use std::rc::Rc;

use cxx_qt_lib::{QGuiApplication, QQmlApplicationEngine};
use qworker::testing::SceneObject;

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() && std::env::var_os("DISPLAY").is_none() {
        // SAFETY: first thing in main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    cxx_qt::init_crate!(qworker);
    let mut app = QGuiApplication::new();
    let mut engine = QQmlApplicationEngine::new();
    let window = SceneObject::load_qml(engine.pin_mut(), scenarios::QML, "file:///async/main.qml")
        .expect("the scene loads");
    let results = Rc::new(RefCell::new(Vec::new()));
    let r = results.clone();
    let _run = qworker::spawn_local(async move {
        *r.borrow_mut() = scenarios::run_all(window).await;
        qworker::exit_application(0);
    })
    .named("napari scenarios");
    if let Some(app) = app.as_mut() {
        app.exec();
    }
    let results = results.borrow();
    let ok = results.iter().filter(|o| o.ok).count();
    println!("qworker async example: {} scenario(s)", results.len());
    for o in results.iter() {
        println!(
            "{:<18} {}  {}",
            o.name,
            if o.ok { "ok  " } else { "FAIL" },
            o.line
        );
    }
    println!("{ok} of {} scenarios ok", results.len());
    std::process::exit(if ok == results.len() && ok > 0 { 0 } else { 1 });
}
