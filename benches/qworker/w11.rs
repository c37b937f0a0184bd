//! W11: 1,000 live generator workers, each reporting progress with a status line
//! (`cx.progress_text`) 100 times a second, while a QML `ListView` in a visible window shows
//! `WorkerPool.tasks` (a delegate with the name, the status and a progress bar). Variant `1k`
//! (any other variant is read as a worker count, for quick checks).
//!
//! The 5 s measured window starts once every body runs (the pool grows to 1,000 threads
//! first; `ramp_s` says how long that took) and ends with `qworker::quit_all()`, after which
//! the workers are awaited (`qworker::await_workers`). Over the window it reports the GUI
//! thread's CPU time ÷ wall time, the model's `dataChanged` signals per second (one per sync
//! of a view, each covering a range of rows) and the rows they covered, the progress events
//! delivered per second (`on_progress` callbacks, all workers) against those reported, the
//! frames the window rendered, the GUI thread's context switches (its wake-ups), and RSS per
//! live worker: (RSS with all workers live − RSS before the first started) ÷ workers.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cxx_qt_lib::{QByteArray, QQmlApplicationEngine, QUrl};
use qworker::testing::SceneObject;
use qworker::{BoxError, Context, GeneratorWorker, WorkerPool};

use crate::measure::{
    Report, mono_ns, os_threads, process_cpu_ns, rss_mb, thread_cpu_ns, thread_switches, tid,
};

/// The measured window (all workers live).
const WINDOW: Duration = Duration::from_secs(5);
/// Each body's period between reports.
const PERIOD: Duration = Duration::from_millis(10);
/// The progress total the bodies report against (5 s at 100 reports a second).
const TOTAL: u64 = 500;

pub const TASKS_QML: &str = r##"import QtQuick
import QWorker

Window {
    id: win
    objectName: "window"
    visible: true
    width: 480
    height: 640
    property int frames: 0
    onFrameSwapped: frames++
    ListView {
        objectName: "tasks"
        anchors.fill: parent
        clip: true
        model: WorkerPool.tasks
        delegate: Item {
            id: row
            required property string name
            required property string status
            required property real progress
            required property real total
            width: ListView.view.width
            height: 24
            Text {
                x: 4
                width: 150
                text: row.name
                elide: Text.ElideRight
            }
            Rectangle {
                x: 160; y: 6; width: 200; height: 12
                color: "#ddd"
                Rectangle {
                    width: row.total > 0 ? parent.width * row.progress / row.total : 0
                    height: parent.height
                    color: "steelblue"
                }
            }
            Text {
                x: 368
                text: row.status
            }
        }
    }
}
"##;

fn worker_count(variant: &str) -> Option<usize> {
    match variant {
        "1k" => Some(1000),
        other => other.parse().ok().filter(|&n| n > 0),
    }
}

pub fn run(variant: &str) -> i32 {
    let Some(n) = worker_count(variant) else {
        eprintln!("W11: unknown variant {variant} (1k, or a worker count)");
        return 2;
    };
    let mut engine = QQmlApplicationEngine::new();
    engine.pin_mut().load_data(
        &QByteArray::from(TASKS_QML),
        &QUrl::from("qrc:/w11/tasks.qml"),
    );
    let Some(window) = SceneObject::from_engine(&engine) else {
        eprintln!("W11: the QML did not load");
        return 1;
    };
    let list = window.find("tasks").expect("the ListView");
    // A Rust view of the same task list, to count the model's updates (the QML singleton is
    // another view; both are synced at each flush).
    let mut pool = WorkerPool::create();
    let updates = Arc::new(AtomicUsize::new(0));
    let rows_updated = Arc::new(AtomicUsize::new(0));
    let (u, ru) = (updates.clone(), rows_updated.clone());
    let _conn = pool.pin_mut().on_data_changed(move |_, top, bottom, _| {
        u.fetch_add(1, Ordering::Relaxed);
        let rows = (bottom.row() - top.row() + 1).max(0) as usize;
        ru.fetch_add(rows, Ordering::Relaxed);
    });
    // Let the window show its first frames before the baseline is taken.
    crate::spin_for(Duration::from_millis(300));
    let rss_before = rss_mb();

    let running = Arc::new(AtomicUsize::new(0));
    let reported = Arc::new(AtomicUsize::new(0));
    let delivered = Rc::new(Cell::new(0u64));
    let ramp = Instant::now();
    let workers: Vec<GeneratorWorker<u64>> = (0..n)
        .map(|k| {
            let (run, rep) = (running.clone(), reported.clone());
            let w = qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
                run.fetch_add(1, Ordering::Relaxed);
                for i in 0u64.. {
                    std::thread::sleep(PERIOD);
                    cx.progress_text(i % TOTAL, TOTAL, format!("step {i}"))?;
                    rep.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
            .named(&format!("w11-{k}"));
            let d = delivered.clone();
            w.on_progress(move |_| d.set(d.get() + 1));
            w.start().expect("start");
            w
        })
        .collect();
    let all_running = crate::spin_until(Duration::from_secs(120), || {
        running.load(Ordering::Relaxed) == n
    });
    let ramp_s = ramp.elapsed().as_secs_f64();
    if !all_running {
        eprintln!(
            "W11: only {} of {n} bodies ran after {ramp_s:.1} s",
            running.load(Ordering::Relaxed)
        );
    }
    // Two flushes, so the model holds every row when the measured window opens.
    crate::spin_for(qworker::FLUSH_INTERVAL * 2);

    let gui = tid();
    let frames0: i64 = window.get("frames").unwrap_or(0);
    let (gui0, sw0, cpu0, t0) = (
        thread_cpu_ns(gui),
        thread_switches(gui),
        process_cpu_ns(),
        mono_ns(),
    );
    let (upd0, rows0) = (
        updates.load(Ordering::Relaxed),
        rows_updated.load(Ordering::Relaxed),
    );
    let (del0, rep0) = (delivered.get(), reported.load(Ordering::Relaxed));
    // One event loop for the whole window, as an application's `exec()` runs (5 ms slices
    // would add a loop and a timer to set up 200 times a second).
    qworker::testing::process_events(WINDOW);
    let (gui1, sw1, cpu1, t1) = (
        thread_cpu_ns(gui),
        thread_switches(gui),
        process_cpu_ns(),
        mono_ns(),
    );
    let rss_live = rss_mb();
    let threads_live = os_threads();
    let live = pool.live_count();
    let shown = pool.shown_rows();
    let qml_rows: i64 = list.get("count").unwrap_or(-1);
    let frames1: i64 = window.get("frames").unwrap_or(0);
    let wall = (t1 - t0) as f64 / 1e9;
    let per_s = |a: f64, b: f64| (b - a) / wall;
    let model_updates = per_s(upd0 as f64, updates.load(Ordering::Relaxed) as f64);
    let model_rows = per_s(rows0 as f64, rows_updated.load(Ordering::Relaxed) as f64);
    let progress_delivered = per_s(del0 as f64, delivered.get() as f64);
    let progress_reported = per_s(rep0 as f64, reported.load(Ordering::Relaxed) as f64);

    let q = Instant::now();
    qworker::quit_all();
    let stopped = qworker::await_workers(Duration::from_secs(30));
    let quit_ms = q.elapsed().as_secs_f64() * 1e3;
    if let Err(e) = &stopped {
        eprintln!("W11: {e}");
    }
    let finished = crate::spin_until(Duration::from_secs(30), || {
        workers.iter().all(|w| w.is_finished()) && pool.shown_rows() == 0
    });
    drop(workers);
    drop(engine);

    Report::new("W11", variant)
        .metric("workers", n as f64)
        .metric(
            "gui_busy_pct",
            (gui1 - gui0) as f64 / (t1 - t0) as f64 * 100.0,
        )
        .metric(
            "process_cpu_pct",
            (cpu1 - cpu0) as f64 / (t1 - t0) as f64 * 100.0,
        )
        .metric("model_updates_per_s", model_updates)
        .metric("model_rows_updated_per_s", model_rows)
        .metric("progress_events_per_s", progress_delivered)
        .metric("progress_reported_per_s", progress_reported)
        // The GUI thread's CPU (delivery, model, QML, rendering) per delivered event.
        .metric(
            "gui_us_per_progress_event",
            (gui1 - gui0) as f64 / 1e3 / (progress_delivered * wall).max(1.0),
        )
        .metric("gui_switches_per_s", per_s(sw0 as f64, sw1 as f64))
        .metric("frames_per_s", per_s(frames0 as f64, frames1 as f64))
        .metric("rss_before_mb", rss_before)
        .metric("rss_live_mb", rss_live)
        .metric(
            "rss_per_worker_kb",
            (rss_live - rss_before) * 1024.0 / n as f64,
        )
        .metric("os_threads_live", threads_live as f64)
        .metric("live_workers", f64::from(live))
        .metric("model_rows", shown as f64)
        .metric("qml_rows", qml_rows as f64)
        .metric("ramp_s", ramp_s)
        .metric("quit_to_stopped_ms", quit_ms)
        .metric(
            "all_stopped",
            f64::from(all_running && stopped.is_ok() && finished),
        )
        .print();
    0
}
