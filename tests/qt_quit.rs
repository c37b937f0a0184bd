//! Application quit: running workers are asked to quit and awaited (bounded); a worker that
//! does not stop in time is reported by name; the process exits cleanly with code 0, also
//! when it quits right after a `finished` signal. Uses the real `exec()` event loop.

mod common;

extern crate qworker;

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cxx_qt_lib::QGuiApplication;
use qworker::testing::MessageCapture;
use qworker::{BoxError, Context, Pool};

thread_local! {
    /// The application `main` creates; the cases run its real `exec()` loop. Never dropped
    /// (as when it was a local of `main`, which ends in `process::exit`).
    static APP: RefCell<ManuallyDrop<cxx::UniquePtr<QGuiApplication>>> =
        RefCell::new(ManuallyDrop::new(cxx::UniquePtr::null()));
}

/// `QGuiApplication::exec()` on the application `main` created: runs the event loop until
/// something exits it; returns the exit code.
fn exec() -> i32 {
    APP.with_borrow_mut(|app| {
        (**app)
            .as_mut()
            .expect("main creates the application")
            .exec()
    })
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    APP.set(ManuallyDrop::new(QGuiApplication::new()));
    common::run(&[
        (
            "app_quit_asks_running_workers_to_quit_and_waits",
            app_quit_asks_running_workers_to_quit_and_waits,
        ),
        (
            "a_worker_that_does_not_stop_is_reported_by_name_on_quit",
            a_worker_that_does_not_stop_is_reported_by_name_on_quit,
        ),
        (
            "quit_right_after_a_finished_signal",
            quit_right_after_a_finished_signal,
        ),
        // Last: it replaces the application object.
        (
            "a_new_application_object_gets_the_quit_hook_too",
            a_new_application_object_gets_the_quit_hook_too,
        ),
    ]);
}

fn app_quit_asks_running_workers_to_quit_and_waits() {
    let ran = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..100)
        .map(|i| {
            let ran = ran.clone();
            let w = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
                ran.fetch_add(1, Ordering::SeqCst);
                for k in 0.. {
                    cx.yield_(k)?;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(())
            })
            .named(&format!("w{i}"));
            w.start().unwrap();
            w
        })
        .collect();
    // Quit once all 100 bodies run and values have flowed: the pool adds threads for
    // sleeping workers within a grace period each, which on a loaded machine can take longer
    // than any fixed number of deliveries.
    let delivered = Rc::new(Cell::new(0usize));
    let quitting = Rc::new(Cell::new(false));
    for w in &workers {
        let (d, q, ran) = (delivered.clone(), quitting.clone(), ran.clone());
        w.on_yielded(move |_| {
            d.set(d.get() + 1);
            if d.get() >= 1000 && ran.load(Ordering::SeqCst) == 100 && !q.replace(true) {
                qworker::exit_application(0);
            }
        });
    }
    let t0 = Instant::now();
    let rc = exec();
    assert_eq!(rc, 0);
    assert_eq!(ran.load(Ordering::SeqCst), 100, "all 100 ran at once");
    assert!(workers.iter().all(|w| w.is_abort_requested()));
    assert_eq!(Pool::global().live_workers(), 0, "awaited at aboutToQuit");
    println!("  (exec returned {:.1?} after start)", t0.elapsed());
}

fn a_worker_that_does_not_stop_is_reported_by_name_on_quit() {
    qworker::set_quit_timeout(Duration::from_millis(200));
    let capture = MessageCapture::start();
    let release = Arc::new(AtomicBool::new(false));
    let in_body = Arc::new(AtomicBool::new(false));
    let (r, b) = (release.clone(), in_body.clone());
    let stubborn = qworker::function(move || -> Result<(), BoxError> {
        b.store(true, Ordering::SeqCst);
        while !r.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
    .named("stubborn-loader");
    // `started` comes as the body is about to run. Quit only once it runs: a quit that came
    // first would end the worker at once as `aborted`, its body never run (the pool thread
    // can be preempted between the two; seen under load), and nothing would be late.
    stubborn.on_started(move || {
        let t0 = Instant::now();
        while !in_body.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_secs(30) {
            std::thread::yield_now();
        }
        qworker::exit_application(0)
    });
    stubborn.start().unwrap();
    let rc = exec();
    assert_eq!(rc, 0);
    let msgs = capture.take();
    assert!(
        msgs.iter()
            .any(|m| m.contains("did not stop in time") && m.contains("stubborn-loader")),
        "{msgs:?}"
    );
    release.store(true, Ordering::SeqCst);
    qworker::await_workers(Duration::from_secs(30)).unwrap();
    qworker::set_quit_timeout(Duration::from_secs(5));
}

fn quit_right_after_a_finished_signal() {
    let w = qworker::from_iter(0..10u32);
    w.on_finished(|| qworker::exit_application(0));
    w.start().unwrap();
    let rc = exec();
    assert_eq!(rc, 0);
    assert!(w.is_finished());
    // Leave the process right after, with workers' QObjects still alive: exit code 0 is
    // checked by the test runner.
    std::mem::forget(w);
}

/// The first worker made for an application connects its `aboutToQuit` to the quit hook; the
/// GUI thread then remembers it per application object. A new application object (which may
/// be at the old one's address) must be connected again: its quit still asks the running
/// worker to quit and waits for it.
fn a_new_application_object_gets_the_quit_hook_too() {
    APP.with_borrow_mut(|app| {
        let old = std::mem::replace(&mut **app, cxx::UniquePtr::null());
        drop(old); // destroys the first application object
        **app = QGuiApplication::new();
    });
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let w = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        r.store(true, Ordering::SeqCst);
        for k in 0.. {
            cx.yield_(k)?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
    .named("on-the-second-app");
    w.on_yielded(|k| {
        if *k == 3 {
            qworker::exit_application(0);
        }
    });
    w.start().unwrap();
    assert_eq!(exec(), 0);
    assert!(ran.load(Ordering::SeqCst));
    assert!(
        w.is_abort_requested(),
        "the second application's aboutToQuit asked the worker to quit"
    );
    assert_eq!(Pool::global().live_workers(), 0, "awaited at aboutToQuit");
}
