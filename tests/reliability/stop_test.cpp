// Stopping the engine, or removing a target, while probes are in flight: they end quietly.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine_harness.hpp"

using namespace reliability;

namespace {

/// Sends this process' stderr (fd 2) to a temporary file for its lifetime; text() reads it.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
    REQUIRE(file_ != nullptr);
    REQUIRE(saved_ >= 0);
    REQUIRE(::dup2(::fileno(file_), STDERR_FILENO) >= 0);
  }
  ~StderrCapture() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    std::fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string text() const {
    std::ostringstream out;
    std::ifstream in("/proc/self/fd/" + std::to_string(::fileno(file_)));
    out << in.rdbuf();
    return out.str();
  }

 private:
  std::FILE* file_;
  int saved_;
};

/// Waits (up to 3 s) until `engine` has `count` probes in flight.
bool wait_in_flight(const scheduler::Scheduler& engine, std::size_t count) {
  const auto give_up = Clock::now() + 3s;
  while (Clock::now() < give_up) {
    if (engine.stats().in_flight == count) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

}  // namespace

TEST_CASE("probes cancelled by a reload or by stop log no error and record nothing" *
          doctest::test_suite("stop")) {
  testing::SmtpServerOptions parked;
  parked.park = true;
  testing::SmtpTestServer silent(parked);
  asio::io_context io;
  store::ResultStore store;
  Recorder recorder;
  scheduler::Scheduler engine(io, store, prober::run_probe, 10);
  engine.set_observer(recorder.observer());
  auto work = asio::make_work_guard(io);
  std::thread engine_thread([&] { io.run(); });

  StderrCapture captured;
  engine.apply(
      {target("removed", silent.port(), 100ms, 10s), target("kept", silent.port(), 100ms, 10s)});
  const bool both_in_flight = wait_in_flight(engine, 2);
  engine.apply({target("kept", silent.port(), 100ms, 10s)});  // cancels "removed"
  const bool one_in_flight = wait_in_flight(engine, 1);
  auto on_demand = engine.probe_now(spec_for(silent.port()), Clock::now() + 10s);
  const bool on_demand_in_flight = wait_in_flight(engine, 2);
  engine.stop();  // cancels "kept" and the on-demand probe
  const ProbeResult on_demand_result = on_demand.get();
  const bool none_in_flight = wait_in_flight(engine, 0);
  work.reset();
  engine_thread.join();
  const std::string log = captured.text();

  CHECK(both_in_flight);
  CHECK(one_in_flight);
  CHECK(on_demand_in_flight);
  CHECK(none_in_flight);
  CHECK_MESSAGE(log.find("level=error") == std::string::npos, log);
  CHECK_MESSAGE(log.find("level=warn") == std::string::npos, log);
  std::lock_guard lock(recorder.mutex);
  CHECK(recorder.results.empty());  // a cancelled probe's result is dropped
  CHECK_FALSE(on_demand_result.success);
  REQUIRE(on_demand_result.failure.has_value());
  CHECK(on_demand_result.failure->detail == "exporter shutting down");
}
