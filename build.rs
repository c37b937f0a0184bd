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
    // The public C++ header, exported as <qworker/qworker.h> for C++ hosts (docs/cpp.md).
    println!("cargo::rerun-if-changed=cpp/qworker.h");
    // A CMake host builds with these set (examples/cpp_host/CMakeLists.txt); re-export when
    // they change, e.g. after the export directory moved.
    for var in [
        "CXX_QT_EXPORT_DIR",
        "CXX_QT_EXPORT_CRATE_qworker",
        "CXX_QT_QT_MODULES",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
}
