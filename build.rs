use cxx_qt_build::{CxxQtBuilder, QmlModule};

fn main() {
    CxxQtBuilder::new_qml_module(QmlModule::new("QWorker"))
        .qt_module("Gui")
        .qt_module("Quick")
        .qt_module("Widgets")
        .files(["src/qt/probe.rs"])
        .crate_include_root(None)
        .build();
}
