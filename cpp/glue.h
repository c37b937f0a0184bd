// qworker's hand-written C++ for the worker layer (serves src/qt/glue.rs): what cxx-qt cannot
// generate. Logging through Qt's message handler, the signal-connection probe, thread and
// ownership helpers, the aboutToQuit hook.
#pragma once

#include <QtCore/QObject>

#include "rust/cxx.h"

namespace qworker::glue {

// level: 0 debug, 1 info, 2 warning, 3 critical. Category "qworker".
void log_message(int level, rust::Str message);

// Index of a signal ("yielded(QVariant)") in obj's meta-object, -1 if none.
int signal_index(const QObject& obj, rust::Str signature);
// Whether the signal at `index` has any receiver (QObject::isSignalConnected).
bool signal_connected(const QObject& obj, int index);

bool has_application();
bool on_gui_thread();
// Whether remember_gui_thread() was called on this thread for the current application object
// (one thread-local read; false once that application is destroyed).
bool known_gui_thread();
// Remembers that this thread is the current application's GUI thread, its quit hook connected.
void remember_gui_thread();
void move_to_gui_thread(QObject& obj);
void delete_later(QObject& obj);
// Keeps QML's garbage collector away from an object Rust owns.
void set_cpp_ownership(QObject& obj);
// QCoreApplication::exit(code): ends the running event loop.
void exit_application(int code);
// Connects QCoreApplication::aboutToQuit to `callback`, once per application object.
void connect_about_to_quit(rust::Fn<void()> callback);
// QCoreApplication::quit(): asks the application to quit (a Quit event that the quit filter
// below, or a window that refuses to close, can turn down).
void request_quit();
// Calls `callback` once in `ms` milliseconds on the GUI thread (QTimer::singleShot with the
// application as context; nothing when there is no application).
void single_shot(int ms, rust::Fn<void()> callback);
// Filters the application's Quit event (QCoreApplication::quit(), Qt.quit() of a
// QQmlApplicationEngine, the platform's quit) through `allow`: when it returns false the
// event is swallowed and the application keeps running. Once per application object.
void install_quit_filter(rust::Fn<bool()> allow);

// Defined in qml_module.cpp, does nothing. Every QWorker's Rust side calls it, so the linker
// keeps qml_module.cpp (and its startup function) wherever the QWorker QML type is linked.
void qml_module_anchor();

} // namespace qworker::glue
