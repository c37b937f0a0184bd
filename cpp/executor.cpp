#include "qworker/executor.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

namespace qworker::executor {

namespace {

// The timer of the current application (a child of it, so it goes with it).
QPointer<QTimer> theTimer;

} // namespace

void
arm_timer(std::int32_t ms, rust::Fn<void()> fire)
{
  if (!theTimer) {
    auto* app = QCoreApplication::instance();
    if (!app) {
      return;
    }
    theTimer = new QTimer(app);
    theTimer->setSingleShot(true);
    theTimer->setTimerType(Qt::PreciseTimer);
    QObject::connect(theTimer, &QTimer::timeout, theTimer, [fire]() { fire(); });
  }
  theTimer->start(ms < 0 ? 0 : ms);
}

void
disarm_timer()
{
  if (theTimer) {
    theTimer->stop();
  }
}

} // namespace qworker::executor
