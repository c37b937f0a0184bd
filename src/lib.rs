//! qworker: run long work off the Qt GUI thread; get everything it reports as Qt signals.
extern crate cxx_qt_lib;

pub mod core;
pub mod qt {
    pub mod probe;
}
