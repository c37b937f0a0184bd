//! Frames on a real Qt event loop (offscreen unless a platform was chosen): the `Frame` type
//! and its zero-copy `QImage`, the `FrameView` QML item fed from Rust, from QML and from a
//! bound worker, checked on the pixels of a grabbed window. Screenshots land in
//! `target/test-screenshots/qt_frames/`.

mod common;

extern crate qworker;

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::wait;
use cxx_qt_lib::{
    QGuiApplication, QMap, QMapPair_QString_QVariant, QQmlApplicationEngine, QString,
};
use qworker::image::{Frame, FrameFormat};
use qworker::testing::{MessageCapture, SceneObject, process_events};
use qworker::{BoxError, Context, Policy, ToVariant};

const VIEW_QML: &str = r#"
import QtQuick
import QtQuick.Window
import QWorker

Window {
    id: root
    width: 200; height: 200
    visible: true
    color: "black"
    property var worker: null
    FrameView {
        id: view
        objectName: "view"
        anchors.fill: parent
        fillColor: "black"
        smooth: false
        worker: root.worker
    }
}
"#;

fn shots_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("test-screenshots").join("qt_frames")
}

fn save_shot(window: &SceneObject, name: &str) -> Frame {
    let image = window.grab_image();
    let path = shots_dir().join(format!("{name}.png"));
    qworker::image::save_image(&image, &path).expect("screenshot saved");
    Frame::from_qimage(&image).expect("window grabbed")
}

thread_local! {
    /// The one QML engine `main` creates; every view case loads its window into it. Never
    /// dropped (as when it was a local of `main`, which ends in `process::exit`).
    static ENGINE: RefCell<ManuallyDrop<cxx::UniquePtr<QQmlApplicationEngine>>> =
        RefCell::new(ManuallyDrop::new(cxx::UniquePtr::null()));
}

/// Loads VIEW_QML into the engine with `worker` (if any) as the window's worker property.
fn load_view(worker: Option<cxx_qt_lib::QVariant>) -> (SceneObject, SceneObject) {
    let window = ENGINE
        .with_borrow_mut(|engine| {
            SceneObject::load_qml(engine.pin_mut(), VIEW_QML, "file:///qt_frames/view.qml")
        })
        .expect("QML loads");
    if let Some(w) = worker {
        window.set_variant("worker", &w).expect("worker property");
    }
    let view = window.expect("view").unwrap();
    (window, view)
}

fn close(window: &SceneObject) {
    window.invoke("close", &[]).unwrap();
    window.invoke("deleteLater", &[]).unwrap();
    process_events(Duration::from_millis(5));
}

fn shown(view: &SceneObject) -> i64 {
    view.get::<i64>("framesShown").unwrap()
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    ENGINE.set(ManuallyDrop::new(QQmlApplicationEngine::new()));
    common::run(&[
        (
            "frame_rejects_bad_input_with_a_message",
            frame_rejects_bad_input_with_a_message,
        ),
        (
            "from_f32_maps_contrast_limits",
            from_f32_maps_contrast_limits,
        ),
        ("to_qimage_shares_the_pixels", to_qimage_shares_the_pixels),
        ("qimage_outlives_the_frame", qimage_outlives_the_frame),
        ("frame_to_variant_is_a_qimage", frame_to_variant_is_a_qimage),
        (
            "view_shows_a_pushed_frame_fitted_and_centred",
            view_shows_a_pushed_frame_fitted_and_centred,
        ),
        (
            "view_repaints_only_for_a_new_frame",
            view_repaints_only_for_a_new_frame,
        ),
        (
            "view_bound_to_a_worker_shows_the_newest_frame",
            view_bound_to_a_worker_shows_the_newest_frame,
        ),
        (
            "view_shows_a_function_workers_returned_frame",
            view_shows_a_function_workers_returned_frame,
        ),
        (
            "set_frame_from_qml_and_bad_values_warn",
            set_frame_from_qml_and_bad_values_warn,
        ),
        (
            "view_unbinds_when_the_worker_is_destroyed",
            view_unbinds_when_the_worker_is_destroyed,
        ),
    ]);
}

fn frame_rejects_bad_input_with_a_message() {
    let e = Frame::rgba8(2, 2, vec![0; 15]).unwrap_err();
    assert_eq!(e.to_string(), "a 2x2 Rgba8 frame needs 16 bytes, got 15");
    assert!(
        Frame::rgb8(0, 5, vec![])
            .unwrap_err()
            .to_string()
            .contains("non-zero size")
    );
    assert!(Frame::gray8(u32::MAX, 2, vec![]).is_err());
    let e = Frame::from_f32(2, 1, &[0.0], (0.0, 1.0)).unwrap_err();
    assert_eq!(e.to_string(), "a 2x1 image needs 2 values, got 1");
    assert!(Frame::from_f32(1, 1, &[0.0], (1.0, 0.0)).is_err());
    assert!(Frame::from_f32(1, 1, &[0.0], (f32::NAN, 1.0)).is_err());
}

fn from_f32_maps_contrast_limits() {
    let f = Frame::from_f32(6, 1, &[-1.0, -0.8, 0.0, 0.8, 2.0, f32::NAN], (-0.8, 0.8)).unwrap();
    assert_eq!(f.format(), FrameFormat::Gray8);
    assert_eq!(f.bytes(), &[0, 0, 128, 255, 255, 0]);
}

fn to_qimage_shares_the_pixels() {
    // Odd widths: rows of 3 and 7 bytes, not 4-byte aligned, still wrapped as they are.
    for f in [
        Frame::gray8(3, 2, vec![0, 50, 100, 150, 200, 250]).unwrap(),
        Frame::rgb8(7, 3, (0..63).map(|i| i as u8 * 4).collect()).unwrap(),
        Frame::solid(5, 5, [10, 20, 30, 40]).unwrap(),
    ] {
        let image = f.to_qimage();
        assert!(f.shares_pixels_with(&image), "{f:?} was copied");
        assert_eq!(
            (image.width(), image.height()),
            (f.width() as i32, f.height() as i32)
        );
        // Same pixels read back through Qt.
        let back = Frame::from_qimage(&image).unwrap();
        for y in 0..f.height() {
            for x in 0..f.width() {
                assert_eq!(back.pixel(x, y), f.pixel(x, y), "pixel ({x},{y}) of {f:?}");
            }
        }
    }
}

fn qimage_outlives_the_frame() {
    let f = Frame::solid(64, 64, [1, 2, 3, 255]).unwrap();
    let image = f.to_qimage();
    drop(f);
    let back = Frame::from_qimage(&image).unwrap();
    assert_eq!(back.pixel(63, 63), [1, 2, 3, 255]);
}

fn frame_to_variant_is_a_qimage() {
    let f = Frame::solid(4, 3, [9, 8, 7, 255]).unwrap();
    let v = f.to_variant().unwrap();
    assert_eq!(v.type_name(), "QImage");
    let image: cxx_qt_lib::QImage = v.value().unwrap();
    assert!(f.shares_pixels_with(&image));
}

fn view_shows_a_pushed_frame_fitted_and_centred() {
    let (window, view) = load_view(None);
    // A 100x50 red frame in a 200x200 view: scaled to 200x100, centred (rows 50..150).
    let red = Frame::solid(100, 50, [255, 0, 0, 255]).unwrap();
    view.with_frame_view(|v| v.show_frame(&red))
        .expect("a FrameView");
    wait("the frame was painted", || shown(&view) == 1);
    assert_eq!(view.get::<i64>("framesReceived").unwrap(), 1);
    assert_eq!(view.get::<i64>("frameWidth").unwrap(), 100);
    let shot = save_shot(&window, "fit_red");
    assert_eq!(
        shot.pixel(100, 100),
        [255, 0, 0, 255],
        "centre is the frame"
    );
    assert_eq!(shot.pixel(2, 60), [255, 0, 0, 255], "full width");
    assert_eq!(
        shot.pixel(100, 20),
        [0, 0, 0, 255],
        "above the frame: fill colour"
    );
    assert_eq!(
        shot.pixel(100, 180),
        [0, 0, 0, 255],
        "below the frame: fill colour"
    );
    close(&window);
}

fn view_repaints_only_for_a_new_frame() {
    let (window, view) = load_view(None);
    let a = Frame::solid(10, 10, [0, 255, 0, 255]).unwrap();
    view.with_frame_view(|v| v.show_frame(&a)).unwrap();
    wait("painted", || shown(&view) == 1);
    let paints = view.get::<i64>("paintCount").unwrap();
    // Nothing new: the event loop runs, the view does not repaint.
    process_events(Duration::from_millis(200));
    assert_eq!(
        view.get::<i64>("paintCount").unwrap(),
        paints,
        "idle repaint"
    );
    let b = Frame::solid(10, 10, [0, 0, 255, 255]).unwrap();
    view.with_frame_view(|v| v.show_frame(&b)).unwrap();
    wait("second frame painted", || shown(&view) == 2);
    assert_eq!(view.get::<i64>("paintCount").unwrap(), paints + 1);
    let shot = save_shot(&window, "second_frame_blue");
    assert_eq!(shot.pixel(100, 100), [0, 0, 255, 255]);
    close(&window);
}

fn view_bound_to_a_worker_shows_the_newest_frame() {
    // A producer much faster than the screen, with Latest: the view receives fewer
    // frames than were produced, and the last one it shows is the last one produced.
    let produced = Arc::new(AtomicU32::new(0));
    let p = produced.clone();
    let worker = qworker::generator(move |cx: &mut Context<Frame>| -> Result<(), BoxError> {
        for i in 0..300u32 {
            let g = (i % 200) as u8;
            let last = i == 299;
            let rgba = if last {
                [255, 255, 0, 255]
            } else {
                [g, g, g, 255]
            };
            cx.yield_(Frame::solid(320, 240, rgba)?)?;
            p.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    })
    .policy(Policy::Latest)
    .named("fast-frames");
    let (window, view) = load_view(Some(worker.to_qvariant()));
    worker.start().unwrap();
    wait("finished", || worker.is_finished());
    wait("the last frame was painted", || {
        let shot = Frame::from_qimage(&window.grab_image()).unwrap();
        shot.pixel(100, 100) == [255, 255, 0, 255]
    });
    let received = view.get::<i64>("framesReceived").unwrap();
    assert_eq!(produced.load(Ordering::Relaxed), 300);
    assert!((1..=300).contains(&received), "received {received}");
    assert!(shown(&view) <= received);
    save_shot(&window, "worker_last_frame_yellow");
    println!(
        "    produced 300, received {received}, shown {}",
        shown(&view)
    );
    close(&window);
}

fn view_shows_a_function_workers_returned_frame() {
    let worker = qworker::function(|| -> Result<Frame, BoxError> {
        Ok(Frame::from_f32(2, 2, &[0.5; 4], (0.0, 1.0))?)
    });
    let (window, view) = load_view(Some(worker.to_qvariant()));
    worker.start().unwrap();
    wait("painted", || shown(&view) == 1);
    let shot = save_shot(&window, "returned_grey");
    assert_eq!(shot.pixel(100, 100), [128, 128, 128, 255]);
    close(&window);
}

fn set_frame_from_qml_and_bad_values_warn() {
    let (window, view) = load_view(None);
    let f = Frame::solid(8, 8, [255, 0, 255, 255]).unwrap();
    let ok = view.invoke("setFrame", &[f.to_variant().unwrap()]).unwrap();
    assert!(ok.value::<bool>().unwrap());
    // A map with an "image" entry works too (a worker yielding a record).
    let mut map = QMap::<QMapPair_QString_QVariant>::default();
    map.insert(
        QString::from("image"),
        Frame::solid(8, 8, [0, 255, 255, 255])
            .unwrap()
            .to_variant()
            .unwrap(),
    );
    map.insert(QString::from("live"), 3i32.to_variant().unwrap());
    let ok = view
        .invoke("setFrame", &[cxx_qt_lib::QVariant::from(&map)])
        .unwrap();
    assert!(ok.value::<bool>().unwrap());
    wait("painted", || shown(&view) >= 1);
    let capture = MessageCapture::start();
    let ok = view
        .invoke("setFrame", &[42i32.to_variant().unwrap()])
        .unwrap();
    assert!(!ok.value::<bool>().unwrap());
    let lines = capture.take();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("expected an image") && l.contains("int")),
        "{lines:?}"
    );
    let shot = save_shot(&window, "map_cyan");
    assert_eq!(shot.pixel(100, 100), [0, 255, 255, 255]);
    close(&window);
}

fn view_unbinds_when_the_worker_is_destroyed() {
    let worker =
        qworker::from_iter((0..3u32).map(|_| Frame::solid(4, 4, [255, 255, 255, 255]).unwrap()));
    let (window, view) = load_view(Some(worker.to_qvariant()));
    assert!(!view.property("worker").is_null());
    worker.start().unwrap();
    wait("finished", || worker.is_finished());
    drop(worker);
    wait("worker property reset", || {
        view.property("worker").is_null() || !view.property("worker").is_valid()
    });
    close(&window);
}
