// run_probe with each protocol's dialogue against scripted servers (line_protocol_scripts):
// success in STARTTLS and implicit mode, the pre-TLS auth report, and each failure path.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "line_protocol_scripts.hpp"
#include "probe_test_util.hpp"

using namespace probe_test;
using starttls_exporter::config::Protocol;
using starttls_exporter::config::TlsMode;
using starttls_exporter::testing::LineStep;
using starttls_exporter::testing::SmtpTestServer;
namespace support = starttls_exporter::testing;

namespace {

prober::ProbeSpec spec_of(const SmtpTestServer& server, Protocol protocol,
                          TlsMode mode = TlsMode::starttls) {
  auto spec = spec_for(server.port());
  spec.protocol = protocol;
  spec.tls_mode = mode;
  return spec;
}

support::SmtpServerOptions scripted(std::vector<LineStep> steps, bool implicit = false) {
  support::SmtpServerOptions options;
  options.cert = pki().good;
  options.script = support::line_script(std::move(steps), implicit);
  return options;
}

std::vector<Phase> phases_of(const ProbeResult& r) {
  std::vector<Phase> out;
  for (const auto& p : r.phases) out.push_back(p.phase);
  return out;
}

std::string failure_text(const ProbeResult& r) {
  return r.failure ? std::string(to_string(r.failure->phase)) + " " +
                         std::string(to_string(r.failure->reason)) + " " + r.failure->detail
                   : std::string("none");
}

/// Checks that `r` failed in `phase` with `reason`.
void check_failed(const ProbeResult& r, Phase phase, FailureReason reason) {
  REQUIRE(r.failure.has_value());
  CAPTURE(r.failure->detail);
  CHECK(r.failure->phase == phase);
  CHECK(r.failure->reason == reason);
}

struct SuccessCase {
  const char* name;
  Protocol protocol;
  std::vector<LineStep> steps;
  std::vector<Phase> phases;
  std::optional<bool> plaintext_auth;
  std::vector<std::string> received;
};

}  // namespace

TEST_CASE("every protocol's STARTTLS dialogue succeeds against a well-behaved server") {
  using P = Phase;
  const std::vector<P> imap{P::connect,       P::banner, P::capability, P::starttls,
                            P::tls_handshake, P::verify, P::logout};
  const std::vector<P> pop3{P::connect,       P::banner, P::capability, P::starttls,
                            P::tls_handshake, P::verify, P::quit};
  const std::vector<P> sieve{P::connect, P::banner,     P::starttls, P::tls_handshake,
                             P::verify,  P::capability, P::logout};
  const std::vector<P> smtp{P::connect,       P::banner, P::ehlo, P::starttls,
                            P::tls_handshake, P::verify, P::quit};
  const std::vector<P> lmtp{P::connect,       P::banner, P::lhlo, P::starttls,
                            P::tls_handshake, P::verify, P::quit};
  const SuccessCase cases[] = {
      {"imap, LOGINDISABLED",
       Protocol::imap,
       support::imap_steps(false),
       imap,
       false,
       {"A1 CAPABILITY", "A2 STARTTLS", "A3 LOGOUT"}},
      {"imap, AUTH=PLAIN before TLS", Protocol::imap, support::imap_steps(true), imap, true, {}},
      {"pop3, empty SASL",
       Protocol::pop3,
       support::pop3_steps(false),
       pop3,
       false,
       {"CAPA", "STLS", "QUIT"}},
      {"pop3, USER before TLS", Protocol::pop3, support::pop3_steps(true), pop3, true, {}},
      {"sieve, empty SASL",
       Protocol::sieve,
       support::sieve_steps(false),
       sieve,
       false,
       {"STARTTLS", "LOGOUT"}},
      {"sieve, SASL PLAIN before TLS",
       Protocol::sieve,
       support::sieve_steps(true),
       sieve,
       true,
       {}},
      {"submission without AUTH",
       Protocol::submission,
       support::smtp_steps("EHLO", false),
       smtp,
       false,
       {"EHLO probe.test", "STARTTLS", "QUIT"}},
      {"submission with AUTH",
       Protocol::submission,
       support::smtp_steps("EHLO", true),
       smtp,
       true,
       {}},
      {"smtp does not report AUTH",
       Protocol::smtp,
       support::smtp_steps("EHLO", true),
       smtp,
       {},
       {}},
      {"lmtp",
       Protocol::lmtp,
       support::smtp_steps("LHLO"),
       lmtp,
       {},
       {"LHLO probe.test", "STARTTLS", "QUIT"}},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    SmtpTestServer server(scripted(c.steps));
    const auto out = run(spec_of(server, c.protocol));
    const ProbeResult& r = out.result;
    CHECK_MESSAGE(r.success, failure_text(r));
    CHECK(phases_of(r) == c.phases);
    CHECK(r.starttls_advertised == std::optional<bool>(true));
    CHECK(r.plaintext_auth_offered == c.plaintext_auth);
    REQUIRE(r.tls.has_value());
    CHECK(r.verify->verified);
    CHECK(server.wait_finished(1, 5s));  // SMTP's QUIT is not awaited: the server may lag
    CHECK(server.tls_established());
    if (!c.received.empty()) CHECK(server.received() == c.received);
  }
}

TEST_CASE("implicit TLS: handshake first, then the greeting and the polite end over TLS") {
  struct Case {
    const char* name;
    Protocol protocol;
    std::string script;
    std::vector<std::string> received;
    Phase quit;
  };
  const Case cases[] = {
      {"smtps", Protocol::smtp, "smtp", {"QUIT"}, Phase::quit},
      {"submissions", Protocol::submission, "smtp", {"QUIT"}, Phase::quit},
      {"imaps", Protocol::imap, "imap", {"A1 LOGOUT"}, Phase::logout},
      {"pop3s", Protocol::pop3, "pop3", {"QUIT"}, Phase::quit},
      {"sieve over implicit TLS", Protocol::sieve, "sieve", {"LOGOUT"}, Phase::logout},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    SmtpTestServer server(scripted(support::implicit_steps(c.script), true));
    const auto out = run(spec_of(server, c.protocol, TlsMode::implicit));
    const ProbeResult& r = out.result;
    CHECK_MESSAGE(r.success, failure_text(r));
    CHECK(phases_of(r) == std::vector<Phase>{Phase::connect, Phase::tls_handshake, Phase::verify,
                                             Phase::banner, c.quit});
    CHECK_FALSE(r.starttls_advertised.has_value());
    CHECK_FALSE(r.plaintext_auth_offered.has_value());
    REQUIRE(r.tls.has_value());
    CHECK(server.wait_finished(1, 5s));
    CHECK(server.received() == c.received);
  }
}

TEST_CASE("protocol failures: phase, reason, advertised STARTTLS and the polite end") {
  struct Case {
    const char* name;
    Protocol protocol;
    std::vector<LineStep> steps;
    Phase phase;
    FailureReason reason;
    std::optional<bool> advertised;
    std::vector<std::string> received;  ///< what the client sent, polite end included
  };
  using P = Protocol;
  using R = FailureReason;
  const auto bye = "* BYE LOGOUT received\r\n{tag} OK done\r\n";
  const Case cases[] = {
      {"imap BYE greeting",
       P::imap,
       {{"", "* BYE too busy\r\n"}},
       Phase::banner,
       R::rejected_temporary,
       {},
       {}},
      {"imap garbage greeting",
       P::imap,
       {{"", "HTTP/1.1 400 Bad Request\r\n"}},
       Phase::banner,
       R::malformed_reply,
       {},
       {}},
      {"imap without STARTTLS",
       P::imap,
       {{"", "* OK ready\r\n"},
        {"CAPABILITY", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"},
        {"LOGOUT", bye}},
       Phase::starttls,
       R::starttls_not_offered,
       false,
       {"A1 CAPABILITY", "A2 LOGOUT"}},
      {"imap STARTTLS refused",
       P::imap,
       {{"", "* OK ready\r\n"},
        {"CAPABILITY", "* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"},
        {"STARTTLS", "{tag} NO not now\r\n"},
        {"LOGOUT", bye}},
       Phase::starttls,
       R::rejected_permanent,
       true,
       {"A1 CAPABILITY", "A2 STARTTLS", "A3 LOGOUT"}},
      {"imap CAPABILITY BAD",
       P::imap,
       {{"", "* OK ready\r\n"}, {"CAPABILITY", "{tag} BAD what\r\n"}, {"LOGOUT", bye}},
       Phase::capability,
       R::rejected_permanent,
       {},
       {"A1 CAPABILITY", "A2 LOGOUT"}},
      {"imap plaintext after the STARTTLS OK",
       P::imap,
       {{"", "* OK ready\r\n"},
        {"CAPABILITY", "* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"},
        {"STARTTLS", "{tag} OK go\r\n* OK injected\r\n"}},
       Phase::starttls,
       R::response_injection,
       true,
       {"A1 CAPABILITY", "A2 STARTTLS"}},
      {"pop3 -ERR greeting",
       P::pop3,
       {{"", "-ERR go away\r\n"}},
       Phase::banner,
       R::rejected_permanent,
       {},
       {}},
      {"pop3 without STLS",
       P::pop3,
       {{"", "+OK ready\r\n"}, {"CAPA", "+OK\r\nUSER\r\n.\r\n"}, {"QUIT", "+OK bye\r\n"}},
       Phase::starttls,
       R::starttls_not_offered,
       false,
       {"CAPA", "QUIT"}},
      {"pop3 CAPA refused",
       P::pop3,
       {{"", "+OK ready\r\n"}, {"CAPA", "-ERR unknown command\r\n"}, {"QUIT", "+OK bye\r\n"}},
       Phase::starttls,
       R::starttls_not_offered,
       false,
       {"CAPA", "QUIT"}},
      {"pop3 STLS refused",
       P::pop3,
       {{"", "+OK ready\r\n"},
        {"CAPA", "+OK\r\nSTLS\r\n.\r\n"},
        {"STLS", "-ERR not now\r\n"},
        {"QUIT", "+OK bye\r\n"}},
       Phase::starttls,
       R::rejected_permanent,
       true,
       {"CAPA", "STLS", "QUIT"}},
      {"pop3 garbage CAPA",
       P::pop3,
       {{"", "+OK ready\r\n"}, {"CAPA", "* OK what\r\n"}},
       Phase::capability,
       R::malformed_reply,
       {},
       {"CAPA"}},
      {"sieve BYE greeting",
       P::sieve,
       {{"", "BYE \"too busy\"\r\n"}},
       Phase::banner,
       R::rejected_temporary,
       {},
       {}},
      {"sieve without STARTTLS",
       P::sieve,
       {{"", "\"IMPLEMENTATION\" \"x\"\r\nOK \"ready\"\r\n"}, {"LOGOUT", "OK \"bye\"\r\n"}},
       Phase::starttls,
       R::starttls_not_offered,
       false,
       {"LOGOUT"}},
      {"sieve STARTTLS refused",
       P::sieve,
       {{"", "\"STARTTLS\"\r\nOK \"ready\"\r\n"},
        {"STARTTLS", "NO \"not now\"\r\n"},
        {"LOGOUT", "OK \"bye\"\r\n"}},
       Phase::starttls,
       R::rejected_permanent,
       true,
       {"STARTTLS", "LOGOUT"}},
      {"sieve garbage capability line",
       P::sieve,
       {{"", "hello there\r\nOK \"ready\"\r\n"}},
       Phase::banner,
       R::malformed_reply,
       {},
       {}},
      {"lmtp LHLO refused: no HELO fallback",
       P::lmtp,
       {{"", "220 lmtp.test LMTP\r\n"}, {"LHLO", "500 what\r\n"}, {"QUIT", "221 bye\r\n"}},
       Phase::lhlo,
       R::rejected_permanent,
       {},
       {"LHLO probe.test", "QUIT"}},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    SmtpTestServer server(scripted(c.steps));
    const auto out = run(spec_of(server, c.protocol), 3s);
    const ProbeResult& r = out.result;
    check_failed(r, c.phase, c.reason);
    CHECK(r.failure->smtp_code == (c.protocol == P::lmtp ? 500 : 0));
    CHECK(r.starttls_advertised == c.advertised);
    CHECK_FALSE(r.tls.has_value());
    CHECK(server.wait_finished(1, 5s));
    CHECK(server.received() == c.received);
  }
}

TEST_CASE("text protocols: replies are bounded and the deadline holds") {
  struct Case {
    const char* name;
    Protocol protocol;
    std::vector<LineStep> steps;
    Phase phase;
    FailureReason reason;
  };
  const std::string long_line(8 * 1024, 'a');
  std::string many_lines;
  for (int i = 0; i < 1000; ++i) many_lines += "X-CAP-" + std::to_string(i) + "\r\n";
  const Case cases[] = {
      {"imap greeting longer than a line may be",
       Protocol::imap,
       {{"", "* OK " + long_line}},
       Phase::banner,
       FailureReason::reply_too_long},
      {"pop3 CAPA with too many lines",
       Protocol::pop3,
       {{"", "+OK ready\r\n"}, {"CAPA", "+OK\r\n" + many_lines + ".\r\n"}},
       Phase::capability,
       FailureReason::reply_too_long},
      {"sieve greeting with a control byte",
       Protocol::sieve,
       {{"", "\"X\"\x01\r\nOK\r\n"}},
       Phase::banner,
       FailureReason::malformed_reply},
      {"imap silent after the greeting",
       Protocol::imap,
       {{"", "* OK ready\r\n"}},
       Phase::capability,
       FailureReason::timeout},
      {"pop3 silent", Protocol::pop3, {}, Phase::banner, FailureReason::timeout},
      {"sieve silent after STARTTLS",
       Protocol::sieve,
       {{"", "\"STARTTLS\"\r\nOK \"ready\"\r\n"}, {"STARTTLS", ""}},
       Phase::starttls,
       FailureReason::timeout},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    SmtpTestServer server(scripted(c.steps));
    const auto out = run_beside_healthy(spec_of(server, c.protocol), 1s);
    const ProbeResult& r = out.result;
    check_failed(r, c.phase, c.reason);
    CHECK(out.ended <= out.deadline + deadline_slack + 1s);
  }
}
