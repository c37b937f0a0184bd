// The C++ Qt baselines for qworker's workloads W1-W8 (see docs/BENCHMARKS.md): the code a Qt
// user writes by hand. A QObject worker moved to a QThread, emitting queued signals to the GUI
// thread ("cpp-qthread"); a QRunnable on QThreadPool::globalInstance() that emits through a
// relay QObject living on the GUI thread ("cpp-pool"); QtConcurrent::run with a QPromise and a
// QFutureWatcher for W1 ("cpp-pool", variant "...concurrent").
//
// Usage: qt_baseline <workload> <variant> <system>     e.g.  qt_baseline W1 200k cpp-qthread
// Prints one JSON line per run (bench::Report). Never asserts on time.

#include <QtConcurrent/QtConcurrent>
#include <QtCore/QCoreApplication>
#include <QtCore/QFutureWatcher>
#include <QtCore/QObject>
#include <QtCore/QPromise>
#include <QtCore/QRunnable>
#include <QtCore/QThread>
#include <QtCore/QThreadPool>
#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtGui/QImage>
#include <QtQml/QQmlApplicationEngine>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "measure.h"

using bench::mono_ns;
using bench::Report;

namespace {

// The GUI load of W2 "loaded-qml": the same inline QML the Rust program loads. A 1 ms Timer
// whose handler busy-works ~5 ms in JavaScript.
const char* const kLoadQml = R"(import QtQml
Timer {
    interval: 1; repeat: true; running: true
    onTriggered: { var t0 = Date.now(); while (Date.now() - t0 < 5) {} }
}
)";

// A frame generator shared with the Rust program (same algorithm, same sizes): xorshift64*
// noise, a running mean kept as u32 sums, an 8-bit mean image out.
constexpr int kSide = 512;
constexpr int kFrames = 500;

struct MeanStack
{
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  std::vector<uint32_t> sum = std::vector<uint32_t>(kSide * kSide, 0);
  int count = 0;

  uint64_t next()
  {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  }

  // Adds one random image and writes the 8-bit mean into out (kSide*kSide bytes).
  void step(uint8_t* out)
  {
    for (int p = 0; p < kSide * kSide; p += 8) {
      uint64_t r = next();
      for (int b = 0; b < 8; ++b) {
        sum[p + b] += static_cast<uint32_t>((r >> (8 * b)) & 0xff);
      }
    }
    ++count;
    const float inv = 1.0f / static_cast<float>(count);
    for (int p = 0; p < kSide * kSide; ++p) {
      out[p] = static_cast<uint8_t>(static_cast<float>(sum[p]) * inv);
    }
  }
};

// "Shows" a frame: renders a half-size 256x256 preview of it on the GUI thread
// (QImage::scaled, nearest neighbour), exactly what the Rust program does. cxx-qt-lib 0.10 has
// no QPainter::begin, so a QPainter::drawImage cannot be written in the Rust program without
// C++ glue; both sides therefore do this same QImage operation (~0.45 ms per frame here).
// Returns a byte so nothing is optimised out.
uint8_t show(const QImage& frame)
{
  const QImage view = frame.scaled(256, 256, Qt::IgnoreAspectRatio, Qt::FastTransformation);
  return view.constBits()[view.sizeInBytes() / 2];
}

// Emits from any thread; lives on the GUI thread, so connections to it are queued.
class Relay : public QObject
{
  Q_OBJECT
signals:
  void returned(int index);
  void aborted();
  void finished();
};

// ---- W1: N small integers ----

class CountProducer : public QObject
{
  Q_OBJECT
public:
  explicit CountProducer(quint64 n) : n_(n) {}
public slots:
  void run()
  {
    for (quint64 i = 0; i < n_; ++i) {
      emit yielded(i);
    }
    emit finished();
  }
signals:
  void yielded(quint64 value);
  void finished();

private:
  quint64 n_;
};

int w1(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  const quint64 n = variant.rfind("1M", 0) == 0 ? 1000000 : 200000;
  quint64 count = 0;
  double wall = 0, cpu = 0;
  bench::Stopwatch sw;
  QThread thread;
  std::unique_ptr<CountProducer> producer;
  QFutureWatcher<quint64> watcher;
  if (system == "cpp-qthread") {
    producer = std::make_unique<CountProducer>(n);
    producer->moveToThread(&thread);
    QObject::connect(&thread, &QThread::started, producer.get(), &CountProducer::run);
    QObject::connect(producer.get(), &CountProducer::yielded, &app, [&](quint64) { ++count; });
    QObject::connect(producer.get(), &CountProducer::finished, &app, [&] {
      wall = sw.wall_s();
      cpu = sw.cpu_s();
      app.quit();
    });
    sw = bench::Stopwatch();
    thread.start();
  } else {
    QObject::connect(&watcher, &QFutureWatcher<quint64>::resultsReadyAt, &app,
                     [&](int begin, int end) { count += static_cast<quint64>(end - begin); });
    QObject::connect(&watcher, &QFutureWatcher<quint64>::finished, &app, [&] {
      wall = sw.wall_s();
      cpu = sw.cpu_s();
      app.quit();
    });
    sw = bench::Stopwatch();
    watcher.setFuture(QtConcurrent::run([n](QPromise<quint64>& promise) {
      for (quint64 i = 0; i < n; ++i) {
        promise.addResult(i);
      }
    }));
  }
  app.exec();
  thread.quit();
  thread.wait();
  Report(std::string("W1"), variant, system)
    .metric("items_per_s", n / wall)
    .metric("cpu_us_per_item", cpu * 1e6 / n)
    .metric("peak_rss_mb", bench::peak_rss_mb())
    .metric("handled", static_cast<double>(count))
    .print();
  return 0;
}

// ---- W2: latency of a 1 ms stamp ----

class StampProducer : public QObject
{
  Q_OBJECT
public:
  explicit StampProducer(long long epoch) : epoch_(epoch) {}
public slots:
  void run()
  {
    const auto base = std::chrono::steady_clock::now();
    const long long base_ns = mono_ns() - epoch_;
    for (int i = 0; i < 3000; ++i) {
      std::this_thread::sleep_until(base + std::chrono::milliseconds(i + 1));
      emit stamp(base_ns + (i + 1) * 1000000LL, mono_ns() - epoch_);
    }
    emit finished();
  }
signals:
  void stamp(qint64 scheduled, qint64 stamped);
  void finished();

private:
  long long epoch_;
};

int w2(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  const long long epoch = mono_ns();
  std::vector<double> lat, sched;
  lat.reserve(3000);
  sched.reserve(3000);
  std::unique_ptr<QQmlApplicationEngine> engine;
  QTimer load;
  if (variant == "loaded-qml") {
    engine = std::make_unique<QQmlApplicationEngine>();
    engine->loadData(kLoadQml);
  } else if (variant == "loaded-qtimer") {
    load.setTimerType(Qt::PreciseTimer);
    load.setInterval(1);
    QObject::connect(&load, &QTimer::timeout, [] { bench::spin_us(5000); });
    load.start();
  }
  const int gui = bench::tid();
  const unsigned long long gui_cpu0 = bench::thread_cpu_ns(gui);
  const long long t0 = mono_ns();
  QThread thread;
  StampProducer producer(epoch);
  producer.moveToThread(&thread);
  QObject::connect(&thread, &QThread::started, &producer, &StampProducer::run);
  QObject::connect(&producer, &StampProducer::stamp, &app, [&](qint64 s, qint64 st) {
    const long long now = mono_ns() - epoch;
    lat.push_back((now - st) / 1000.0);
    sched.push_back((now - s) / 1000.0);
  });
  QObject::connect(&producer, &StampProducer::finished, &app, [&] { app.quit(); });
  thread.start();
  app.exec();
  const double busy = (bench::thread_cpu_ns(gui) - gui_cpu0) / double(mono_ns() - t0);
  thread.quit();
  thread.wait();
  Report r("W2", variant, system);
  const double n = static_cast<double>(lat.size());
  std::vector<double> l2 = lat, s2 = sched;
  r.metric("lat_p50_us", bench::quantile(l2, 0.5))
    .metric("lat_p99_us", bench::quantile(l2, 0.99))
    .metric("lat_max_us", bench::quantile(l2, 1.0))
    .metric("sched_p50_us", bench::quantile(s2, 0.5))
    .metric("sched_p99_us", bench::quantile(s2, 0.99))
    .metric("sched_max_us", bench::quantile(s2, 1.0))
    .metric("gui_busy_pct", busy * 100)
    .metric("handled", n)
    .print();
  return 0;
}

// ---- W3: 10,000 short function workers ----

class IndexTask : public QRunnable
{
public:
  IndexTask(int i, Relay* relay) : i_(i), relay_(relay) {}
  void run() override { emit relay_->returned(i_); }

private:
  int i_;
  Relay* relay_;
};

int w3(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  constexpr int n = 10000;
  bench::ThreadSampler sampler;
  Relay relay;
  int count = 0;
  long long sum = 0;
  double wall = 0, cpu = 0;
  // The GUI thread's CPU alone (the rest of the process's is the pool's or the threads').
  const int gui = bench::tid();
  unsigned long long gui_cpu = 0, gui_end = 0;
  bench::Stopwatch sw;
  QObject::connect(&relay, &Relay::returned, &app, [&](int i) {
    sum += i;
    if (++count == n) {
      wall = sw.wall_s();
      cpu = sw.cpu_s();
      gui_end = bench::thread_cpu_ns(gui);
      app.quit();
    }
  });
  gui_cpu = bench::thread_cpu_ns(gui);
  sw = bench::Stopwatch();
  if (system == "cpp-pool") {
    for (int i = 0; i < n; ++i) {
      QThreadPool::globalInstance()->start(new IndexTask(i, &relay));
    }
  } else {
    for (int i = 0; i < n; ++i) {
      QThread* t = QThread::create([i, &relay] { emit relay.returned(i); });
      QObject::connect(t, &QThread::finished, t, &QObject::deleteLater);
      t->start();
    }
  }
  app.exec();
  QThreadPool::globalInstance()->waitForDone();
  Report(std::string("W3"), variant, system)
    .metric("workers_per_s", n / wall)
    .metric("cpu_us_per_worker", cpu * 1e6 / n)
    .metric("gui_cpu_us_per_worker", (gui_end - gui_cpu) / 1e3 / n)
    .metric("peak_rss_mb", bench::peak_rss_mb())
    .metric("max_os_threads", static_cast<double>(sampler.max()))
    .metric("handled", count)
    .print();
  return 0;
}

// ---- W4: 500 frames of 512x512 ----

std::atomic<long long> g_pending{ 0 };
std::atomic<long long> g_max_backlog{ 0 };

void note_backlog(long long b)
{
  long long m = g_max_backlog.load();
  while (b > m && !g_max_backlog.compare_exchange_weak(m, b)) {
  }
}

class FrameProducer : public QObject
{
  Q_OBJECT
public:
  long long produce_ns = 0;
public slots:
  void run()
  {
    MeanStack stack;
    for (int f = 0; f < kFrames; ++f) {
      const long long t = mono_ns();
      QImage img(kSide, kSide, QImage::Format_Grayscale8);
      stack.step(img.bits());
      produce_ns += mono_ns() - t;
      note_backlog(++g_pending);
      emit frame(img, f);
    }
    emit finished();
  }
signals:
  void frame(QImage image, int index);
  void finished();
};

int w4(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  const bool slow = variant.rfind("10ms", 0) == 0;
  int handled = 0, last = -1;
  bool in_order = true;
  unsigned sink = 0;
  double wall = 0;
  long long show_ns = 0;
  bench::Stopwatch sw;
  QThread thread;
  FrameProducer producer;
  producer.moveToThread(&thread);
  QObject::connect(&thread, &QThread::started, &producer, &FrameProducer::run);
  QObject::connect(&producer, &FrameProducer::frame, &app, [&](const QImage& img, int index) {
    note_backlog(--g_pending);
    in_order = in_order && index > last;
    last = index;
    ++handled;
    const long long t = mono_ns();
    sink += show(img);
    show_ns += mono_ns() - t;
    if (slow) {
      bench::spin_us(10000);
    }
  });
  QObject::connect(&producer, &FrameProducer::finished, &app, [&] {
    wall = sw.wall_s();
    app.quit();
  });
  sw = bench::Stopwatch();
  thread.start();
  app.exec();
  thread.quit();
  thread.wait();
  Report(std::string("W4"), variant, system)
    .metric("fps", handled / wall)
    .metric("handled", handled)
    .metric("max_backlog", static_cast<double>(g_max_backlog.load()))
    .metric("peak_rss_mb", bench::peak_rss_mb())
    .metric("last_shown", last)
    .metric("in_order", in_order ? 1 : 0)
    .metric("produce_ms_per_frame", producer.produce_ns / 1e6 / kFrames)
    .metric("show_ms_per_frame", show_ns / 1e6 / std::max(handled, 1))
    .note("sink", std::to_string(sink & 1))
    .print();
  return 0;
}

// ---- W5: quit at 0.5 s ----

class FloodProducer : public QObject
{
  Q_OBJECT
public:
  std::atomic<quint64> produced{ 0 };
public slots:
  void run()
  {
    quint64 i = 0;
    while (!QThread::currentThread()->isInterruptionRequested()) {
      emit yielded(i++);
      produced.store(i, std::memory_order_relaxed);
    }
    emit aborted();
    emit finished();
  }
signals:
  void yielded(quint64 v);
  void aborted();
  void finished();
};

// A 2 s loop of 1 ms steps that checks QThread::isInterruptionRequested() every step.
class CheckingLoop : public QObject
{
  Q_OBJECT
public slots:
  void run()
  {
    for (int step = 0; step < 2000; ++step) {
      if (QThread::currentThread()->isInterruptionRequested()) {
        emit aborted();
        emit finished();
        return;
      }
      bench::spin_us(1000);
    }
    emit finished();
  }
signals:
  void aborted();
  void finished();
};

// The same loop as a QRunnable: the global pool offers no way to ask it to stop.
class UncheckedLoop : public QRunnable
{
public:
  explicit UncheckedLoop(Relay* relay) : relay_(relay) {}
  void run() override
  {
    for (int step = 0; step < 2000; ++step) {
      bench::spin_us(1000);
    }
    emit relay_->finished();
  }

private:
  Relay* relay_;
};

int w5(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  long long t_quit = 0, t_aborted = 0, t_finished = 0;
  quint64 handled = 0, produced_at_quit = 0;
  QThread thread;
  Relay relay;
  std::unique_ptr<FloodProducer> flood;
  std::unique_ptr<CheckingLoop> checking;
  auto on_aborted = [&] { t_aborted = mono_ns(); };
  auto on_finished = [&] {
    t_finished = mono_ns();
    app.quit();
  };
  if (variant == "a-yield") {
    flood = std::make_unique<FloodProducer>();
    flood->moveToThread(&thread);
    QObject::connect(&thread, &QThread::started, flood.get(), &FloodProducer::run);
    QObject::connect(flood.get(), &FloodProducer::yielded, &app, [&](quint64) { ++handled; });
    QObject::connect(flood.get(), &FloodProducer::aborted, &app, on_aborted);
    QObject::connect(flood.get(), &FloodProducer::finished, &app, on_finished);
    thread.start();
  } else if (system == "cpp-qthread") {
    checking = std::make_unique<CheckingLoop>();
    checking->moveToThread(&thread);
    QObject::connect(&thread, &QThread::started, checking.get(), &CheckingLoop::run);
    QObject::connect(checking.get(), &CheckingLoop::aborted, &app, on_aborted);
    QObject::connect(checking.get(), &CheckingLoop::finished, &app, on_finished);
    thread.start();
  } else {
    QObject::connect(&relay, &Relay::finished, &app, on_finished);
    QThreadPool::globalInstance()->start(new UncheckedLoop(&relay));
  }
  QTimer::singleShot(500, Qt::PreciseTimer, &app, [&] {
    t_quit = mono_ns();
    if (flood) {
      produced_at_quit = flood->produced.load();
    }
    thread.requestInterruption(); // the QRunnable has no such request
  });
  app.exec();
  thread.quit();
  thread.wait();
  Report r("W5", variant, system);
  r.metric("quit_to_aborted_ms", t_aborted ? (t_aborted - t_quit) / 1e6 : NAN)
    .metric("quit_to_finished_ms", (t_finished - t_quit) / 1e6);
  if (flood) {
    r.metric("backlog_at_quit", static_cast<double>(produced_at_quit) - static_cast<double>(handled));
  }
  r.metric("peak_rss_mb", bench::peak_rss_mb()).print();
  return 0;
}

// ---- W6: 100 workers, application quit at 0.5 s ----

class SleepyProducer : public QObject
{
  Q_OBJECT
public:
  explicit SleepyProducer(std::atomic<int>* ran) : ran_(ran) {}
public slots:
  void run()
  {
    ran_->fetch_add(1);
    quint64 i = 0;
    while (!QThread::currentThread()->isInterruptionRequested()) {
      emit yielded(i++);
      QThread::msleep(1);
    }
    emit finished();
  }
signals:
  void yielded(quint64 v);
  void finished();

private:
  std::atomic<int>* ran_;
};

int w6(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  std::atomic<int> ran{ 0 };
  int ran_at_quit = 0;
  long long t_quit = 0;
  std::vector<std::unique_ptr<QThread>> threads;
  std::vector<std::unique_ptr<SleepyProducer>> producers;
  const int n = variant == "quit-at-0.5s" ? 100 : 1;
  for (int k = 0; k < n; ++k) {
    auto t = std::make_unique<QThread>();
    auto p = std::make_unique<SleepyProducer>(&ran);
    p->moveToThread(t.get());
    QObject::connect(t.get(), &QThread::started, p.get(), &SleepyProducer::run);
    QObject::connect(p.get(), &SleepyProducer::yielded, &app, [](quint64) {});
    threads.push_back(std::move(t));
    producers.push_back(std::move(p));
  }
  // The clean shutdown a careful Qt user writes: ask every thread to stop, then wait.
  QObject::connect(&app, &QCoreApplication::aboutToQuit, [&] {
    for (auto& t : threads) {
      t->requestInterruption();
      t->quit();
    }
    for (auto& t : threads) {
      t->wait();
    }
  });
  if (n == 100) {
    QTimer::singleShot(500, Qt::PreciseTimer, &app, [&] {
      t_quit = mono_ns();
      ran_at_quit = ran.load();
      app.quit();
    });
  } else {
    // Exit right after a worker's finished signal: the worker stops after 20 values.
    int seen = 0;
    QObject::connect(producers[0].get(), &SleepyProducer::yielded, &app, [&](quint64) {
      if (++seen == 20) {
        threads[0]->requestInterruption();
      }
    });
    QObject::connect(producers[0].get(), &SleepyProducer::finished, &app, [&] {
      t_quit = mono_ns();
      ran_at_quit = ran.load();
      app.quit();
    });
  }
  for (auto& t : threads) {
    t->start();
  }
  app.exec();
  Report(std::string("W6"), variant, system)
    .metric("ran", ran_at_quit)
    .metric("of", n)
    .note("quit_mono_ns", std::to_string(t_quit))
    .print();
  producers.clear();
  threads.clear();
  return 0;
}

// ---- W7: paused for 1 s ----

class PausableProducer : public QObject
{
  Q_OBJECT
public:
  std::mutex m;
  std::condition_variable cv;
  bool pause = false;
  std::atomic<int> worker_tid{ 0 };
  void set_paused(bool p)
  {
    {
      std::lock_guard<std::mutex> g(m);
      pause = p;
    }
    cv.notify_all();
  }
public slots:
  void run()
  {
    worker_tid = bench::tid();
    quint64 i = 0;
    QThread* self = QThread::currentThread();
    while (!self->isInterruptionRequested()) {
      {
        std::unique_lock<std::mutex> l(m);
        if (pause) {
          emit paused();
          cv.wait(l, [&] { return !pause || self->isInterruptionRequested(); });
          emit resumed();
        }
      }
      emit yielded(i++);
      bench::spin_us(100);
    }
    emit finished();
  }
signals:
  void yielded(quint64 v);
  void paused();
  void resumed();
  void finished();
};

int w7(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  // 21 resumes: the first after the 1 s pause, 20 more after 20 ms pauses (median reported).
  constexpr size_t kResumes = 21;
  QThread thread;
  PausableProducer producer;
  producer.moveToThread(&thread);
  unsigned long long cpu0 = 0, cpu1 = 0, sw0 = 0, sw1 = 0;
  long long t_resume = 0;
  std::vector<double> samples;
  auto resume = [&] {
    t_resume = mono_ns();
    producer.set_paused(false);
  };
  QObject::connect(&thread, &QThread::started, &producer, &PausableProducer::run);
  QObject::connect(&producer, &PausableProducer::yielded, &app, [](quint64) {});
  QObject::connect(&producer, &PausableProducer::paused, &app, [&] {
    if (!samples.empty()) {
      QTimer::singleShot(20, Qt::PreciseTimer, &app, resume);
      return;
    }
    const int t = producer.worker_tid.load();
    cpu0 = bench::thread_cpu_ns(t);
    sw0 = bench::thread_switches(t);
    QTimer::singleShot(1000, Qt::PreciseTimer, &app, [&] {
      const int t2 = producer.worker_tid.load();
      cpu1 = bench::thread_cpu_ns(t2);
      sw1 = bench::thread_switches(t2);
      resume();
    });
  });
  QObject::connect(&producer, &PausableProducer::resumed, &app, [&] {
    samples.push_back((mono_ns() - t_resume) / 1e3);
    if (samples.size() < kResumes) {
      QTimer::singleShot(20, Qt::PreciseTimer, &app, [&] { producer.set_paused(true); });
      return;
    }
    thread.requestInterruption();
    producer.cv.notify_all();
  });
  QObject::connect(&producer, &PausableProducer::finished, &app, [&] { app.quit(); });
  QTimer::singleShot(200, Qt::PreciseTimer, &app, [&] { producer.set_paused(true); });
  thread.start();
  app.exec();
  thread.quit();
  thread.wait();
  const double first = samples.empty() ? NAN : samples.front();
  std::vector<double> s2 = samples;
  Report(std::string("W7"), variant, system)
    .metric("paused_cpu_us", (cpu1 - cpu0) / 1e3)
    .metric("paused_wakeups", static_cast<double>(sw1 - sw0))
    .metric("resume_to_resumed_us", bench::quantile(s2, 0.5))
    .metric("resume_to_resumed_max_us", bench::quantile(s2, 1.0))
    .metric("first_resume_us", first)
    .print();
  return 0;
}

// ---- W8: 100,000 short workers in sequence ----

int w8(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  constexpr int n = 100000;
  Relay relay;
  double rss10k = 0, rss100k = 0, wall = 0;
  int done = 0;
  bench::Stopwatch sw;
  QObject::connect(&relay, &Relay::returned, &app, [&](int i) {
    ++done;
    if (done == 10000) {
      rss10k = bench::rss_mb();
    }
    if (done == n) {
      wall = sw.wall_s();
      rss100k = bench::rss_mb();
      app.quit();
      return;
    }
    QThreadPool::globalInstance()->start(new IndexTask(i + 1, &relay));
  });
  sw = bench::Stopwatch();
  QThreadPool::globalInstance()->start(new IndexTask(0, &relay));
  app.exec();
  QThreadPool::globalInstance()->waitForDone();
  Report(std::string("W8"), variant, system)
    .metric("workers_per_s", n / wall)
    .metric("rss_10k_mb", rss10k)
    .metric("rss_100k_mb", rss100k)
    .metric("rss_growth_mb", rss100k - rss10k)
    .print();
  return 0;
}

// ---- W9: 10,000 round trips in sequence (a QRunnable chain) ----

int w9(QGuiApplication& app, const std::string& variant, const std::string& system)
{
  constexpr int n = 10000;
  Relay relay;
  long long sum = 0;
  int done = 0;
  double wall = 0, cpu = 0;
  bench::Stopwatch sw;
  // Each result, handled on the GUI thread, starts the next QRunnable.
  QObject::connect(&relay, &Relay::returned, &app, [&](int i) {
    sum += i;
    if (++done == n) {
      wall = sw.wall_s();
      cpu = sw.cpu_s();
      app.quit();
      return;
    }
    QThreadPool::globalInstance()->start(new IndexTask(i + 1, &relay));
  });
  sw = bench::Stopwatch();
  QThreadPool::globalInstance()->start(new IndexTask(0, &relay));
  app.exec();
  QThreadPool::globalInstance()->waitForDone();
  Report(std::string("W9"), variant, system)
    .metric("round_trips_per_s", n / wall)
    .metric("cpu_us_per_round_trip", cpu * 1e6 / n)
    .metric("peak_rss_mb", bench::peak_rss_mb())
    .metric("checksum_ok", sum == static_cast<long long>(n) * (n - 1) / 2 ? 1.0 : 0.0)
    .print();
  return 0;
}

} // namespace

int main(int argc, char** argv)
{
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s <W1..W9> <variant> <cpp-qthread|cpp-pool>\n", argv[0]);
    return 2;
  }
  const std::string workload = argv[1], variant = argv[2], system = argv[3];
  QGuiApplication app(argc, argv);
  bench::mark_rss_start();
  const std::map<std::string, std::function<int(QGuiApplication&, const std::string&, const std::string&)>> table{
    { "W1", w1 }, { "W2", w2 }, { "W3", w3 }, { "W4", w4 },
    { "W5", w5 }, { "W6", w6 }, { "W7", w7 }, { "W8", w8 }, { "W9", w9 },
  };
  const auto it = table.find(workload);
  if (it == table.end()) {
    std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
    return 2;
  }
  return it->second(app, variant, system);
}

#include "baseline.moc"
