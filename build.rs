use cxx_qt_build::{CxxQtBuilder, QmlModule};

/// The QML components of the `QWorker` module.
const QML_FILES: [&str; 4] = [
    "qml/WorkerProgress.qml",
    "qml/WorkerControls.qml",
    "qml/EventLog.qml",
    "qml/CloseGuard.qml",
];

/// Writes a `.qrc` that puts a second `qmldir` of the module under `:/qt-project.org/imports/`,
/// the resource import path QML searches by default on Qt 6.4 (Qt 6.5 added `:/qt/qml/`, where
/// cxx-qt puts modules). Its `prefer` line sends the engine to the module's real place, so on
/// Qt 6.4 `import QWorker` resolves like on 6.5, lazily, with nothing registered at start.
fn legacy_import_path_qrc() -> std::path::PathBuf {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut qmldir = String::from("module QWorker\nprefer :/qt/qml/QWorker/\n");
    for file in QML_FILES {
        let name = file.trim_start_matches("qml/").trim_end_matches(".qml");
        qmldir.push_str(&format!("{name} 1.0 {file}\n"));
    }
    let qmldir_path = out.join("legacy_import_path_qmldir");
    write_generated(&qmldir_path, &qmldir);
    let qrc = out.join("legacy_import_path.qrc");
    let xml = format!(
        "<RCC>\n  <qresource prefix=\"/qt-project.org/imports/QWorker\">\n    \
         <file alias=\"qmldir\">{}</file>\n  </qresource>\n</RCC>\n",
        qmldir_path.display()
    );
    write_generated(&qrc, &xml);
    qrc
}

/// Writes a file this script generates and hands to `.qrc()`, dated like `build.rs`.
///
/// cxx-qt asks cargo to re-run this script when a resource file changes, and cargo counts a
/// file newer than the script's last run as changed. A file written during the run is always
/// newer, so every cargo command re-ran the script and rebuilt qworker's C++ (about a minute
/// per step of the test command). Its content comes from this script alone, so the script's
/// own date is the right one.
fn write_generated(path: &std::path::Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).expect("write a generated resource file");
    }
    let manifest = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("dir"));
    let dated = std::fs::metadata(manifest.join("build.rs")).and_then(|m| m.modified());
    if let Ok(t) = dated {
        let _ = std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(t));
    }
}

fn main() {
    let feature = |name: &str| std::env::var_os(format!("CARGO_FEATURE_{name}")).is_some();
    let mut builder = CxxQtBuilder::new_qml_module(QmlModule::new("QWorker").qml_files(QML_FILES))
        .qt_module("Gui")
        .qrc(legacy_import_path_qrc())
        // The worker layer (src/qt/), one C++ file per bridge where it needs hand-written C++.
        // cxx-qt wants a QML module's bridge files in one folder: bridges/ links to them.
        .files(["bridges/glue.rs", "bridges/hub.rs", "bridges/qobject.rs"])
        // Supervision (src/qt/workerpool.rs): the WorkerPool singleton and its tasks model.
        .file("bridges/workerpool.rs")
        .cpp_file("cpp/glue.cpp")
        // The async layer (src/qt/executor.rs): the event loop's timer, the executor's quit hook.
        .file("bridges/executor.rs")
        .cpp_file("cpp/executor.cpp")
        // The hint for QML's "module not installed" errors (no bridge of its own).
        .cpp_file("cpp/qml_module.cpp");
    if feature("IMAGE") {
        // Images (src/image/): Frame, and the FrameView Qt Quick item.
        builder = builder
            .qt_module("Quick")
            .files(["bridges/frame.rs", "bridges/frameview.rs"])
            .cpp_file("cpp/frame.cpp")
            .cpp_file("cpp/frameview.cpp");
    }
    if feature("WIDGETS") {
        // The ImageView widget and the QApplication of widget programs.
        builder = builder
            .qt_module("Widgets")
            .file("bridges/widgets.rs")
            .cpp_file("cpp/imageview.cpp");
    }
    if feature("TESTING") {
        // Test helpers and scene scripting (src/testing/).
        builder = builder
            .files(["bridges/testing.rs", "bridges/scene.rs"])
            .cpp_file("cpp/testing.cpp")
            .cpp_file("cpp/scene.cpp");
    }
    builder
        .include_dir("cpp")
        // None: do not export the whole crate as an include root (that makes every build
        // re-run this script). Headers of ours live in cpp/ and are included as <qworker/...>.
        .crate_include_root(None)
        .build()
        // Publishes the headers, Qt modules and initializers to crates that depend on qworker
        // (`links = "qworker"`): their own bridges can include <qworker/qworker.h>.
        .export();
    for header in [
        "glue.h",
        "executor.h",
        "frame.h",
        "frameview.h",
        "imageview.h",
        "scene.h",
        "testing.h",
    ] {
        println!("cargo::rerun-if-changed=cpp/{header}");
    }
    // The public C++ header, exported as <qworker/qworker.h> for C++ hosts (docs/cpp.md).
    println!("cargo::rerun-if-changed=cpp/qworker.h");
    // A CMake host builds with these set (examples/cpp_host/CMakeLists.txt); re-export when
    // they change, e.g. after the export directory moved. Not `CXX_QT_QT_MODULES`, which the
    // host sets too: for qworker it only adds link flags (a static library for CMake links
    // nothing) and checks the list, and following it would rebuild qworker's C++ whenever a
    // cargo command without it runs in between (the test command's steps do).
    for var in ["CXX_QT_EXPORT_DIR", "CXX_QT_EXPORT_CRATE_qworker"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    export_stamp();
}

/// When exporting for a C++ build system, a stamp in the export directory that cargo watches:
/// if that directory is deleted (a clean CMake build directory), the stamp goes with it and
/// this script runs again, instead of cargo calling it fresh while the headers and
/// `initializers.o` a CMake build needs are gone. Dated like `build.rs`, so that writing it
/// does not itself count as a change.
fn export_stamp() {
    let exporting = std::env::var_os("CXX_QT_EXPORT_CRATE_qworker").is_some();
    let Some(dir) = std::env::var_os("CXX_QT_EXPORT_DIR").filter(|_| exporting) else {
        return;
    };
    let crate_dir = std::path::Path::new(&dir).join("crates/qworker");
    std::fs::create_dir_all(&crate_dir).expect("create the export directory");
    let stamp = crate_dir.join("exported-by-build-rs");
    write_generated(
        &stamp,
        "Written by qworker's build.rs; cargo re-runs it when this file is missing.\n",
    );
    println!("cargo::rerun-if-changed={}", stamp.display());
}
