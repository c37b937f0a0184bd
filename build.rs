use cxx_qt_build::{CxxQtBuilder, QmlModule};

fn main() {
    CxxQtBuilder::new_qml_module(QmlModule::new("QWorker").qml_files([
        "qml/WorkerProgress.qml",
        "qml/WorkerControls.qml",
        "qml/EventLog.qml",
    ]))
    .qt_module("Gui")
    .qt_module("Quick")
    .qt_module("Widgets")
    .files([
        "src/qt/qobject.rs",
        "src/qt/frame.rs",
        "src/qt/frameview.rs",
        "src/qt/scene.rs",
        "src/qt/widgets.rs",
    ])
    .include_dir("cpp")
    .cpp_file("cpp/glue.cpp")
    .cpp_file("cpp/frames.cpp")
    .cpp_file("cpp/imageview.cpp")
    // None: do not export the whole crate as an include root (that makes every build
    // re-run this script). Headers of ours live in cpp/ and are included as <qworker/...>.
    .crate_include_root(None)
    .build();
    println!("cargo::rerun-if-changed=cpp/glue.h");
    println!("cargo::rerun-if-changed=cpp/frames.h");
    println!("cargo::rerun-if-changed=cpp/imageview.h");
}
