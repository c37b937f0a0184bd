#include "qworker/glue.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaMethod>
#include <QtCore/QPointer>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtQml/QQmlEngine>

namespace qworker::glue {

namespace {

// Reaches QObject's protected isSignalConnected through a member pointer formed in a
// derived class: legal C++, no object of this type is ever created.
struct SignalProbe : QObject
{
  static bool connected(const QObject& obj, const QMetaMethod& method)
  {
    auto probe = &SignalProbe::isSignalConnected;
    return (obj.*probe)(method);
  }
};

// The application's Quit-event filter (install_quit_filter).
class QuitFilter : public QObject
{
public:
  QuitFilter(rust::Fn<bool()> allow, QObject* parent)
    : QObject(parent)
    , m_allow(allow)
  {
  }

protected:
  bool eventFilter(QObject* watched, QEvent* event) override
  {
    if (event->type() == QEvent::Quit && watched == QCoreApplication::instance() && !m_allow()) {
      event->ignore();
      return true;
    }
    return QObject::eventFilter(watched, event);
  }

private:
  rust::Fn<bool()> m_allow;
};

} // namespace

void
log_message(int level, rust::Str message)
{
  const QString text = QString::fromUtf8(message.data(), static_cast<qsizetype>(message.size()));
  QMessageLogger logger(nullptr, 0, nullptr, "qworker");
  switch (level) {
    case 0:
      logger.debug("%s", qUtf8Printable(text));
      break;
    case 1:
      logger.info("%s", qUtf8Printable(text));
      break;
    case 2:
      logger.warning("%s", qUtf8Printable(text));
      break;
    default:
      logger.critical("%s", qUtf8Printable(text));
      break;
  }
}

int
signal_index(const QObject& obj, rust::Str signature)
{
  const QByteArray sig(signature.data(), static_cast<qsizetype>(signature.size()));
  return obj.metaObject()->indexOfSignal(QMetaObject::normalizedSignature(sig.constData()));
}

bool
signal_connected(const QObject& obj, int index)
{
  if (index < 0) {
    return false;
  }
  return SignalProbe::connected(obj, obj.metaObject()->method(index));
}

bool
has_application()
{
  return QCoreApplication::instance() != nullptr;
}

bool
on_gui_thread()
{
  const auto* app = QCoreApplication::instance();
  return app && QThread::currentThread() == app->thread();
}

namespace {
// The application this thread was found to be the GUI thread of, its quit hook connected
// (remember_gui_thread). A QPointer: once that application is destroyed it reads null, so a
// later application at the same address is never taken for it.
thread_local QPointer<QCoreApplication> knownGuiApp;
}

bool
known_gui_thread()
{
  const auto* app = QCoreApplication::instance();
  return app && knownGuiApp.data() == app;
}

void
remember_gui_thread()
{
  knownGuiApp = QCoreApplication::instance();
}

void
move_to_gui_thread(QObject& obj)
{
  if (auto* app = QCoreApplication::instance()) {
    obj.moveToThread(app->thread());
  }
}

void
delete_later(QObject& obj)
{
  obj.deleteLater();
}

void
set_cpp_ownership(QObject& obj)
{
  QQmlEngine::setObjectOwnership(&obj, QQmlEngine::CppOwnership);
}

void
exit_application(int code)
{
  QCoreApplication::exit(code);
}

void
connect_about_to_quit(rust::Fn<void()> callback)
{
  static QPointer<QCoreApplication> connectedTo;
  auto* app = QCoreApplication::instance();
  if (!app || connectedTo == app) {
    return;
  }
  connectedTo = app;
  QObject::connect(app, &QCoreApplication::aboutToQuit, app, [callback]() { callback(); });
}

void
request_quit()
{
  QCoreApplication::quit();
}

void
single_shot(int ms, rust::Fn<void()> callback)
{
  if (auto* app = QCoreApplication::instance()) {
    QTimer::singleShot(ms, app, [callback]() { callback(); });
  }
}

void
install_quit_filter(rust::Fn<bool()> allow)
{
  static QPointer<QCoreApplication> installedOn;
  auto* app = QCoreApplication::instance();
  if (!app || installedOn == app) {
    return;
  }
  installedOn = app;
  app->installEventFilter(new QuitFilter(allow, app));
}

} // namespace qworker::glue
