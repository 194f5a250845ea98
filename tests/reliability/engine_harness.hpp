#pragma once
// The real engine (Scheduler + prober::run_probe + ResultStore) on one io_context, for the
// reliability tests, plus readings of this process' resources from /proc.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "probe_test_util.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace reliability {

using namespace probe_test;

/// A target of `port` on 127.0.0.1 named `key`, probed every `interval` with `timeout`.
inline scheduler::ScheduledTarget target(const std::string& key, std::uint16_t port,
                                         Duration interval, Duration timeout) {
  scheduler::ScheduledTarget t;
  t.info.key = key;
  t.info.endpoint = "127.0.0.1:" + std::to_string(port);
  t.info.module = "smtp_starttls";
  t.spec = spec_for(port);
  t.interval = interval;
  t.timeout = timeout;
  return t;
}

/// Every recorded result, by target key. Filled on the engine thread, read after it stopped
/// or under the mutex.
struct Recorder {
  std::mutex mutex;
  std::vector<std::pair<std::string, ProbeResult>> results;

  scheduler::ResultObserver observer() {
    return [this](const store::TargetInfo& info, const ProbeResult& result) {
      std::lock_guard lock(mutex);
      results.emplace_back(info.key, result);
    };
  }
};

/// VmRSS of this process in KiB (0 when unreadable).
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string word;
  while (status >> word) {
    if (word == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
  }
  return 0;
}

/// Open descriptors of this process (the directory handle used to count them excluded).
inline int open_fds() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count - 1;
}

/// Sets the soft RLIMIT_NOFILE for its lifetime, then restores the previous one.
class FileLimit {
 public:
  explicit FileLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit wanted = saved_;
    wanted.rlim_cur = std::min(soft, saved_.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &wanted);
  }
  ~FileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  FileLimit(const FileLimit&) = delete;
  FileLimit& operator=(const FileLimit&) = delete;

  static rlim_t soft() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
  }
  static rlim_t hard() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_max;
  }

 private:
  rlimit saved_{};
};

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace reliability
