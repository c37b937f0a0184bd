// Measurement helpers for the C++ Qt baselines. They read the same kernel sources the same way
// as the Rust programs (benches/qworker/measure.rs), so both systems are measured alike.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <time.h>
#include <unistd.h>

namespace bench {

inline long long clock_ns(clockid_t c)
{
  timespec ts{};
  clock_gettime(c, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// CLOCK_MONOTONIC: what steady_clock, Rust's Instant and Python's time.monotonic_ns() read.
inline long long mono_ns() { return clock_ns(CLOCK_MONOTONIC); }
// CPU time of the whole process, all threads (also those that exited).
inline long long process_cpu_ns() { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }
inline int tid() { return static_cast<int>(gettid()); }

inline unsigned long long thread_cpu_ns(int t)
{
  std::ifstream f("/proc/self/task/" + std::to_string(t) + "/schedstat");
  unsigned long long v = 0;
  f >> v;
  return v;
}

inline unsigned long long thread_switches(int t)
{
  std::ifstream f("/proc/self/task/" + std::to_string(t) + "/status");
  std::string line;
  unsigned long long sum = 0;
  while (std::getline(f, line)) {
    if (line.rfind("voluntary_ctxt_switches", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches", 0) == 0) {
      sum += std::stoull(line.substr(line.find(':') + 1));
    }
  }
  return sum;
}

inline unsigned long long status_field(const char* name)
{
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t n = std::char_traits<char>::length(name);
  while (std::getline(f, line)) {
    if (line.compare(0, n, name) == 0) {
      return std::stoull(line.substr(n));
    }
  }
  return 0;
}

inline double peak_rss_mb() { return status_field("VmHWM:") / 1024.0; }
inline double rss_mb() { return status_field("VmRSS:") / 1024.0; }
inline unsigned long long os_threads() { return status_field("Threads:"); }

// RSS once the application object exists; every report carries it as rss_start_mb.
inline double& rss_start()
{
  static double v = NAN;
  return v;
}
inline void mark_rss_start() { rss_start() = rss_mb(); }

// Samples the OS thread count every millisecond; max() excludes the sampler itself.
// With BENCH_NO_SAMPLER set (profiling runs) it samples once and never again.
class ThreadSampler
{
public:
  ThreadSampler()
    : off_(std::getenv("BENCH_NO_SAMPLER") != nullptr), worker_([this] {
        if (off_) {
          max_ = os_threads();
          return;
        }
        while (!stop_.load(std::memory_order_relaxed)) {
          const unsigned long long n = os_threads() - 1;
          unsigned long long m = max_.load(std::memory_order_relaxed);
          while (n > m && !max_.compare_exchange_weak(m, n)) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      })
  {
    while (max_.load() == 0) {
      std::this_thread::yield();
    }
  }
  ~ThreadSampler()
  {
    stop_ = true;
    worker_.join();
  }
  unsigned long long max() const { return max_.load(); }

private:
  std::atomic<bool> stop_{ false };
  std::atomic<unsigned long long> max_{ 0 };
  bool off_;
  std::thread worker_;
};

struct Stopwatch
{
  long long wall = mono_ns();
  long long cpu = process_cpu_ns();
  double wall_s() const { return (mono_ns() - wall) / 1e9; }
  double cpu_s() const { return (process_cpu_ns() - cpu) / 1e9; }
};

inline void spin_us(long long us)
{
  const long long end = mono_ns() + us * 1000;
  while (mono_ns() < end) {
  }
}

// Nearest-rank quantile (sorts v).
inline double quantile(std::vector<double>& v, double q)
{
  if (v.empty()) {
    return NAN;
  }
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * v.size()));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// One result line: {"workload":..,"variant":..,"system":..,"metrics":{..},"notes":{..}}.
class Report
{
public:
  Report(std::string workload, std::string variant, std::string system)
    : workload_(std::move(workload)), variant_(std::move(variant)), system_(std::move(system))
  {
  }
  Report& metric(const std::string& k, double v)
  {
    metrics_.emplace_back(k, v);
    return *this;
  }
  Report& note(const std::string& k, const std::string& v)
  {
    notes_.emplace_back(k, v);
    return *this;
  }
  void print() const
  {
    std::ostringstream s;
    s << "{\"workload\":\"" << workload_ << "\",\"variant\":\"" << variant_ << "\",\"system\":\"" << system_
      << "\",\"metrics\":{";
    for (size_t i = 0; i < metrics_.size(); ++i) {
      s << (i ? "," : "") << "\"" << metrics_[i].first << "\":";
      if (std::isfinite(metrics_[i].second)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", metrics_[i].second);
        s << buf;
      } else {
        s << "null";
      }
    }
    s << (metrics_.empty() ? "" : ",") << "\"rss_start_mb\":";
    if (std::isfinite(rss_start())) {
      s << rss_start();
    } else {
      s << "null";
    }
    s << "},\"notes\":{";
    for (size_t i = 0; i < notes_.size(); ++i) {
      s << (i ? "," : "") << "\"" << notes_[i].first << "\":\"" << notes_[i].second << "\"";
    }
    s << "}}\n";
    std::fputs(s.str().c_str(), stdout);
    std::fflush(stdout);
  }

private:
  std::string workload_, variant_, system_;
  std::vector<std::pair<std::string, double>> metrics_;
  std::vector<std::pair<std::string, std::string>> notes_;
};

} // namespace bench
