use cxx_qt_build::{CxxQtBuilder, QmlModule};

fn main() {
    // The app's own QML module. Its bridge includes <qworker/qworker.h>, which qworker
    // exports to the crates that depend on it (qworker's build.rs ends with `.export()`).
    CxxQtBuilder::new_qml_module(QmlModule::new("Downstream").qml_files(["qml/Main.qml"]))
        .files(["src/tracker.rs"])
        .build();
}
