//! The README's Rust example, as a program: napari's first example. A function worker
//! averages a large random stack off the GUI thread while an animation keeps turning; the mean
//! appears in a `FrameView` bound to the worker. The lines between the markers are the README's
//! snippet, word for word (a test keeps them in step).
//!
//! Run: `cargo run --release --example readme` (a window; offscreen it quits when done).

extern crate qworker;

use cxx_qt_lib::{
    QByteArray, QGuiApplication, QMap, QMapPair_QString_QVariant, QQmlApplicationEngine, QUrl,
};

const QML: &str = r##"
import QtQuick
import QWorker

Window {
    required property var stack
    width: 560; height: 600; visible: true; title: "qworker: napari's first example"
    Rectangle { // keeps turning while the worker computes: the GUI never freezes
        width: 40; height: 40; x: 10; y: 10; color: "#3b82f6"
        RotationAnimation on rotation { from: 0; to: 360; duration: 1000; loops: Animation.Infinite }
    }
    FrameView { anchors.fill: parent; anchors.topMargin: 60; worker: stack }
    Connections {
        target: stack
        function onFinished() { if (Qt.platform.pluginName === "offscreen") Qt.exit(0) }
    }
}
"##;

/// A small xorshift generator: the example needs no crate for random numbers.
fn random_f32() -> f32 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) });
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 40) as f32 / (1u64 << 24) as f32
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
        && std::env::var_os("QT_QPA_PLATFORM").is_none()
    {
        // SAFETY: start of main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    cxx_qt::init_crate!(qworker);
    let mut app = QGuiApplication::new();
    let mut engine = QQmlApplicationEngine::new();
    let mut props = QMap::<QMapPair_QString_QVariant>::default();

    // README snippet begins
    use qworker::BoxError;
    use qworker::image::Frame;

    // napari's first example: average a large random stack off the GUI thread, then show it.
    let worker = qworker::function(|| -> Result<Frame, BoxError> {
        let (w, h, depth) = (512, 512, 64);
        let mut sum = vec![0f32; w * h];
        for _ in 0..depth {
            sum.iter_mut().for_each(|s| *s += random_f32()); // heavy; the GUI stays live
        }
        let mean: Vec<f32> = sum.iter().map(|s| s / depth as f32).collect();
        Ok(Frame::from_f32(w as u32, h as u32, &mean, (0.45, 0.55))?)
    });
    props.insert("stack".into(), worker.to_qvariant()); // QML: FrameView { worker: stack }
    worker.start()?;
    // README snippet ends

    worker.on_returned(|mean| println!("mean of the stack: grey {:.1}", mean.mean_gray()));
    if let Some(mut e) = engine.as_mut() {
        e.as_mut().set_initial_properties(&props);
        e.as_mut()
            .load_data(&QByteArray::from(QML), &QUrl::from("qrc:/readme/main.qml"));
    }
    let code = app.as_mut().map_or(1, |a| a.exec());
    std::process::exit(code);
}
