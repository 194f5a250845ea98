#include <doctest/doctest.h>

#include <asio/ip/tcp.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "probe_test_util.hpp"
#include "starttls_exporter/metrics/collector.hpp"

using namespace probe_test;
using starttls_exporter::testing::SmtpBehaviour;
using starttls_exporter::testing::SmtpTestServer;

namespace {

bool contains(const std::vector<std::string>& lines, const std::string& want) {
  return std::find(lines.begin(), lines.end(), want) != lines.end();
}

}  // namespace

TEST_CASE("a healthy server probes successfully, with every phase and the facts") {
  SmtpTestServer server(with_cert(SmtpBehaviour::normal));
  const auto out = run(spec_for(server.port()));
  const ProbeResult& r = out.result;
  CHECK(r.success);
  CHECK_FALSE(r.failure.has_value());
  CHECK(r.starttls_advertised == std::optional<bool>(true));
  std::vector<Phase> phases;
  for (const auto& p : r.phases) {
    phases.push_back(p.phase);
    CHECK(p.seconds >= 0);
  }
  CHECK(phases == std::vector<Phase>{Phase::connect, Phase::banner, Phase::ehlo, Phase::starttls,
                                     Phase::tls_handshake, Phase::verify, Phase::quit});
  CHECK(r.duration_seconds > 0);
  CHECK(r.started.time_since_epoch().count() > 0);
  REQUIRE(r.tls.has_value());
  REQUIRE_FALSE(r.tls->chain.empty());
  CHECK(r.tls->chain[0].sha256_hex == testing::sha256_hex_of_pem(pki().good.cert_pem));
  REQUIRE(r.verify.has_value());
  CHECK(r.verify->verified);
  CHECK(contains(r.transcript, "C: EHLO probe.test"));
  CHECK(contains(r.transcript, "S: 250-STARTTLS"));
  CHECK(contains(r.transcript, "S: 220 2.0.0 Ready to start TLS"));
  CHECK(contains(r.transcript, "C: QUIT"));
  CHECK_FALSE(contains(r.transcript, "S: 221"));  // not awaited, as Postfix does
  CHECK(server.wait_finished(1, 5s));
  CHECK(server.tls_established());
  CHECK(server.received() == std::vector<std::string>{"EHLO probe.test", "STARTTLS", "QUIT"});
}

TEST_CASE("without record_transcript the result carries no dialogue log") {
  SmtpTestServer server(with_cert(SmtpBehaviour::normal));
  auto spec = spec_for(server.port());
  spec.record_transcript = false;
  const auto out = run(spec);
  CHECK(out.result.success);
  CHECK(out.result.transcript.empty());
}

TEST_CASE("a slow multiline greeting is read whole before the prober speaks") {
  SmtpTestServer server(with_cert(SmtpBehaviour::slow_multiline_greeting));
  const auto out = run(spec_for(server.port()));
  CHECK(out.result.success);
  CHECK(contains(out.result.transcript, "S: 220-mx.test ESMTP greeting line 3"));
  CHECK(server.wait_finished(1, 5s));
  CHECK_FALSE(server.client_spoke_early());
  CHECK(server.received().front() == "EHLO probe.test");
}

// Each hostile behaviour of the issue, with a healthy probe running beside it on the same
// io_context (run_beside_healthy checks that one).
TEST_CASE("failing servers fail in the right phase with the right reason") {
  struct Case {
    SmtpBehaviour behaviour;
    Phase phase;
    std::set<FailureReason> reasons;
    int smtp_code;
    std::optional<bool> advertised;
    std::chrono::milliseconds timeout = 5s;
    std::string_view detail_has = {};  ///< a substring of Failure::detail
  };
  using R = FailureReason;
  const Case cases[] = {
      {SmtpBehaviour::silent, Phase::banner, {R::timeout}, 0, {}, 1s},
      {SmtpBehaviour::greeting_byte_per_second, Phase::banner, {R::timeout}, 0, {}, 1s},
      {SmtpBehaviour::greeting_554, Phase::banner, {R::rejected_permanent}, 554, {}},
      {SmtpBehaviour::greeting_421, Phase::banner, {R::rejected_temporary}, 421, {}},
      {SmtpBehaviour::close_after_accept, Phase::banner, {R::connection_closed}, 0, {}},
      {SmtpBehaviour::close_after_ehlo, Phase::ehlo, {R::connection_closed}, 0, {}},
      {SmtpBehaviour::close_after_starttls,
       Phase::tls_handshake,
       {R::connection_closed, R::connection_reset},
       0,
       true},
      {SmtpBehaviour::ehlo_refused_helo_ok,
       Phase::starttls,
       {R::starttls_not_offered},
       502,
       false,
       5s,
       "EHLO refused with 502"},
      {SmtpBehaviour::no_starttls, Phase::starttls, {R::starttls_not_offered}, 0, false},
      {SmtpBehaviour::starttls_454, Phase::starttls, {R::rejected_temporary}, 454, true},
      {SmtpBehaviour::huge_line, Phase::banner, {R::reply_too_long}, 0, {}},
      {SmtpBehaviour::garbage_greeting, Phase::banner, {R::malformed_reply}, 0, {}},
      {SmtpBehaviour::many_continuation_lines, Phase::banner, {R::reply_too_long}, 0, {}},
      {SmtpBehaviour::response_injection, Phase::starttls, {R::response_injection}, 0, true},
      {SmtpBehaviour::silent_after_starttls, Phase::tls_handshake, {R::timeout}, 0, true, 1s},
      {SmtpBehaviour::reset_mid_handshake, Phase::tls_handshake, {R::connection_reset}, 0, true},
      {SmtpBehaviour::tls_alert,
       Phase::tls_handshake,
       {R::tls_alert_received},
       0,
       true,
       5s,
       "Handshake failed"},  // GnuTLS' name of the handshake_failure alert
  };
  for (const auto& c : cases) {
    CAPTURE(static_cast<int>(c.behaviour));
    SmtpTestServer server(with_cert(c.behaviour));
    const auto out = run_beside_healthy(spec_for(server.port()), c.timeout);
    const ProbeResult& r = out.result;
    CHECK_FALSE(r.success);
    REQUIRE(r.failure.has_value());
    CAPTURE(r.failure->detail);
    CHECK(to_string(r.failure->phase) == to_string(c.phase));
    CHECK_MESSAGE(c.reasons.count(r.failure->reason) == 1, to_string(r.failure->reason));
    CHECK(r.failure->smtp_code == c.smtp_code);
    CHECK(r.starttls_advertised == c.advertised);
    CHECK(has_phase(r, c.phase));
    CHECK_FALSE(r.tls.has_value());
    CHECK_FALSE(r.verify.has_value());
    CHECK(out.ended <= out.deadline + deadline_slack);
    CHECK_FALSE(r.transcript.empty());
    CHECK(r.failure->detail.find(c.detail_has) != std::string::npos);
  }
}

TEST_CASE("injected plaintext never reaches TLS and nothing follows STARTTLS") {
  SmtpTestServer server(with_cert(SmtpBehaviour::response_injection));
  const auto out = run(spec_for(server.port()));
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->reason == FailureReason::response_injection);
  CHECK_FALSE(has_phase(out.result, Phase::tls_handshake));
  CHECK(server.wait_finished(1, 5s));
  CHECK(server.received() == std::vector<std::string>{"EHLO probe.test", "STARTTLS"});
}

TEST_CASE("HELO fallback and polite QUIT after a refusal") {
  SmtpTestServer server(with_cert(SmtpBehaviour::ehlo_refused_helo_ok));
  const auto out = run(spec_for(server.port()));
  CHECK(server.wait_finished(1, 5s));
  CHECK(server.received() ==
        std::vector<std::string>{"EHLO probe.test", "HELO probe.test", "QUIT"});
  CHECK(has_phase(out.result, Phase::quit));
  CHECK_FALSE(out.result.success);  // QUIT succeeding does not turn a failure into success
}

TEST_CASE("connect failures") {
  // A port that was just free: nothing listens there.
  std::uint16_t closed_port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = acceptor.local_endpoint().port();
  }
  auto out = run(spec_for(closed_port));
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->phase == Phase::connect);
  CHECK(out.result.failure->reason == FailureReason::connection_refused);
  CHECK_FALSE(out.result.starttls_advertised.has_value());

  auto bad = spec_for(25);
  bad.address = "not an address";
  out = run(bad);
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->reason == FailureReason::connect_error);
  CHECK(out.result.phases.size() == 1);
}

TEST_CASE("an expired deadline fails at once with timeout in connect") {
  SmtpTestServer server(with_cert(SmtpBehaviour::normal));
  const auto out = run(spec_for(server.port()), 0ms);
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->phase == Phase::connect);
  CHECK(out.result.failure->reason == FailureReason::timeout);
}

TEST_CASE("a silent server does not delay a concurrent healthy probe") {
  SmtpTestServer silent(with_cert(SmtpBehaviour::silent));
  SmtpTestServer healthy(with_cert(SmtpBehaviour::normal));
  asio::io_context io;
  const auto silent_deadline = Clock::now() + 3s;
  std::optional<ProbeResult> silent_result, healthy_result;
  Clock::time_point healthy_ended{};
  asio::co_spawn(io, prober::run_probe(spec_for(silent.port()), silent_deadline),
                 [&](std::exception_ptr, ProbeResult r) { silent_result = std::move(r); });
  asio::co_spawn(io, prober::run_probe(spec_for(healthy.port()), Clock::now() + 5s),
                 [&](std::exception_ptr, ProbeResult r) {
                   healthy_result = std::move(r);
                   healthy_ended = Clock::now();
                 });
  io.run();
  REQUIRE(healthy_result.has_value());
  REQUIRE(silent_result.has_value());
  CHECK(healthy_result->success);
  CHECK(healthy_ended < silent_deadline);
  REQUIRE(silent_result->failure.has_value());
  CHECK(silent_result->failure->reason == FailureReason::timeout);
}

TEST_CASE("an EHLO name with CRLF is refused as an internal error, not sent") {
  SmtpTestServer server(with_cert(SmtpBehaviour::normal));
  auto spec = spec_for(server.port());
  spec.ehlo_name = "x\r\nMAIL FROM:<a@b>";
  const auto out = run(spec);
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->phase == Phase::ehlo);
  CHECK(out.result.failure->reason == FailureReason::internal_error);
  CHECK(server.wait_finished(1, 5s));
  CHECK(server.received().empty());
}

TEST_CASE("scripted replies: codes and STARTTLS detection") {
  struct Case {
    const char* name;
    std::vector<std::string> replies;  // the greeting, then one reply per command received
    Phase phase;
    FailureReason reason;
    int smtp_code;
    std::optional<bool> advertised;
  };
  using R = FailureReason;
  const Case cases[] = {
      {"EHLO 421",
       {"220 mx\r\n", "421 4.7.0 bye\r\n"},
       Phase::ehlo,
       R::rejected_temporary,
       421,
       {}},
      {"EHLO and HELO refused",
       {"220 mx\r\n", "502 5.5.2 no\r\n", "550 5.7.1 go away\r\n"},
       Phase::ehlo,
       R::rejected_permanent,
       550,
       {}},
      {"lowercase STARTTLS on the final line, then 554",
       {"220 mx\r\n", "250-mx\r\n250 starttls\r\n", "554 5.7.0 no\r\n"},
       Phase::starttls,
       R::rejected_permanent,
       554,
       true},
      {"STARTTLS not the first word",
       {"220 mx\r\n", "250-mx\r\n250 X-NOT STARTTLS\r\n"},
       Phase::starttls,
       R::starttls_not_offered,
       0,
       false},
      {"greeting with code 250", {"250 mx\r\n"}, Phase::banner, R::malformed_reply, 250, {}},
      {"mixed codes in EHLO reply",
       {"220 mx\r\n", "250-mx\r\n251 STARTTLS\r\n"},
       Phase::ehlo,
       R::malformed_reply,
       0,
       {}},
  };
  for (const auto& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    testing::SmtpServerOptions options;
    options.script = [replies = c.replies](testing::SmtpPeer& peer) {
      if (!peer.send(replies.front())) return;
      for (std::size_t i = 1; i < replies.size(); ++i) {
        if (!peer.read_line() || !peer.send(replies[i])) return;
      }
      peer.wait_for_close();
    };
    SmtpTestServer server(options);
    const auto out = run(spec_for(server.port()), 2s);
    REQUIRE(out.result.failure.has_value());
    CAPTURE(out.result.failure->detail);
    CHECK(out.result.failure->phase == c.phase);
    CHECK(out.result.failure->reason == c.reason);
    CHECK(out.result.failure->smtp_code == c.smtp_code);
    CHECK(out.result.starttls_advertised == c.advertised);
  }
}

TEST_CASE("a probe whose chain verdict comes from the cache gives the same series") {
  // A chain no other test presents: the first probe judges it, the second finds it cached.
  const auto cert = pki().ca.issue({});
  SmtpTestServer server(with_cert(SmtpBehaviour::normal, cert));
  const auto page = [&] {
    const auto out = run(spec_for(server.port()));
    REQUIRE(out.result.success);
    // Every series but the timings, at one reference time.
    const auto text = metrics::render_text(
        metrics::probe_families(out.result, SystemTime(std::chrono::seconds(1'800'000'000)),
                                config::MetricsSettings::all()));
    std::string kept;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("duration") == std::string::npos) kept += line + "\n";
    }
    return kept;
  };
  const std::string miss = page();
  const std::string hit = page();
  CHECK(miss.find("probe_ssl_earliest_cert_expiry") != std::string::npos);
  CHECK(hit == miss);
}
