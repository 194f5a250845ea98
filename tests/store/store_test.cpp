#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "starttls_exporter/store/result_store.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::store;
using namespace std::chrono_literals;

namespace {

TargetInfo target(const std::string& endpoint, std::map<std::string, std::string> labels = {},
                  const std::string& module = "smtp") {
  return {endpoint + "/" + module, endpoint, module, std::move(labels), {}};
}

std::shared_ptr<const ProbeResult> result(bool success, bool handshake, SystemTime started) {
  auto r = std::make_shared<ProbeResult>();
  r->started = started;
  r->success = success;
  if (!success) r->failure = Failure{Phase::connect, FailureReason::connection_refused, 0, ""};
  if (handshake) {
    r->tls = TlsFacts{"TLS 1.3", "TLS_AES_128_GCM_SHA256", "X25519", {}};
    r->verify = VerifyVerdict{success, {}};
  }
  return r;
}

const SystemTime t0 = SystemTime{} + 1'700'000'000s;

}  // namespace

TEST_CASE("record keeps the last handshake and last success across failures") {
  ResultStore store;
  store.set_targets({target("127.0.0.1:25")});
  auto snap = store.snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].latest == nullptr);
  CHECK(snap[0].last_handshake == nullptr);
  CHECK_FALSE(snap[0].last_success.has_value());

  store.record("127.0.0.1:25/smtp", result(true, true, t0));
  store.record("127.0.0.1:25/smtp", result(false, false, t0 + 60s));
  snap = store.snapshot();
  REQUIRE(snap[0].latest);
  CHECK(snap[0].latest->started == t0 + 60s);
  REQUIRE(snap[0].last_handshake);
  CHECK(snap[0].last_handshake->started == t0);
  CHECK(snap[0].last_handshake->tls->version == "TLS 1.3");
  CHECK(snap[0].last_handshake->verify->verified);
  CHECK(snap[0].last_success == t0);

  // A later handshake that failed verification replaces the facts but not last_success.
  store.record("127.0.0.1:25/smtp", result(false, true, t0 + 120s));
  snap = store.snapshot();
  CHECK(snap[0].last_handshake->started == t0 + 120s);
  CHECK_FALSE(snap[0].last_handshake->verify->verified);
  CHECK(snap[0].last_success == t0);

  const auto counters = store.counters();
  CHECK(counters.success == 1);
  CHECK(counters.failure == 2);
}

TEST_CASE("record for an unknown key or a null result is dropped") {
  ResultStore store;
  store.set_targets({target("127.0.0.1:25")});
  store.record("127.0.0.2:25/smtp", result(true, true, t0));
  store.record("127.0.0.1:25/smtp", nullptr);
  CHECK(store.snapshot()[0].latest == nullptr);
  CHECK(store.counters().success == 0);
  CHECK(store.counters().failure == 0);
}

TEST_CASE("set_targets keeps state of unchanged keys, drops removed ones, keeps order") {
  ResultStore store;
  store.set_targets({target("127.0.0.1:25"), target("127.0.0.2:25")});
  store.record("127.0.0.1:25/smtp", result(true, true, t0));
  store.record("127.0.0.2:25/smtp", result(true, true, t0));

  // 127.0.0.2 removed, 127.0.0.3 added, 127.0.0.1 kept with new labels, new order.
  store.set_targets({target("127.0.0.3:25"), target("127.0.0.1:25", {{"env", "prod"}})});
  auto snap = store.snapshot();
  REQUIRE(snap.size() == 2);
  CHECK(store.target_count() == 2);
  CHECK(snap[0].target->endpoint == "127.0.0.3:25");
  CHECK(snap[0].latest == nullptr);
  CHECK(snap[1].target->endpoint == "127.0.0.1:25");
  CHECK(snap[1].target->labels.at("env") == "prod");
  REQUIRE(snap[1].latest);
  CHECK(snap[1].last_success == t0);

  // The removed target's results are dropped; re-adding it starts fresh.
  store.record("127.0.0.2:25/smtp", result(true, true, t0 + 60s));
  store.set_targets({target("127.0.0.2:25")});
  snap = store.snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].latest == nullptr);
  CHECK(snap[0].last_handshake == nullptr);
  CHECK(store.counters().success == 2);  // counters are totals since start
}

TEST_CASE("duplicate keys in set_targets: the first wins") {
  ResultStore store;
  store.set_targets({target("127.0.0.1:25", {{"n", "1"}}), target("127.0.0.1:25", {{"n", "2"}})});
  const auto snap = store.snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].target->labels.at("n") == "1");
}

TEST_CASE("snapshots stay valid after later writes") {
  ResultStore store;
  store.set_targets({target("127.0.0.1:25")});
  store.record("127.0.0.1:25/smtp", result(true, true, t0));
  const auto before = store.snapshot();
  store.record("127.0.0.1:25/smtp", result(false, false, t0 + 60s));
  store.set_targets(std::vector<TargetInfo>{});
  CHECK(before[0].latest->started == t0);
  CHECK(before[0].target->endpoint == "127.0.0.1:25");
  CHECK(store.snapshot().empty());
}

TEST_CASE("phase histograms count every recorded phase per module, bucket by le") {
  ResultStore store;
  store.set_targets(
      {target("127.0.0.1:25"), target("127.0.0.2:25"), target("127.0.0.1:143", {}, "imap")});
  auto probe = std::make_shared<ProbeResult>();
  probe->phases = {{Phase::connect, 0.001}, {Phase::tls_handshake, 0.02}, {Phase::quit, 30}};
  store.record("127.0.0.1:25/smtp", probe);
  store.record("127.0.0.2:25/smtp", probe);
  store.record("127.0.0.9:25/smtp", probe);  // not a target: not counted
  auto imap = std::make_shared<ProbeResult>();
  imap->phases = {{Phase::capability, 0.0011}};
  store.record("127.0.0.1:143/imap", imap);

  auto all = store.phase_histograms();
  REQUIRE(all.size() == 2);
  const auto& smtp = all.at("smtp");
  const auto& connect = smtp[static_cast<std::size_t>(Phase::connect)];
  CHECK(connect.count() == 2);
  CHECK(connect.counts()[0] == 2);  // 0.001 is le="0.001": bounds are inclusive
  CHECK(connect.sum_seconds() == doctest::Approx(0.002));
  const auto& handshake = smtp[static_cast<std::size_t>(Phase::tls_handshake)];
  CHECK(handshake.counts()[4] == 2);  // le="0.025"
  const auto& quit = smtp[static_cast<std::size_t>(Phase::quit)];
  CHECK(quit.counts().back() == 2);  // above the last bound: +Inf
  CHECK(smtp[static_cast<std::size_t>(Phase::banner)].count() == 0);
  CHECK(all.at("imap")[static_cast<std::size_t>(Phase::capability)].counts()[1] == 1);

  // A reload keeps the counts of modules still in use and drops the others.
  store.set_targets({target("127.0.0.1:25")});
  all = store.phase_histograms();
  CHECK(all.size() == 1);
  CHECK(all.at("smtp")[static_cast<std::size_t>(Phase::connect)].count() == 2);
}
