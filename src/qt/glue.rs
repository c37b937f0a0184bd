//! The worker layer's hand-written C++ (`cpp/glue.h`, one to one): logging through Qt's message
//! handler, the signal-connection probe, GUI-thread checks, ownership helpers and the
//! `aboutToQuit` hook. A leaf: it uses nothing else of this crate.

#[cxx_qt::bridge]
pub(crate) mod ffi {
    unsafe extern "C++" {
        #[namespace = ""]
        type QObject = cxx_qt::QObject;
    }

    #[namespace = "qworker::glue"]
    unsafe extern "C++" {
        include!("qworker/glue.h");
        fn log_message(level: i32, message: &str);
        fn signal_index(obj: &QObject, signature: &str) -> i32;
        fn signal_connected(obj: &QObject, index: i32) -> bool;
        fn has_application() -> bool;
        fn on_gui_thread() -> bool;
        fn known_gui_thread() -> bool;
        fn remember_gui_thread();
        fn move_to_gui_thread(obj: Pin<&mut QObject>);
        fn delete_later(obj: Pin<&mut QObject>);
        fn set_cpp_ownership(obj: Pin<&mut QObject>);
        fn exit_application(code: i32);
        fn connect_about_to_quit(callback: fn());
        fn request_quit();
        fn single_shot(ms: i32, callback: fn());
        fn install_quit_filter(allow: fn() -> bool);
        fn qml_module_anchor();
    }
}

pub(crate) use ffi::{
    connect_about_to_quit, delete_later, exit_application, has_application, install_quit_filter,
    known_gui_thread, move_to_gui_thread, on_gui_thread, qml_module_anchor, remember_gui_thread,
    request_quit, set_cpp_ownership, signal_connected, signal_index, single_shot,
};

/// Log levels of [`log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Warning = 2,
    Critical = 3,
}

/// Writes through Qt's message handler, category `qworker`.
pub(crate) fn log(level: Level, message: &str) {
    ffi::log_message(level as i32, message);
}
