#pragma once
// A stand-in for prober::run_probe: waits on a steady_timer for a per-address time (bounded by
// the deadline) and reports what happened. Used on the engine thread only.

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "starttls_exporter/scheduler/scheduler.hpp"

namespace starttls_exporter::scheduler::testing {

using std::chrono::steady_clock;

struct FakeProber {
  std::map<std::string, Duration> delay;  ///< per address; default_delay otherwise
  Duration default_delay{10};
  std::map<std::string, bool> throws;  ///< the probe of this address throws

  int in_flight = 0;
  int max_in_flight = 0;
  std::map<std::string, std::vector<steady_clock::time_point>> starts;
  std::map<std::string, int> completed;              ///< waited its full time (or hit the deadline)
  std::map<std::string, int> cancelled;              ///< the wait was aborted by cancellation
  std::function<void(const std::string&)> on_start;  ///< after a start was counted
  std::function<void(const std::string&)> on_finish;  ///< after completion or cancellation

  ProbeFunction function() {
    return [this](prober::ProbeSpec spec, steady_clock::time_point deadline) {
      return run(this, std::move(spec), deadline);
    };
  }

 private:
  static asio::awaitable<ProbeResult> run(FakeProber* self, prober::ProbeSpec spec,
                                          steady_clock::time_point deadline) {
    const std::string address = spec.address;
    const auto started = steady_clock::now();
    self->starts[address].push_back(started);
    if (self->on_start) self->on_start(address);
    if (self->throws[address]) throw std::runtime_error("fake probe failure");
    ++self->in_flight;
    self->max_in_flight = std::max(self->max_in_flight, self->in_flight);

    auto wait = self->default_delay;
    if (auto it = self->delay.find(address); it != self->delay.end()) wait = it->second;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(std::min(started + wait, deadline));
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));

    --self->in_flight;
    ProbeResult result;
    result.started = std::chrono::system_clock::now();
    result.success = !ec && started + wait <= deadline;
    if (ec) {
      ++self->cancelled[address];
    } else {
      ++self->completed[address];
    }
    if (!result.success) result.failure = Failure{Phase::connect, FailureReason::timeout, 0, ""};
    if (self->on_finish) self->on_finish(address);
    co_return result;
  }
};

/// A target whose spec.address is `address` and key is "address:25/smtp".
inline ScheduledTarget make_target(const std::string& address, Duration interval,
                                   Duration timeout) {
  ScheduledTarget target;
  target.info.key = address + ":25/smtp";
  target.info.endpoint = address + ":25";
  target.info.module = "smtp";
  target.spec.address = address;
  target.interval = interval;
  target.timeout = timeout;
  return target;
}

// Helpers for the scheduler tests.

/// Stops the scheduler after `limit` if the test's own condition has not stopped it before.
/// finish() ends the test's engine: cancels the guard's own timer and stops the scheduler.
struct Guard {
  Guard(asio::io_context& io, Scheduler& s, steady_clock::duration limit)
      : scheduler(s), timer(io, limit) {
    timer.async_wait([this](std::error_code ec) {
      if (ec) return;
      fired = true;
      scheduler.stop();
    });
  }
  void finish() {
    timer.cancel();
    scheduler.stop();
  }
  Scheduler& scheduler;
  asio::steady_timer timer;
  bool fired = false;
};

inline std::set<std::string> store_keys(const store::ResultStore& store) {
  std::set<std::string> keys;
  for (const auto& snapshot : store.snapshot()) keys.insert(snapshot.target->key);
  return keys;
}

inline std::shared_ptr<const ProbeResult> latest(const store::ResultStore& store,
                                                 const std::string& key) {
  for (const auto& snapshot : store.snapshot()) {
    if (snapshot.target->key == key) return snapshot.latest;
  }
  return nullptr;
}

}  // namespace starttls_exporter::scheduler::testing
