#include "starttls_exporter/scheduler/scheduler.hpp"

#include <doctest/doctest.h>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "fake_prober.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::scheduler;
using namespace starttls_exporter::scheduler::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

TEST_CASE("probe_now() shares the concurrency limit and fails cleanly without a permit") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.delay["127.0.0.1"] = 60s;
  fake.delay["127.0.0.9"] = 20ms;
  Scheduler scheduler(io, store, fake.function(), 1);
  scheduler.apply({make_target("127.0.0.1", 100ms, 30s)});  // takes the only permit, hangs
  std::future<ProbeResult> starved;
  fake.on_start = [&](const std::string& address) {
    if (address != "127.0.0.1") return;
    starved =
        scheduler.probe_now(make_target("127.0.0.9", 1s, 1s).spec, steady_clock::now() + 100ms);
  };
  // Poll until the on-demand result is in (or 20 s passed), then stop.
  asio::steady_timer poll(io);
  const auto give_up = steady_clock::now() + 20s;
  std::function<void()> arm = [&] {
    poll.expires_after(10ms);
    poll.async_wait([&](std::error_code) {
      const bool ready = starved.valid() && starved.wait_for(0s) == std::future_status::ready;
      if (ready || steady_clock::now() > give_up) {
        scheduler.stop();
      } else {
        arm();
      }
    });
  };
  arm();
  io.run();
  REQUIRE(starved.valid());
  const auto result = starved.get();
  CHECK_FALSE(result.success);
  REQUIRE(result.failure.has_value());
  CHECK(result.failure->phase == Phase::connect);
  CHECK(result.failure->reason == FailureReason::timeout);
  CHECK(fake.starts.count("127.0.0.9") == 0);  // never ran
}

TEST_CASE("probe_now() runs the probe when a permit is free") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  Scheduler scheduler(io, store, fake.function(), 2);
  std::thread engine([&] {
    auto work = asio::make_work_guard(io);
    asio::steady_timer end(io, 5s);
    end.async_wait([&](std::error_code) { work.reset(); });
    io.run();
  });
  auto future =
      scheduler.probe_now(make_target("127.0.0.5", 1s, 1s).spec, steady_clock::now() + 1s);
  const auto result = future.get();
  CHECK(result.success);
  CHECK_FALSE(result.failure.has_value());
  CHECK(store.target_count() == 0);  // on-demand results are not recorded
  io.stop();
  engine.join();
}

TEST_CASE("a probe function that throws yields an internal_error result") {
  asio::io_context io;
  store::ResultStore store;
  FakeProber fake;
  fake.throws["127.0.0.1"] = true;
  Scheduler scheduler(io, store, fake.function(), 2);
  Guard guard(io, scheduler, 20s);
  std::vector<std::string> seen;
  scheduler.set_observer([&](const store::TargetInfo& info, const ProbeResult& result) {
    seen.push_back(info.key);
    CHECK_FALSE(result.success);
    REQUIRE(result.failure.has_value());
    CHECK(result.failure->reason == FailureReason::internal_error);
    CHECK(result.failure->detail.find("fake probe failure") != std::string::npos);
    guard.finish();
  });
  scheduler.apply({make_target("127.0.0.1", 100ms, 1s)});
  io.run();
  CHECK_FALSE(guard.fired);
  CHECK(seen == std::vector<std::string>{"127.0.0.1:25/smtp"});
  REQUIRE(latest(store, "127.0.0.1:25/smtp") != nullptr);
  CHECK(store.counters().failure == 1);
}
