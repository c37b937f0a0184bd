//! The example viewer, driven like a user would (clicks, typing, Enter) on a real window
//! (offscreen, or xcb under `QT_QPA_PLATFORM=xcb xvfb-run -a`), checked on the pixels of the
//! grabbed window: every napari scenario, the Tasks panel (a row per live worker, with its
//! own STOP) and the window's CloseGuard. Screenshots land in
//! `target/test-screenshots/viewer/`.

#[path = "../examples/viewer/scenarios.rs"]
#[allow(dead_code)]
mod scenarios;
#[path = "../examples/viewer/tour.rs"]
mod tour;

mod common;

extern crate qworker;

use std::cell::Cell;
use std::path::PathBuf;
use std::time::Duration;

use common::wait;
use cxx_qt_lib::{
    QGuiApplication, QMap, QMapPair_QString_QVariant, QQmlApplicationEngine, QString, QVariant,
};
use qworker::ToVariant;
use qworker::image::Frame;
use qworker::testing::{SceneObject, process_events};
use tour::Viewer;

fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("test-screenshots").join("viewer")
}

fn shot(v: &Viewer, name: &str) -> Frame {
    let image = v.window.grab_image();
    qworker::image::save_image(&image, shots_dir().join(format!("{name}.png"))).expect("saved");
    Frame::from_qimage(&image).expect("grabbed")
}

/// `{key: value, ...}` as a QVariant (a JS object for QML).
fn args(entries: &[(&str, f64)]) -> Option<QVariant> {
    let mut m = QMap::<QMapPair_QString_QVariant>::default();
    for (k, v) in entries {
        m.insert(QString::from(*k), v.to_variant().unwrap());
    }
    Some(QVariant::from(&m))
}

/// The scenario's worker as a scene object (QML's `root.current`, a QML-made `Worker`).
fn current(v: &Viewer) -> SceneObject {
    let p = v
        .window
        .property("current")
        .value::<cxx_qt_lib::QObjectMutPtr>()
        .expect("a current worker");
    // SAFETY: a live worker QObject (owned by the viewer's QML), on this thread.
    unsafe { SceneObject::from_ptr(p.as_mut_ptr()) }.expect("non-null worker")
}

/// Pixels whose colour satisfies `pred`.
fn count(frame: &Frame, pred: impl Fn([u8; 4]) -> bool) -> usize {
    let mut n = 0;
    for y in 0..frame.height() {
        for x in 0..frame.width() {
            if pred(frame.pixel(x, y)) {
                n += 1;
            }
        }
    }
    n
}

const SEC: Duration = Duration::from_secs(1);

thread_local! {
    /// The viewer window `main` loads once; every case drives the same one, in turn.
    static VIEWER: Cell<Option<&'static Viewer>> = const { Cell::new(None) };
}

/// The viewer `main` loaded.
fn viewer() -> &'static Viewer {
    VIEWER.get().expect("main loads the viewer first")
}

fn main() {
    common::headless();
    if std::env::var_os("QT_QUICK_CONTROLS_STYLE").is_none() {
        // SAFETY: start of main, no other thread yet.
        unsafe { std::env::set_var("QT_QUICK_CONTROLS_STYLE", "Fusion") };
    }
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    let mut engine = QQmlApplicationEngine::new();
    scenarios::register();
    let mut props = QMap::<QMapPair_QString_QVariant>::default();
    props.insert(QString::from("scenarios"), scenarios::list());
    engine.pin_mut().set_initial_properties(&props);
    let window = SceneObject::load_qml(
        engine.pin_mut(),
        include_str!("../examples/viewer/Viewer.qml"),
        "file:///qworker/examples/viewer/Viewer.qml",
    )
    .expect("the viewer's QML loads");
    // Kept until the process exits; the last scenario's worker goes with the window.
    let v: &'static Viewer = Box::leak(Box::new(Viewer::new(window).expect("viewer parts")));
    VIEWER.set(Some(v));
    process_events(Duration::from_millis(50));
    common::run(&[
        ("lists_every_scenario", lists_every_scenario),
        (
            "average_stack_keeps_the_gui_alive",
            average_stack_keeps_the_gui_alive,
        ),
        (
            "running_mean_converges_to_mid_grey",
            running_mean_converges_to_mid_grey,
        ),
        (
            "stop_button_ends_the_endless_stream",
            stop_button_ends_the_endless_stream,
        ),
        ("multiplier_reaches_game_over", multiplier_reaches_game_over),
        (
            "errors_go_to_the_handler_and_the_app_lives",
            errors_go_to_the_handler_and_the_app_lives,
        ),
        ("many_workers_run_at_once", many_workers_run_at_once),
        (
            "tasks_panel_lists_the_long_tasks_and_stops_them_row_by_row",
            tasks_panel_lists_the_long_tasks_and_stops_them_row_by_row,
        ),
        (
            "headless_tour_writes_a_png_per_scenario",
            headless_tour_writes_a_png_per_scenario,
        ),
    ]);
}

fn lists_every_scenario() {
    let v = viewer();
    for (name, _) in scenarios::SCENARIOS {
        assert!(
            v.window.find(&format!("run_{name}")).is_some(),
            "no button for {name}"
        );
    }
    let tasks = qworker::registered_tasks();
    for (name, _) in scenarios::SCENARIOS {
        assert!(
            tasks.iter().any(|t| t == name),
            "task {name} not registered"
        );
    }
}

fn average_stack_keeps_the_gui_alive() {
    let v = viewer();
    // Large enough to take a while on a debug build; the GUI must keep animating.
    v.run("average_stack", args(&[("depth", 600.0), ("size", 384.0)]))
        .unwrap();
    let spinner = v.window.expect("spinner").unwrap();
    let mut rotations = vec![];
    let beats0 = v.prop_f64("heartbeat");
    while v.state() != "finished" {
        rotations.push(spinner.get::<f64>("rotation").unwrap());
        process_events(Duration::from_millis(40));
        assert!(rotations.len() < 3000, "never finished");
    }
    let beats = v.prop_f64("heartbeat") - beats0;
    let distinct = {
        let mut r = rotations.clone();
        r.dedup();
        r.len()
    };
    println!(
        "    {} samples while computing, {distinct} distinct spinner angles, {beats} GUI ticks",
        rotations.len()
    );
    assert!(
        rotations.len() < 3 || distinct >= rotations.len() / 2,
        "the animation stalled: {rotations:?}"
    );
    assert!(
        beats >= rotations.len() as f64,
        "heartbeat stalled: {beats}"
    );
    wait("the mean image", || v.shown() >= 1);
    process_events(Duration::from_millis(50));
    shot(v, "average_stack");
    let img = v.grab_image_middle().unwrap();
    println!(
        "    mean grey {:.1}, spread {:.1}",
        img.mean_gray(),
        img.gray_stddev()
    );
    assert!(
        (img.mean_gray() - 127.5).abs() < 12.0,
        "mean {}",
        img.mean_gray()
    );
    assert!(img.gray_stddev() > 10.0, "blank image");
}

fn running_mean_converges_to_mid_grey() {
    let v = viewer();
    v.run(
        "running_mean",
        args(&[("iterations", 2048.0), ("size", 256.0)]),
    )
    .unwrap();
    // Pause at once (napari's pause): the worker parks at one of its first yields.
    current(v).invoke("pause", &[]).unwrap();
    wait("paused with a frame shown", || {
        v.state() == "paused" && v.shown() >= 1
    });
    process_events(Duration::from_millis(50));
    shot(v, "running_mean_early");
    let early = v.grab_image_middle().unwrap();
    assert!(
        v.window
            .expect("pauseButton")
            .unwrap()
            .get::<String>("text")
            .unwrap()
            == "Resume"
    );
    v.click("pauseButton").unwrap(); // Resume
    // Pause again half-way with the button, as a user would, and look.
    wait("half-way", || {
        v.prop_f64("produced") >= 64.0 || v.state() == "finished"
    });
    if v.state() != "finished" {
        v.click("pauseButton").unwrap();
        wait("paused half-way", || v.state() == "paused");
        process_events(Duration::from_millis(50));
        shot(v, "running_mean_half");
        v.click("pauseButton").unwrap();
    }
    v.wait_finished(tour::LIMIT).unwrap();
    wait("all frames delivered", || v.received() >= 1);
    process_events(Duration::from_millis(80));
    shot(v, "running_mean");
    let late = v.grab_image_middle().unwrap();
    println!(
        "    early: grey {:.1} spread {:.1}; late: grey {:.1} spread {:.1}; produced {} received {} shown {}",
        early.mean_gray(),
        early.gray_stddev(),
        late.mean_gray(),
        late.gray_stddev(),
        v.prop_f64("produced"),
        v.received(),
        v.shown()
    );
    assert!((late.mean_gray() - 127.5).abs() < 8.0, "not mid-grey");
    assert!(late.gray_stddev() > 3.0, "blank");
    assert!(
        late.gray_stddev() < early.gray_stddev() * 0.6,
        "did not converge"
    );
    assert_eq!(v.prop_f64("produced"), 128.0, "progress total = yields");
    assert!(v.shown() as f64 <= v.prop_f64("produced"));
}

fn stop_button_ends_the_endless_stream() {
    let v = viewer();
    v.run("endless", args(&[("size", 256.0)])).unwrap();
    wait("frames streaming", || {
        v.shown() >= 5 && v.prop_f64("produced") >= 30.0
    });
    assert_eq!(v.state(), "running");
    let stop = v.window.expect("stopButton").unwrap();
    assert_eq!(stop.get::<String>("text").unwrap(), "STOP!");
    shot(v, "endless_streaming");
    v.click("stopButton").unwrap();
    v.wait_finished(10 * SEC).unwrap();
    let received = v.received();
    let produced = v.prop_f64("produced");
    process_events(Duration::from_millis(300));
    assert_eq!(v.received(), received, "frames arrived after STOP");
    assert!(produced >= received as f64 && received >= v.shown());
    let shot = shot(v, "endless_stopped");
    let img = v.grab_image_middle().unwrap();
    println!(
        "    produced {produced}, received {received}, shown {}; grey {:.1} spread {:.1}",
        v.shown(),
        img.mean_gray(),
        img.gray_stddev()
    );
    assert!(img.gray_stddev() > 10.0, "blank image");
    assert!(shot.gray_stddev() > 5.0);
    assert!(!stop.get::<bool>("enabled").unwrap(), "STOP still enabled");
}

fn multiplier_reaches_game_over() {
    let v = viewer();
    v.run("multiplier", None).unwrap();
    let big = v.window.expect("bigLabel").unwrap();
    wait("paused at 1", || {
        v.state() == "paused" && v.prop_f64("total") == 1.0
    });
    v.type_enter("factorField", "4").unwrap();
    wait("paused at 4", || {
        v.state() == "paused" && v.prop_f64("total") == 4.0
    });
    assert_eq!(big.get::<String>("text").unwrap(), "total = 4");
    shot(v, "multiplier_running");
    v.type_enter("factorField", "2.5").unwrap();
    wait("paused at 10", || {
        v.state() == "paused" && v.prop_f64("total") == 10.0
    });
    v.type_enter("factorField", "0").unwrap();
    v.wait_finished(10 * SEC).unwrap();
    assert_eq!(v.text("resultText"), "Game Over!");
    assert_eq!(big.get::<String>("text").unwrap(), "Game Over!");
    let field = v.window.expect("factorField").unwrap();
    assert!(
        !field.get::<bool>("enabled").unwrap(),
        "field still enabled"
    );
    let frame = shot(v, "multiplier");
    // The big label is drawn: many bright pixels in the image area.
    let area = v.grab_view().unwrap();
    let bright = count(&area, |p| p[0] > 200 && p[1] > 200 && p[2] > 200);
    assert!(bright > 500, "no text drawn ({bright} bright pixels)");
    assert!(frame.gray_stddev() > 5.0);
}

fn errors_go_to_the_handler_and_the_app_lives() {
    let v = viewer();
    v.run("error", None).unwrap();
    v.wait_finished(30 * SEC).unwrap();
    let err = v.text("errorText");
    assert!(err.contains("ValueError"), "{err:?}");
    let beats = v.prop_f64("heartbeat");
    wait("the GUI keeps ticking", || {
        v.prop_f64("heartbeat") > beats + 3.0
    });
    let frame = shot(v, "error");
    let red = count(&frame, |p| p[0] > 200 && p[1] < 140 && p[2] < 140);
    assert!(red > 300, "the error is not shown in red ({red} pixels)");
    // And the next scenario still runs.
    v.run("multiplier", None).unwrap();
    wait("next scenario runs", || v.state() == "paused");
    current(v).invoke("quit", &[]).unwrap();
    v.wait_finished(10 * SEC).unwrap();
}

fn many_workers_run_at_once() {
    let v = viewer();
    v.run("many_workers", args(&[("workers", 50.0), ("steps", 15.0)]))
        .unwrap();
    let mut peak = 0.0f64;
    let mut running_shot = false;
    wait("all finished", || {
        let live = v.prop_f64("liveCount");
        peak = peak.max(live);
        if !running_shot && live >= 50.0 && v.shown() >= 2 {
            shot(v, "many_workers_running");
            running_shot = true;
        }
        v.state() == "finished"
    });
    let result = v.text("resultText");
    println!("    peak live count seen by the GUI {peak}; {result}");
    assert!(
        peak >= 50.0,
        "the 50 workers did not run at once: peak {peak}"
    );
    assert!(result.starts_with("50 workers finished"), "{result}");
    assert_eq!(v.prop_f64("liveFinished"), 50.0);
    process_events(Duration::from_millis(80));
    shot(v, "many_workers");
    let area = v.grab_view().unwrap();
    let green = count(&area, |p| p[1] > 170 && p[0] < 120 && p[2] < 160);
    assert!(
        green > 5000,
        "no finished bars drawn ({green} green pixels)"
    );
}

fn headless_tour_writes_a_png_per_scenario() {
    let v = viewer();
    let out = shots_dir().join("tour");
    let _ = std::fs::remove_dir_all(&out);
    let quick: &[(&str, &[(&str, f64)])] = &[
        ("average_stack", &[("depth", 64.0), ("size", 128.0)]),
        ("running_mean", &[("iterations", 256.0), ("size", 128.0)]),
        ("endless", &[("size", 128.0)]),
        ("multiplier", &[]),
        ("error", &[]),
        ("many_workers", &[("workers", 20.0), ("steps", 5.0)]),
        ("long_tasks", &[("step_ms", 20.0)]),
    ];
    let size = |png: &std::path::Path| {
        let img = cxx_qt_lib::QImage::from_data(&std::fs::read(png).unwrap(), Some("PNG"))
            .expect("a PNG");
        (img.width(), img.height())
    };
    for (name, a) in quick {
        let o = tour::tour_one(v, name, args(a), &out);
        println!("    {}", o.summary());
        assert!(o.ok, "{}", o.summary());
        let png = o.screenshot.expect("a screenshot");
        assert_eq!(size(&png), (1200, 760));
    }
    // long_tasks also pictures the Tasks panel with its rows, and the CloseGuard's dialog.
    for extra in ["long_tasks_running.png", "long_tasks_close_guard.png"] {
        assert_eq!(size(&out.join(extra)), (1200, 760), "{extra}");
    }
    assert_eq!(v.live_tasks(), 0, "the tour left workers running");
}

fn tasks_panel_lists_the_long_tasks_and_stops_them_row_by_row() {
    let v = viewer();
    v.run("long_tasks", None).unwrap();
    let children = ["scan", "download", "index"];
    wait("the four rows with their status lines", || {
        let names = v.task_names();
        tour::LONG_TASKS.iter().all(|(task, says)| {
            names.iter().any(|n| n == task) && v.label(&format!("taskStatus_{task}")).contains(says)
        })
    });
    let names = v.task_names();
    assert_eq!(names[0], "long_tasks", "rows keep start order: {names:?}");
    assert_eq!(v.task_rows(), 4, "{names:?}");
    assert_eq!(v.live_tasks(), 4);
    let header = v.window.expect("tasksHeader").unwrap();
    assert_eq!(header.get::<String>("text").unwrap(), "Tasks  (4 running)");
    for task in children {
        assert_eq!(v.label(&format!("taskState_{task}")), "running", "{task}");
    }
    // No total: an indeterminate bar; a known total: a bar with a value.
    let bar = |task: &str| v.window.expect(&format!("taskProgress_{task}")).unwrap();
    assert!(bar("scan").get::<bool>("indeterminate").unwrap());
    assert!(!bar("download").get::<bool>("indeterminate").unwrap());
    assert_eq!(bar("download").get::<f64>("to").unwrap(), 40.0);
    wait("the download bar to move", || {
        bar("download").get::<f64>("value").unwrap() >= 1.0
    });
    // `elapsed` moves once a second while a task runs.
    wait("a second of elapsed time", || {
        v.label("taskElapsed_scan") != "0 s"
    });
    process_events(Duration::from_millis(100));
    shot(v, "tasks_panel");

    // Each child's row STOP ends that worker only; its row goes.
    for (k, task) in children.iter().enumerate() {
        v.click(&format!("taskStop_{task}")).unwrap();
        wait(&format!("the {task} row to go"), || {
            let names = v.task_names();
            // The last one gone, the supervisor's row may go in the same update.
            let rows = v.task_rows();
            !names.iter().any(|n| n == task) && (rows == 3 - k as i64 || (k == 2 && rows == 0))
        });
        let names = v.task_names();
        for other in &children[k + 1..] {
            assert!(
                names.iter().any(|n| n == other),
                "{other} went too: {names:?}"
            );
        }
        if k == 0 {
            // Close while two still run: the guard asks, the window stays.
            v.window.invoke("close", &[]).unwrap();
            assert!(v.guard_asking(), "closing with workers running asks");
            assert_eq!(v.guard.get::<String>("reason").unwrap(), "close");
            let list = v.window.expect("closeGuardTasks").unwrap();
            wait("the dialog lists the live tasks", || {
                list.get::<i64>("count").unwrap() == 3
            });
            process_events(Duration::from_millis(150));
            shot(v, "close_guard");
            v.guard.invoke("keepRunning", &[]).unwrap();
            assert!(!v.guard_asking());
            assert!(
                v.window.get::<bool>("visible").unwrap(),
                "the window closed"
            );
            assert_eq!(v.state(), "running", "keep running: the workers go on");
        }
    }
    // The last child gone, the supervisor returns and its row goes too.
    v.wait_finished(10 * SEC).unwrap();
    assert_eq!(v.text("resultText"), "all 3 long tasks were stopped");
    wait("the Tasks panel to empty", || {
        v.task_rows() == 0 && v.live_tasks() == 0
    });
    let stop_all = v.window.expect("stopAllButton").unwrap();
    assert!(
        !stop_all.get::<bool>("enabled").unwrap(),
        "Stop all with nothing running"
    );
    assert_eq!(header.get::<String>("text").unwrap(), "Tasks  (0 running)");
    // Nothing runs: closing would not ask now (not tried: it would close the window).
    assert!(!v.guard_asking());
}
