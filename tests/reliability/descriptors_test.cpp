// Descriptor exhaustion: probes fail with their own reason, and the engine goes on.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <thread>

#include "engine_harness.hpp"

using namespace reliability;

namespace {

/// Polls `recorder` (every 10 ms, up to `limit`) for a result of `key` that `wanted` accepts.
template <typename Predicate>
bool wait_for_result(Recorder& recorder, std::size_t from, Predicate wanted,
                     std::chrono::milliseconds limit) {
  const auto give_up = Clock::now() + limit;
  while (Clock::now() < give_up) {
    {
      std::lock_guard lock(recorder.mutex);
      for (std::size_t i = from; i < recorder.results.size(); ++i) {
        if (wanted(recorder.results[i].second)) return true;
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

bool out_of_descriptors(const ProbeResult& r) {
  return r.failure && r.failure->phase == Phase::connect &&
         r.failure->reason == FailureReason::out_of_descriptors;
}

}  // namespace

TEST_CASE("running out of descriptors fails probes with out_of_descriptors; the engine goes on" *
          doctest::test_suite("descriptors")) {
  const std::uint16_t port = healthy_server().port();
  asio::io_context io;
  store::ResultStore store;
  Recorder recorder;
  scheduler::Scheduler engine(io, store, prober::run_probe, 10);
  engine.set_observer(recorder.observer());
  engine.apply({target("scheduled", port, 100ms, 2s)});
  auto work = asio::make_work_guard(io);
  std::thread engine_thread([&] { io.run(); });
  auto probe_now = [&] { return engine.probe_now(spec_for(port), Clock::now() + 2s).get(); };

  CHECK(probe_now().success);
  std::vector<ProbeResult> starved;
  bool scheduled_starved = false;
  std::size_t recorded_before_restore = 0;
  {
    // No new descriptor at all: the soft limit below every open descriptor's number.
    // Under UBSan this window prints "invalid vptr ... <memory cannot be printed>" for objects
    // that are fine: on a vptr-cache miss the runtime checks that the object is readable by
    // writing it into a pipe(2), which fails here, and it neither identifies the object nor
    // halts. ASan's checks need no descriptor and stay fatal. See README "Sanitizers".
    FileLimit exhausted(0);
    for (int i = 0; i < 3; ++i) starved.push_back(probe_now());
    scheduled_starved = wait_for_result(recorder, 0, out_of_descriptors, 3s);
    std::lock_guard lock(recorder.mutex);
    recorded_before_restore = recorder.results.size();
  }
  const ProbeResult after = probe_now();
  const bool scheduled_recovered = wait_for_result(
      recorder, recorded_before_restore, [](const ProbeResult& r) { return r.success; }, 5s);
  engine.stop();
  work.reset();
  engine_thread.join();

  for (const auto& r : starved) {
    CHECK_FALSE(r.success);
    REQUIRE(r.failure.has_value());
    CHECK(r.failure->phase == Phase::connect);
    CHECK(r.failure->reason == FailureReason::out_of_descriptors);
    CHECK_FALSE(r.failure->detail.empty());
    CHECK(r.duration_seconds < 2);  // failed at once, not by the deadline
  }
  CHECK(scheduled_starved);
  CHECK(after.success);
  CHECK(scheduled_recovered);
}
