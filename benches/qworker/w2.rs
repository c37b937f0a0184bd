//! W2: the worker yields its own monotonic stamp every 1 ms for 3 s; the GUI thread computes
//! now − stamp (delivery latency) and now − the 1 ms schedule. Variants: `idle`, and
//! `loaded-qml`: a QML `Timer` (interval 1 ms) whose handler busy-works ~5 ms in JavaScript,
//! the same inline QML the C++ baseline loads.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use cxx_qt_lib::{QByteArray, QQmlApplicationEngine, QUrl};
use qworker::{BoxError, Context};

use crate::measure::{Report, mono_ns, quantile, thread_cpu_ns, tid};

pub const LOAD_QML: &str = r#"import QtQml
Timer {
    interval: 1; repeat: true; running: true
    onTriggered: { var t0 = Date.now(); while (Date.now() - t0 < 5) {} }
}
"#;

pub fn run(variant: &str) -> i32 {
    let mut engine = None;
    if variant == "loaded-qml" {
        let mut e = QQmlApplicationEngine::new();
        e.pin_mut()
            .load_data(&QByteArray::from(LOAD_QML), &QUrl::default());
        engine = Some(e);
    }
    let epoch = mono_ns();
    let lat = Rc::new(RefCell::new(Vec::<f64>::with_capacity(3000)));
    let sched = Rc::new(RefCell::new(Vec::<f64>::with_capacity(3000)));
    let done = Rc::new(Cell::new(false));
    let w = qworker::generator(
        move |cx: &mut Context<(u64, u64)>| -> Result<(), BoxError> {
            let base = Instant::now();
            let base_ns = mono_ns() - epoch;
            for i in 0..3000u64 {
                let due = base + Duration::from_millis(i + 1);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                cx.yield_((base_ns + (i + 1) * 1_000_000, mono_ns() - epoch))?;
            }
            Ok(())
        },
    )
    .named("w2");
    let (l, s) = (lat.clone(), sched.clone());
    w.on_yielded(move |&(scheduled, stamped)| {
        let now = mono_ns() - epoch;
        l.borrow_mut().push((now - stamped) as f64 / 1e3);
        s.borrow_mut().push((now - scheduled) as f64 / 1e3);
    });
    let d = done.clone();
    w.on_finished(move || d.set(true));
    let gui = tid();
    let gui_cpu0 = thread_cpu_ns(gui);
    let t0 = mono_ns();
    w.start().expect("start");
    crate::spin_until(Duration::from_secs(60), || done.get());
    let busy = (thread_cpu_ns(gui) - gui_cpu0) as f64 / (mono_ns() - t0) as f64;
    drop(engine);
    let mut l = lat.borrow().clone();
    let mut s = sched.borrow().clone();
    let n = l.len() as f64;
    Report::new("W2", variant)
        .metric("lat_p50_us", quantile(&mut l, 0.5))
        .metric("lat_p99_us", quantile(&mut l, 0.99))
        .metric("lat_max_us", quantile(&mut l, 1.0))
        .metric("sched_p50_us", quantile(&mut s, 0.5))
        .metric("sched_p99_us", quantile(&mut s, 0.99))
        .metric("sched_max_us", quantile(&mut s, 1.0))
        .metric("gui_busy_pct", busy * 100.0)
        .metric("handled", n)
        .print();
    0
}
