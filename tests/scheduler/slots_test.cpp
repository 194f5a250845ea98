#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>

#include "scheduler_state.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::scheduler;
using namespace std::chrono_literals;

TEST_CASE("jitter is stable and within [0, interval)") {
  const Duration intervals[] = {1ms, 100ms, 250ms, 15s, 60s, 3600s};
  std::set<Duration::rep> distinct;
  for (const auto interval : intervals) {
    for (int i = 0; i < 50; ++i) {
      const std::string key = "192.0.2." + std::to_string(i) + ":25/smtp";
      CAPTURE(key);
      const auto j = jitter(key, interval);
      CHECK(j >= 0ms);
      CHECK(j < interval);
      CHECK(jitter(key, interval) == j);  // a function of the key alone
      if (interval == 60s) distinct.insert(j.count());
    }
  }
  CHECK(distinct.size() > 40);     // targets spread over the interval
  CHECK(jitter("x", 0ms) == 0ms);  // degenerate interval: no division by zero
}

TEST_CASE("first_slot aligns a target's slots to the Unix epoch plus its jitter") {
  const auto now = std::chrono::steady_clock::now();
  using Sys = std::chrono::system_clock::time_point;
  struct Case {
    Duration unix_time, jitter, interval, want_wait;
  };
  const Case cases[] = {
      {60000ms + 17ms, 17ms, 1000ms, 0ms},  // exactly on a slot
      {60000ms + 18ms, 17ms, 1000ms, 999ms},
      {60000ms + 16ms, 17ms, 1000ms, 1ms},
      {60000ms, 0ms, 1000ms, 0ms},
      {60500ms, 0ms, 60000ms, 59500ms},
      {5ms, 10ms, 100ms, 5ms},  // before the first slot after the epoch
  };
  for (const auto& c : cases) {
    CAPTURE(c.unix_time.count());
    CAPTURE(c.jitter.count());
    CHECK(first_slot(c.jitter, c.interval, now, Sys(c.unix_time)) - now == c.want_wait);
  }
}

TEST_CASE("next_slot keeps the cadence and skips the slots an overrun missed") {
  const auto t0 = std::chrono::steady_clock::now();
  struct Case {
    Duration finished_after;  ///< when the probe of slot t0 ended
    Duration want_next;
    std::uint64_t want_skipped;
  };
  const Case cases[] = {
      {20ms, 100ms, 0},  {100ms, 100ms, 0},  // on time; no drift
      {101ms, 200ms, 1}, {250ms, 300ms, 2}, {300ms, 300ms, 2},
  };
  for (const auto& c : cases) {
    CAPTURE(c.finished_after.count());
    std::uint64_t skipped = 99;
    CHECK(next_slot(t0, 100ms, t0 + c.finished_after, skipped) - t0 == c.want_next);
    CHECK(skipped == c.want_skipped);
  }
}

TEST_CASE("same_schedule compares spec, interval and timeout but not labels") {
  ScheduledTarget a;
  a.info.key = "k";
  a.spec.address = "127.0.0.1";
  a.interval = 60s;
  a.timeout = 10s;
  auto b = a;
  b.info.labels["team"] = "mail";
  CHECK(same_schedule(a, b));
  auto c = a;
  c.timeout = 5s;
  CHECK_FALSE(same_schedule(a, c));
  auto d = a;
  d.interval = 30s;
  CHECK_FALSE(same_schedule(a, d));
  auto e = a;
  e.spec.server_name = "mx.example";
  CHECK_FALSE(same_schedule(a, e));
  auto f = a;
  f.spec.ehlo_name = "probe.example";
  CHECK_FALSE(same_schedule(a, f));
}

TEST_CASE("same_schedule compares the DANE expectation by value: a TLSA change re-probes") {
  ScheduledTarget a;
  a.info.key = "k";
  auto expectation = std::make_shared<dane::DaneExpectation>();
  expectation->tlsa.status = dane::TlsaStatus::secure;
  expectation->tlsa.records = {{3, 1, 1, {1, 2, 3}}};
  a.spec.dane = expectation;
  auto same = a;
  same.spec.dane = std::make_shared<dane::DaneExpectation>(*expectation);  // equal, not shared
  CHECK(same_schedule(a, same));
  auto republished = a;
  auto changed = std::make_shared<dane::DaneExpectation>(*expectation);
  changed->tlsa.records[0].data = {4, 5, 6};
  republished.spec.dane = changed;
  CHECK_FALSE(same_schedule(a, republished));
  auto none = a;
  none.spec.dane.reset();
  CHECK_FALSE(same_schedule(a, none));
}
