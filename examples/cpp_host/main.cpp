// A plain C++ Qt Widgets application that runs Rust work through qworker: the window starts
// the Rust task "scan" (registered in tasks/src/lib.rs) in a QWorker and shows what it
// yields in a label and its progress in a progress bar, with Pause/Resume and Stop buttons.
//
//   qworker_cpp_host              the window
//   qworker_cpp_host --selftest   headless: drives workers through their lifecycle, checks
//                                 every signal that arrived, prints "N passed, N failed" and
//                                 exits non-zero on a failure (QT_QPA_PLATFORM=offscreen).

#include <qworker/qworker.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QEventLoop>
#include <QtCore/QPointer>
#include <QtCore/QStringList>
#include <QtCore/QTimer>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlEngine>
#include <QtWidgets/QApplication>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>
#include <QtWidgets/QWidget>

#include <cstdio>
#include <functional>
#include <memory>

namespace {

// ---- The application -----------------------------------------------------------------------

// One scan per click of Start. Each run gets a new QWorker (a worker starts once), owned by
// the window and released with deleteLater once it has finished.
class ScanWindow : public QWidget
{
public:
  ScanWindow(int steps, int stepMs)
    : steps(steps)
    , stepMs(stepMs)
  {
    setWindowTitle(QStringLiteral("qworker: C++ host"));
    label->setMinimumWidth(320);
    bar->setRange(0, steps);
    bar->setValue(0);
    pauseButton->setEnabled(false);
    stopButton->setEnabled(false);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(startButton);
    buttons->addWidget(pauseButton);
    buttons->addWidget(stopButton);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(label);
    layout->addWidget(bar);
    layout->addLayout(buttons);

    connect(startButton, &QPushButton::clicked, this, [this] { startScan(); });
    connect(pauseButton, &QPushButton::clicked, this, [this] {
      if (worker)
        worker->togglePause();
    });
    connect(stopButton, &QPushButton::clicked, this, [this] {
      if (worker)
        worker->quit();
    });
  }

  void startScan()
  {
    auto* label = this->label;
    // docs/cpp.md shows these lines as the README snippet.
    auto* worker = new QWorker(this);        // a normal QObject, on the GUI thread
    worker->setTask(QStringLiteral("scan")); // a task registered from Rust
    worker->setArgs({ steps, stepMs });
    QObject::connect(worker, &QWorker::yielded, label, [label](const QVariant& v) { label->setText(v.toString()); });
    QObject::connect(worker, &QWorker::finished, worker, &QObject::deleteLater); // not `delete`
    worker->start();

    // Connections made right after start() still see every event: signals are delivered
    // from the event loop, never from inside start().
    this->worker = worker;
    connect(worker, &QWorker::progressChanged, bar, [this](double done, double total) {
      bar->setMaximum(int(total));
      bar->setValue(int(done));
    });
    connect(worker, &QWorker::returned, label, [label](const QVariant& v) { label->setText(v.toString()); });
    connect(worker, &QWorker::errored, label, [label](const QString& e) { label->setText("error: " + e); });
    connect(worker, &QWorker::aborted, label, [label] { label->setText(QStringLiteral("stopped")); });
    connect(worker, &QWorker::paused, pauseButton, [this] { pauseButton->setText(QStringLiteral("Resume")); });
    connect(worker, &QWorker::resumed, pauseButton, [this] { pauseButton->setText(QStringLiteral("Pause")); });
    connect(worker, &QWorker::finished, this, [this] { setRunning(false); });
    setRunning(true);
  }

  void setRunning(bool running)
  {
    startButton->setEnabled(!running);
    pauseButton->setEnabled(running);
    stopButton->setEnabled(running);
    pauseButton->setText(QStringLiteral("Pause"));
  }

  const int steps;
  const int stepMs;
  QLabel* label = new QLabel(QStringLiteral("Press Start to run the Rust task \"scan\""), this);
  QProgressBar* bar = new QProgressBar(this);
  QPushButton* startButton = new QPushButton(QStringLiteral("Start"), this);
  QPushButton* pauseButton = new QPushButton(QStringLiteral("Pause"), this);
  QPushButton* stopButton = new QPushButton(QStringLiteral("Stop"), this);
  QPointer<QWorker> worker; // the current run; null once it has been deleted
};

// ---- The self-test ---------------------------------------------------------------------------

// Everything a worker emitted, in arrival order ("yielded 3", "returned got 7", ...), except
// progress, which is coalesced and kept apart.
struct Recorder
{
  QStringList events;
  int progressSignals = 0;
  double lastDone = -1;
  double lastTotal = -1;

  explicit Recorder(QWorker* w)
  {
    auto add = [this](const QString& e) { events << e; };
    QObject::connect(w, &QWorker::started, w, [add] { add("started"); });
    QObject::connect(w, &QWorker::yielded, w, [add](const QVariant& v) { add("yielded " + v.toString()); });
    QObject::connect(w, &QWorker::returned, w, [add](const QVariant& v) { add("returned " + v.toString()); });
    QObject::connect(w, &QWorker::errored, w, [add](const QString& m) { add("errored " + m); });
    QObject::connect(w, &QWorker::warned, w, [add](const QString& m) { add("warned " + m); });
    QObject::connect(w, &QWorker::paused, w, [add] { add("paused"); });
    QObject::connect(w, &QWorker::resumed, w, [add] { add("resumed"); });
    QObject::connect(w, &QWorker::aborted, w, [add] { add("aborted"); });
    QObject::connect(w, &QWorker::finished, w, [add] { add("finished"); });
    QObject::connect(w, &QWorker::progressChanged, w, [this](double done, double total) {
      ++progressSignals;
      lastDone = done;
      lastTotal = total;
    });
  }

  int count(const QString& e) const { return int(events.count(e)); }
  bool has(const QString& prefix) const
  {
    for (const auto& e : events)
      if (e.startsWith(prefix))
        return true;
    return false;
  }
  // The events from the first one equal to `from` on.
  QStringList tail(const QString& from) const
  {
    const auto i = events.indexOf(from);
    return i < 0 ? QStringList() : events.mid(i);
  }
};

// Runs the event loop until `done` is emitted by `obj`. The watchdog only turns a hang into
// a failure; no check depends on how long anything takes.
template<typename Sender, typename Signal>
bool
runUntil(const Sender* obj, Signal done, int watchdogMs = 30000)
{
  if (!obj)
    return false;
  QEventLoop loop;
  bool arrived = false;
  const auto c = QObject::connect(obj, done, &loop, [&] {
    arrived = true;
    loop.quit();
  });
  QTimer::singleShot(watchdogMs, &loop, &QEventLoop::quit);
  loop.exec();
  QObject::disconnect(c);
  // Anything still queued (there must be nothing after `finished`) arrives now.
  QCoreApplication::sendPostedEvents();
  QCoreApplication::processEvents();
  return arrived;
}

bool
runUntilFinished(QWorker* w)
{
  return runUntil(w, &QWorker::finished);
}

struct SelfTest
{
  int passed = 0;
  int failed = 0;
  QStringList problems; // of the current case

  void expect(bool ok, const QString& what)
  {
    if (!ok)
      problems << what;
  }
  void expectEq(const QStringList& got, const QStringList& want, const QString& what)
  {
    expect(got == want, what + ": got [" + got.join(", ") + "], want [" + want.join(", ") + "]");
  }
  void expectEq(const QString& got, const QString& want, const QString& what)
  {
    expect(got == want, what + ": got \"" + got + "\", want \"" + want + "\"");
  }

  void run(const char* name, const std::function<void()>& body)
  {
    problems.clear();
    body();
    if (problems.isEmpty()) {
      ++passed;
      std::printf("test %s ... ok\n", name);
    } else {
      ++failed;
      std::printf("test %s ... FAILED\n", name);
      for (const auto& p : problems)
        std::printf("    %s\n", qPrintable(p));
    }
    std::fflush(stdout);
  }
};

QStringList
numbered(const QString& what, int from, int to) // "yielded from" .. "yielded to-1"
{
  QStringList out;
  for (int i = from; i < to; ++i)
    out << what + " " + QString::number(i);
  return out;
}

int
selfTest()
{
  SelfTest t;

  t.run("worker_pool_lists_a_cpp_started_worker_and_quits_it", [&] {
    QObject scope;
    WorkerPool pool; // a view of the application's task list, like QML's singleton
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("scan"));
    w->setArgs({ 1000, 20 }); // long enough to be listed, quit below
    w->setDescription(QStringLiteral("scans from C++"));
    t.expect(w->start(), "start() returns true");
    t.expect(pool.liveCount() == 1, "liveCount() counts it at once");
    const bool listed = runUntil(&pool, &QAbstractItemModel::rowsInserted);
    t.expect(listed && pool.rowCount(QModelIndex()) == 1, "the model lists it (rowsInserted, one row)");
    const auto roles = pool.roleNames();
    const auto value = [&](const char* role) {
      return pool.data(pool.index(0, 0), roles.key(role));
    };
    t.expectEq(value("name").toString(), "scan", "name role");
    t.expectEq(value("kind").toString(), "generator", "kind role");
    t.expectEq(value("description").toString(), "scans from C++", "description role");
    pool.quit(0);
    t.expect(runUntilFinished(w), "quit(0) stopped it");
    t.expect(pool.liveCount() == 0, "no live worker after finished");
  });

  t.run("a_generator_delivers_started_every_value_in_order_returned_finished", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("count"));
    w->setArgs({ 1000 });
    Recorder r(w);
    t.expectEq(w->state(), "pending", "state before start");
    bool runningInStarted = false;
    QString stateInStarted;
    QObject::connect(w, &QWorker::started, w, [&] {
      runningInStarted = w->isRunning();
      stateInStarted = w->state();
    });
    t.expect(w->start(), "start() returns true");
    t.expect(!w->start(), "a second start() is refused");
    t.expect(r.events.isEmpty(), "nothing is delivered before the event loop runs");
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.events, QStringList{ "started" } + numbered("yielded", 0, 1000) + QStringList{ "returned 499500", "finished" },
               "events");
    t.expect(runningInStarted, "isRunning() is true in started");
    t.expectEq(stateInStarted, "running", "state() in started");
    t.expectEq(w->state(), "finished", "state() after finished");
    t.expect(!w->isRunning(), "isRunning() is false after finished");
    t.expectEq(w->name(), "count", "name()");
    t.expectEq(w->kind(), "generator", "kind()");
    t.expect(r.progressSignals >= 1 && r.lastDone == 1000 && r.lastTotal == 1000,
             QString("last progressChanged is (1000, 1000), got (%1, %2)").arg(r.lastDone).arg(r.lastTotal));
    t.expect(w->progress() == 1000 && w->progressTotal() == 1000, "progress()/progressTotal() are 1000/1000");
  });

  t.run("a_function_task_returns_its_value", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("sum"));
    w->setArgs({ 1.5, 2.25 });
    Recorder r(w);
    t.expect(w->start(), "start() returns true");
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.events, { "started", "returned 3.75", "finished" }, "events");
    t.expectEq(w->kind(), "function", "kind()");
  });

  t.run("pause_send_and_resume_from_cpp", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("echo"));
    Recorder r(w);
    bool pauseAsked = false;
    bool pausedInPaused = false, sendAccepted = false, pausedAfterResumed = true;
    QString stateInPaused;
    QObject::connect(w, &QWorker::yielded, w, [&](const QVariant& v) {
      if (v.toInt() >= 2 && !pauseAsked) {
        pauseAsked = true;
        w->pause();
      }
    });
    QObject::connect(w, &QWorker::paused, w, [&] {
      pausedInPaused = w->isPaused();
      stateInPaused = w->state();
      sendAccepted = w->send(7);
      w->resume();
    });
    QObject::connect(w, &QWorker::resumed, w, [&] { pausedAfterResumed = w->isPaused(); });
    t.expect(w->start(), "start() returns true");
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.tail("paused"), { "paused", "resumed", "yielded 700", "returned got 7", "finished" },
               "events from paused on");
    t.expect(r.events.value(0) == "started" && r.events.value(1) == "yielded 0", "started, then yielded 0");
    t.expect(pausedInPaused, "isPaused() is true in paused");
    t.expectEq(stateInPaused, "paused", "state() in paused");
    t.expect(sendAccepted, "send(7) while paused is accepted");
    t.expect(!pausedAfterResumed, "isPaused() is false in resumed");
    t.expect(!w->send(8), "send() after finished is refused");
  });

  t.run("quit_stops_a_running_generator_aborted_then_finished", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("echo"));
    Recorder r(w);
    bool abortRequested = false;
    QObject::connect(w, &QWorker::yielded, w, [&](const QVariant& v) {
      if (v.toInt() == 3) {
        w->quit();
        abortRequested = w->isAbortRequested();
      }
    });
    t.expect(w->start(), "start() returns true");
    t.expect(runUntilFinished(w), "finished arrives");
    t.expect(abortRequested, "isAbortRequested() is true right after quit()");
    t.expectEq(r.events.mid(r.events.size() - 2), { "aborted", "finished" }, "last two events");
    t.expect(!r.has("returned") && !r.has("errored"), "no returned or errored after quit");
    t.expect(r.has("yielded 3"), "values up to the quit arrived");
  });

  t.run("quit_while_paused_gives_aborted_and_no_resumed", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("echo"));
    Recorder r(w);
    bool pauseAsked = false;
    QObject::connect(w, &QWorker::yielded, w, [&] {
      if (!pauseAsked) {
        pauseAsked = true;
        w->pause();
      }
    });
    QObject::connect(w, &QWorker::paused, w, [&] { w->quit(); });
    t.expect(w->start(), "start() returns true");
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.tail("paused"), { "paused", "aborted", "finished" }, "events from paused on");
  });

  t.run("an_unknown_task_reports_errored_naming_the_registered_ones", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("no_such_task"));
    Recorder r(w);
    w->start();
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.events,
               { "started", "errored unknown task 'no_such_task'; registered tasks: count, echo, fail, scan, sum",
                 "finished" },
               "events");
  });

  t.run("bad_arguments_report_errored_saying_what_was_expected", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("count"));
    w->setArgs({ QStringLiteral("many") });
    Recorder r(w);
    w->start();
    t.expect(runUntilFinished(w), "finished arrives");
    t.expect(r.events.size() == 3 && r.events[0] == "started" && r.events[2] == "finished", "started, errored, finished");
    t.expect(r.events.value(1).startsWith("errored task 'count' takes (u32): argument 1:"),
             "the error names the task and its arguments: " + r.events.value(1));
  });

  t.run("an_error_from_the_task_is_errored_never_returned", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("fail"));
    w->setArgs({ QStringLiteral("the disk is full") });
    Recorder r(w);
    w->start();
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.events, { "started", "errored the disk is full", "finished" }, "events");
  });

  t.run("a_bounded_policy_still_delivers_every_value_in_order", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    auto* w = new QWorker(&scope);
    w->setTask(QStringLiteral("count"));
    w->setArgs({ 300 });
    w->setPolicy(QStringLiteral("bounded:4"));
    Recorder r(w);
    w->start();
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.events, QStringList{ "started" } + numbered("yielded", 0, 300) + QStringList{ "returned 44850", "finished" },
               "events");
  });

  t.run("delete_later_on_finished_releases_the_worker", [&] {
    QObject scope; // parent of this case's worker: deleted when the case ends
    QPointer<QWorker> w = new QWorker(&scope);
    w->setTask(QStringLiteral("count"));
    w->setArgs({ 10 });
    QObject::connect(w, &QWorker::finished, w, &QObject::deleteLater);
    bool finished = false;
    QObject::connect(w, &QWorker::finished, &scope, [&] { finished = true; });
    w->start();
    t.expect(runUntil(w.data(), &QObject::destroyed), "the worker is destroyed");
    t.expect(finished, "finished arrived first");
    t.expect(w.isNull(), "QPointer is null");
  });

  t.run("qml_in_the_same_host_declares_a_worker_for_a_registered_task", [&] {
    QQmlEngine engine;
    QQmlComponent component(&engine);
    component.setData("import QtQml\nimport QWorker\nWorker { task: \"sum\"; args: [1, 2] }\n",
                      QUrl(QStringLiteral("qrc:/selftest/worker.qml")));
    std::unique_ptr<QObject> object(component.create());
    auto* w = qobject_cast<QWorker*>(object.get());
    t.expect(w != nullptr, "the QML Worker is a QWorker: " + component.errorString());
    if (!w)
      return;
    Recorder r(w);
    t.expect(w->start(), "start() returns true");
    t.expect(runUntilFinished(w), "finished arrives");
    t.expectEq(r.events, { "started", "returned 3", "finished" }, "events");
  });

  t.run("the_window_runs_scan_to_the_end", [&] {
    ScanWindow window(20, 1);
    window.show();
    window.startButton->click();
    QPointer<QWorker> w = window.worker;
    t.expect(!w.isNull(), "Start created a worker");
    t.expect(!window.startButton->isEnabled() && window.stopButton->isEnabled(), "Start disabled, Stop enabled while running");
    t.expect(runUntil(w.data(), &QObject::destroyed), "the worker finishes and is deleted");
    t.expectEq(window.label->text(), "scanned 20 steps", "label");
    t.expect(window.bar->value() == 20 && window.bar->maximum() == 20,
             QString("progress bar at 20/20, got %1/%2").arg(window.bar->value()).arg(window.bar->maximum()));
    t.expect(window.startButton->isEnabled() && !window.stopButton->isEnabled(), "Start enabled again, Stop disabled");
  });

  t.run("the_window_pauses_resumes_and_stops_a_scan", [&] {
    ScanWindow window(100000, 1);
    window.show();
    window.startButton->click();
    QPointer<QWorker> w = window.worker;
    QStringList seen;
    QObject::connect(w, &QWorker::yielded, &window, [&](const QVariant& v) {
      if (v.toString() == "step 3 of 100000")
        window.pauseButton->click();
    });
    QObject::connect(w, &QWorker::paused, &window, [&] {
      seen << "paused " + window.pauseButton->text();
      window.pauseButton->click();
    });
    QObject::connect(w, &QWorker::resumed, &window, [&] {
      seen << "resumed " + window.pauseButton->text();
      window.stopButton->click();
    });
    t.expect(runUntil(w.data(), &QObject::destroyed), "the worker stops and is deleted");
    t.expectEq(seen, { "paused Resume", "resumed Pause" }, "pause button text");
    t.expectEq(window.label->text(), "stopped", "label");
    t.expect(window.bar->value() < 100000, "the scan did not run to the end");
  });

  std::printf("%d passed, %d failed\n", t.passed, t.failed);
  return t.failed == 0 ? 0 : 1;
}

} // namespace

int
main(int argc, char* argv[])
{
  // The self-test needs no display.
  for (int i = 1; i < argc; ++i)
    if (qstrcmp(argv[i], "--selftest") == 0 && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
      qputenv("QT_QPA_PLATFORM", "offscreen");

  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("qworker C++ host example"));
  parser.addHelpOption();
  const QCommandLineOption selftest(QStringLiteral("selftest"),
                                    QStringLiteral("Run the headless self-test and exit."));
  parser.addOption(selftest);
  parser.process(app);

  qworker_register_tasks(); // the Rust tasks (tasks/src/lib.rs); once, before any start()

  if (parser.isSet(selftest))
    return selfTest();

  ScanWindow window(50, 40);
  window.show();
  return app.exec();
}
