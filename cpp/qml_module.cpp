// qworker's QML module at application start (Q_COREAPP_STARTUP_FUNCTION; serves no Rust
// bridge): a hint added to QML's "module ... is not installed" and "... is not a type" errors
// that says what a cxx-qt application must add. Nothing is registered here: on Qt 6.4, whose
// engine does not search ":/qt/qml" for modules, build.rs puts a qmldir of the module under
// ":/qt-project.org/imports" (searched there by default) that points to it, so the module's
// types are registered when a QML file first imports it, as on Qt 6.5.
#include "qworker/glue.h"

#include <cstdio>

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaObject>
#include <QtCore/QString>

namespace qworker::qml_module {
namespace {

QtMessageHandler previousHandler = nullptr;

// Forwards every message; after a QML "not installed" / "not a type" error, adds a line saying
// what a cxx-qt application usually forgot.
void
hintingHandler(QtMsgType type, const QMessageLogContext& context, const QString& msg)
{
  const auto forward = [&](const QString& text) {
    if (previousHandler) {
      previousHandler(type, context, text);
    } else {
      fprintf(stderr, "%s\n", qUtf8Printable(text));
    }
  };
  forward(msg);
  if (type == QtWarningMsg || type == QtCriticalMsg) {
    if (msg.contains(QStringLiteral("is not installed")) ||
        msg.contains(QStringLiteral("is not a type"))) {
      // Posted, so it goes through the whole handler chain (a test's capture included)
      // instead of re-entering it from inside a handler.
      if (QCoreApplication* app = QCoreApplication::instance()) {
        QMetaObject::invokeMethod(
          app,
          [] {
            QMessageLogger(nullptr, 0, nullptr, "qworker")
              .warning("qworker: hint: a QML module was not found. For a module built by "
                       "cxx-qt (yours or QWorker): call cxx_qt::init_crate!(your_crate) and "
                       "cxx_qt::init_crate!(qworker) in main, and on Qt 6.4 add the import path "
                       "of cxx-qt's modules to the engine: "
                       "engine.add_import_path(&QString::from(\"qrc:/qt/qml\")).");
          },
          Qt::QueuedConnection);
      }
    }
  }
}

void
installHint()
{
  previousHandler = qInstallMessageHandler(hintingHandler);
}

} // namespace

Q_COREAPP_STARTUP_FUNCTION(installHint)

} // namespace qworker::qml_module


void
qworker::glue::qml_module_anchor()
{
}
