#include "starttls_exporter/scheduler/scheduler.hpp"

#include <doctest/doctest.h>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "fake_prober.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::scheduler;
using namespace starttls_exporter::scheduler::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

TEST_CASE("no more than `concurrency` probes are ever in flight") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.default_delay = 150ms;  // demand: 10 targets x 150 ms per 200 ms = 7.5 in flight
  Scheduler scheduler(io, store, fake.function(), 3);
  Guard guard(io, scheduler, 20s);
  std::vector<ScheduledTarget> targets;
  for (int i = 1; i <= 10; ++i)
    targets.push_back(make_target("127.0.0." + std::to_string(i), 200ms, 1s));
  scheduler.apply(targets);
  int finished = 0;
  fake.on_finish = [&](const std::string&) {
    if (++finished == 20) guard.finish();
  };
  io.run();
  CHECK_FALSE(guard.fired);
  CHECK(fake.max_in_flight == 3);  // reached, never exceeded
  CHECK(store.counters().success >= 19);
  const auto stats = scheduler.stats();
  CHECK(stats.in_flight == 0);
  CHECK(stats.probes_started >= 20);
  CHECK(stats.slots_skipped > 0);  // demand exceeds capacity: some slots were lost
  const auto lag = scheduler.lag_histogram();
  CHECK(lag.count() == stats.probes_started);
}

TEST_CASE("a hanging target delays no other target") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.delay["127.0.0.1"] = 60s;  // hangs until its deadline
  fake.default_delay = 5ms;
  Scheduler scheduler(io, store, fake.function(), 2);
  Guard guard(io, scheduler, 20s);
  scheduler.apply({make_target("127.0.0.1", 100ms, 30s), make_target("127.0.0.2", 100ms, 1s)});
  fake.on_finish = [&](const std::string& address) {
    if (address == "127.0.0.2" && fake.completed[address] == 5) guard.finish();
  };
  const auto start = steady_clock::now();
  io.run();
  CHECK_FALSE(guard.fired);
  CHECK(steady_clock::now() - start < 20s);
  CHECK(fake.completed["127.0.0.2"] == 5);
  CHECK(fake.starts["127.0.0.1"].size() == 1);  // still hanging when the other had five runs
  CHECK(fake.cancelled["127.0.0.1"] == 1);      // and stop() cancelled it
  CHECK(latest(store, "127.0.0.1:25/smtp") == nullptr);  // its cancelled result was dropped
  REQUIRE(latest(store, "127.0.0.2:25/smtp") != nullptr);
  CHECK(latest(store, "127.0.0.2:25/smtp")->success);
}

TEST_CASE("after the early first probe, probes start on the target's slots, one interval apart") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  Scheduler scheduler(io, store, fake.function(), 4);
  Guard guard(io, scheduler, 20s);
  scheduler.apply({make_target("127.0.0.1", 100ms, 1s)});
  fake.on_finish = [&](const std::string& address) {
    if (fake.completed[address] == 5) guard.finish();
  };
  io.run();
  const auto& starts = fake.starts["127.0.0.1"];
  REQUIRE(starts.size() == 5);
  // The first probe is the first round's (at once); the second waits for the first stable
  // slot at least half an interval later.
  CHECK(starts[1] - starts[0] >= 50ms - 5ms);
  CHECK(starts[1] - starts[0] <= 150ms + 50ms);
  // Slots are exact multiples of the interval (no drift, nothing early); a start lags its slot
  // by its measured lag, so span = 3 intervals + lag(last) - lag(second), within the total lag.
  // The fake notes its start a moment after the scheduler does: 5 ms of slack for that.
  const auto lag = std::chrono::duration_cast<steady_clock::duration>(
      std::chrono::duration<double>(scheduler.lag_histogram().sum_seconds()));
  CHECK(scheduler.lag_histogram().count() == 5);
  const auto span = starts.back() - starts[1];
  CHECK(span + lag + 5ms >= 300ms);
  CHECK(span <= 300ms + lag + 5ms);
  for (std::size_t i = 1; i < starts.size(); ++i) CHECK(starts[i] > starts[i - 1]);
}

TEST_CASE(
    "the first round probes new targets soon, ramped at kFirstRoundRate, not at their slots") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  Scheduler scheduler(io, store, fake.function(), 100);
  Guard guard(io, scheduler, 20s);
  std::vector<ScheduledTarget> targets;
  for (int i = 1; i <= 5; ++i)
    targets.push_back(make_target("127.0.0." + std::to_string(i), 1h, 1s));
  const auto applied = steady_clock::now();
  scheduler.apply(targets);
  int done = 0;
  fake.on_finish = [&](const std::string&) {
    if (++done == 5) guard.finish();
  };
  io.run();
  const auto step = std::chrono::duration_cast<steady_clock::duration>(1s) / kFirstRoundRate;
  for (int i = 1; i <= 5; ++i) {
    const auto& starts = fake.starts["127.0.0." + std::to_string(i)];
    CAPTURE(i);
    REQUIRE(starts.size() == 1);                   // the next slot is up to an hour away
    CHECK(starts[0] - applied >= step * (i - 1));  // ramped, in config order
  }
  CHECK(fake.starts["127.0.0.5"][0] - applied < 10s);  // not an hour
}

TEST_CASE("apply() keeps unchanged targets, restarts changed ones, stops removed ones") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.default_delay = 60ms;
  fake.delay["127.0.0.2"] = 60s;  // Y and Z hang: certainly in flight when apply() runs
  fake.delay["127.0.0.3"] = 60s;
  Scheduler scheduler(io, store, fake.function(), 10);
  Guard guard(io, scheduler, 20s);
  auto x = make_target("127.0.0.1", 100ms, 1s);
  auto y = make_target("127.0.0.2", 100ms, 30s);
  auto z = make_target("127.0.0.3", 100ms, 30s);
  auto w = make_target("127.0.0.4", 100ms, 1s);
  scheduler.apply({x, y, z});

  bool applied = false;
  std::shared_ptr<const ProbeResult> x_before;
  fake.on_start = [&](const std::string& address) {
    // X's second probe has just started; every first slot lies within the first interval.
    if (applied || address != "127.0.0.1" || fake.starts[address].size() != 2) return;
    applied = true;
    x_before = latest(store, x.info.key);
    auto y_changed = y;
    y_changed.timeout = 50ms;
    auto x_relabelled = x;
    x_relabelled.info.labels["site"] = "a";
    asio::post(io, [&, y_changed, x_relabelled] {
      scheduler.apply({x_relabelled, y_changed, w});
      // Effective at once on the engine thread.
      CHECK(store_keys(store) == std::set<std::string>{x.info.key, y.info.key, w.info.key});
      CHECK(latest(store, x.info.key) == x_before);  // X's state kept
      CHECK(scheduler.stats().targets == 3);
    });
  };
  fake.on_finish = [&](const std::string&) {
    if (fake.completed["127.0.0.1"] >= 4 && fake.starts["127.0.0.4"].size() >= 2 &&
        fake.completed["127.0.0.2"] >= 1) {
      guard.finish();
    }
  };
  io.run();
  CHECK_FALSE(guard.fired);
  REQUIRE(applied);
  REQUIRE(x_before != nullptr);
  // X: its in-flight probe survived apply() (only the final stop() may cancel one).
  CHECK(fake.cancelled["127.0.0.1"] <= 1);
  CHECK(fake.completed["127.0.0.1"] >= 4);
  // Y changed: the hanging probe was cancelled and Y restarted with the new 50 ms timeout.
  CHECK(fake.cancelled["127.0.0.2"] >= 1);
  CHECK(fake.completed["127.0.0.2"] >= 1);
  REQUIRE(latest(store, y.info.key) != nullptr);
  CHECK_FALSE(latest(store, y.info.key)->success);
  // Z removed: cancelled, never probed again, gone from the store.
  CHECK(fake.cancelled["127.0.0.3"] == 1);
  CHECK(fake.starts["127.0.0.3"].size() == 1);
  CHECK(store_keys(store).count(z.info.key) == 0);
  // W new: probed.
  CHECK(fake.starts["127.0.0.4"].size() >= 2);
  CHECK(store.snapshot().at(0).target->labels.at("site") == "a");
}

TEST_CASE("a target added while the others wait far ahead for their slots starts at once") {
  // The engine sleeps until the earliest slot due; a new target's first probe, earlier than
  // that, must wake it.
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.default_delay = 10ms;
  Scheduler scheduler(io, store, fake.function(), 10);
  Guard guard(io, scheduler, 10s);
  const auto a = make_target("127.0.0.1", 1h, 1s);
  const auto b = make_target("127.0.0.2", 1h, 1s);
  scheduler.apply({a});
  fake.on_finish = [&](const std::string& address) {
    if (address == "127.0.0.1") {
      // A's next slot is now at least half an hour away.
      asio::post(io, [&] { scheduler.apply({a, b}); });
    } else {
      guard.finish();
    }
  };
  io.run();
  CHECK_FALSE(guard.fired);
  CHECK(fake.starts["127.0.0.1"].size() == 1);  // kept, not restarted
  CHECK(fake.starts["127.0.0.2"].size() == 1);
}

TEST_CASE("stop() from another thread ends everything promptly") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.default_delay = 60s;  // everything hangs
  Scheduler scheduler(io, store, fake.function(), 5);
  std::vector<ScheduledTarget> targets;
  for (int i = 1; i <= 20; ++i) {
    targets.push_back(make_target("127.0.0." + std::to_string(i), 100ms, 60s));
  }
  scheduler.apply(targets);
  auto on_demand = scheduler.probe_now(make_target("127.0.0.99", 1s, 1s).spec,
                                       steady_clock::now() + 60s);  // waits for a permit
  steady_clock::time_point stop_called;
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop_called = steady_clock::now();
    scheduler.stop();
  });
  io.run();
  const auto returned = steady_clock::now();
  stopper.join();
  CHECK(returned - stop_called < 1s);
  int cancelled = 0;
  for (const auto& [address, count] : fake.cancelled) cancelled += count;
  CHECK(cancelled == 5);  // the five in flight; the others were waiting for a permit
  CHECK(fake.max_in_flight == 5);
  CHECK(store.counters().success + store.counters().failure == 0);  // cancelled: dropped
  REQUIRE(on_demand.wait_for(0s) == std::future_status::ready);
  const auto result = on_demand.get();
  CHECK_FALSE(result.success);
  REQUIRE(result.failure.has_value());
  CHECK(result.failure->reason == FailureReason::internal_error);
  CHECK(scheduler.stats().in_flight == 0);
}
