// Scale: 1,000 silent targets beside 20 healthy ones through the real engine.
#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_harness.hpp"

#if defined(__SANITIZE_ADDRESS__)
// ASan keeps freed memory in a 256 MiB quarantine, which would show as RSS growth here.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16";
}
#endif

using namespace reliability;

namespace {

constexpr int silent_count = 1000;
constexpr int healthy_count = 20;
constexpr Duration interval = 2s;
constexpr Duration timeout = 1500ms;
constexpr long rss_bound_kib = 64 * 1024;
constexpr double duration_bound_seconds = 0.1;
// How late a silent probe may end after its deadline. Wider than the single-probe tests'
// 100 ms: here hundreds of deadlines fall due close together on one thread, which under ASan
// on a busy 2-core machine was measured to take up to ~140 ms to work through.
constexpr auto scale_slack = 1s;

using Results = std::vector<std::pair<std::string, ProbeResult>>;

/// Runs the engine on `targets` for `how_long` on this thread, then stops it and lets the
/// probes in flight unwind. `rss_at_end` gets VmRSS before the stop (connections still open).
Results run_engine(std::vector<scheduler::ScheduledTarget> targets,
                   std::chrono::milliseconds how_long, long& rss_at_end) {
  asio::io_context io;
  store::ResultStore store;
  Recorder recorder;
  // Concurrency above the target count: the test is about the engine, not the permit queue.
  scheduler::Scheduler engine(io, store, prober::run_probe, 2 * silent_count);
  engine.set_observer(recorder.observer());
  engine.apply(std::move(targets));
  io.run_for(how_long);
  rss_at_end = rss_kib();
  engine.stop();
  io.run();
  return std::move(recorder.results);
}

std::vector<scheduler::ScheduledTarget> healthy_targets() {
  std::vector<scheduler::ScheduledTarget> targets;
  for (int i = 0; i < healthy_count; ++i) {
    targets.push_back(
        target("healthy-" + std::to_string(i), healthy_server().port(), interval, timeout));
  }
  return targets;
}

/// Durations of the healthy targets' probes; every one of them must have succeeded.
std::vector<double> healthy_durations(const Results& results) {
  std::vector<double> seconds;
  for (const auto& [key, result] : results) {
    if (key.rfind("healthy-", 0) != 0) continue;
    CHECK_MESSAGE(result.success,
                  key << " failed: " << (result.failure ? result.failure->detail : ""));
    seconds.push_back(result.duration_seconds);
  }
  return seconds;
}

}  // namespace

TEST_CASE("1,000 silent targets keep neither healthy probes waiting nor memory growing" *
          doctest::test_suite("scale")) {
  // Each silent probe holds a descriptor here and its parked peer another one.
  FileLimit limit(FileLimit::hard());
  REQUIRE(FileLimit::soft() >= 4 * silent_count);
  testing::SmtpServerOptions parked;
  parked.park = true;
  testing::SmtpTestServer silent(parked);

  long rss_ignored = 0;
  const Results alone = run_engine(healthy_targets(), 4s, rss_ignored);
  const std::vector<double> alone_seconds = healthy_durations(alone);
  REQUIRE(alone_seconds.size() >= healthy_count);

  const long rss_before = rss_kib();
  const int fds_before = open_fds();
  auto targets = healthy_targets();
  for (int i = 0; i < silent_count; ++i) {
    targets.push_back(target("silent-" + std::to_string(i), silent.port(), interval, timeout));
  }
  long rss_loaded = 0;
  const Results loaded = run_engine(std::move(targets), 6s, rss_loaded);
  CHECK(silent.wait_finished(silent.connections(), 10s));  // every parked peer saw our close
  // The healthy server closes its side when its connection thread ends: wait for that.
  int fds_after = open_fds();
  for (int i = 0; i < 100 && fds_after > fds_before; ++i) {
    std::this_thread::sleep_for(50ms);
    fds_after = open_fds();
  }

  const std::vector<double> loaded_seconds = healthy_durations(loaded);
  REQUIRE(loaded_seconds.size() >= healthy_count);
  std::set<std::string> silent_probed;
  double slowest_silent = 0;
  for (const auto& [key, result] : loaded) {
    if (key.rfind("silent-", 0) != 0) continue;
    silent_probed.insert(key);
    CHECK_FALSE(result.success);
    REQUIRE(result.failure.has_value());
    CHECK(result.failure->phase == Phase::banner);
    CHECK(result.failure->reason == FailureReason::timeout);
    CHECK(result.duration_seconds <= std::chrono::duration<double>(timeout + scale_slack).count());
    slowest_silent = std::max(slowest_silent, result.duration_seconds);
  }
  CHECK(silent_probed.size() == silent_count);

  const double median_alone = median(alone_seconds);
  const double median_loaded = median(loaded_seconds);
  MESSAGE("healthy probe median: alone "
          << median_alone * 1000 << " ms (" << alone_seconds.size()
          << " probes), beside 1,000 silent targets " << median_loaded * 1000 << " ms ("
          << loaded_seconds.size() << " probes); max loaded "
          << *std::max_element(loaded_seconds.begin(), loaded_seconds.end()) * 1000 << " ms");
  MESSAGE("VmRSS " << rss_before << " KiB before, " << rss_loaded << " KiB with "
                   << silent.connections() << " silent connections made; descriptors " << fds_before
                   << " before, " << fds_after << " after; slowest silent probe "
                   << slowest_silent * 1000 << " ms, timeout " << timeout.count() << " ms");
  CHECK(median_loaded <= median_alone + duration_bound_seconds);
  CHECK(rss_loaded - rss_before <= rss_bound_kib);
  CHECK(fds_after <= fds_before);  // every probe socket closed
}
