#include "qworker/testing.h"

#include <mutex>
#include <vector>

#include <QtCore/QByteArray>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

namespace qworker::testing {

namespace {

std::mutex captureMutex;
std::vector<rust::String> captured;
bool capturing = false;
QtMessageHandler previousHandler = nullptr;

void
captureHandler(QtMsgType type, const QMessageLogContext& context, const QString& msg)
{
  {
    const std::lock_guard<std::mutex> guard(captureMutex);
    if (capturing) {
      const char* kind = "debug";
      switch (type) {
        case QtInfoMsg:
          kind = "info";
          break;
        case QtWarningMsg:
          kind = "warning";
          break;
        case QtCriticalMsg:
          kind = "critical";
          break;
        case QtFatalMsg:
          kind = "fatal";
          break;
        default:
          break;
      }
      const QByteArray line = QByteArray(kind) + ": " + msg.toUtf8();
      captured.emplace_back(line.constData(), static_cast<size_t>(line.size()));
    }
  }
  if (previousHandler) {
    previousHandler(type, context, msg);
  }
}

} // namespace

void
process_events_for(int max_ms)
{
  QEventLoop loop;
  QTimer::singleShot(max_ms, &loop, &QEventLoop::quit);
  // Returns after the timer at the latest; processes whatever arrives before.
  loop.exec();
}

void
capture_begin()
{
  const std::lock_guard<std::mutex> guard(captureMutex);
  if (!capturing) {
    capturing = true;
    previousHandler = qInstallMessageHandler(captureHandler);
  }
}

void
capture_end()
{
  const std::lock_guard<std::mutex> guard(captureMutex);
  if (capturing) {
    capturing = false;
    qInstallMessageHandler(previousHandler);
    previousHandler = nullptr;
  }
}

rust::Vec<rust::String>
capture_take()
{
  const std::lock_guard<std::mutex> guard(captureMutex);
  rust::Vec<rust::String> out;
  for (auto& s : captured) {
    out.push_back(std::move(s));
  }
  captured.clear();
  return out;
}

} // namespace qworker::testing
