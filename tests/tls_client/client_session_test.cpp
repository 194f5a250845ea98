// ClientSession against in-process loopback TLS servers: facts, verdicts, failure reasons.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "loopback.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;
using std::chrono::system_clock;

namespace {

const TestCa& test_ca() {
  static const TestCa ca("Test Root CA");
  return ca;
}

ClientRun handshake_with(const IssuedCert& cert, ClientOptions options = {},
                         TlsServerOptions server = {}) {
  if (!options.trust) options.trust = trust_of(test_ca());
  LoopbackServer server_thread(serve_tls(cert, server));
  return run_client(server_thread.port(), options);
}

system_clock::time_point whole_seconds(system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

TEST_CASE("a valid certificate verifies and its facts are reported") {
  CertSpec spec;
  spec.ip_addresses = {"127.0.0.1"};
  const auto cert = test_ca().issue(spec);
  const auto run = handshake_with(cert);
  REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
  CHECK(run.verdict.verified);
  CHECK(run.verdict.reasons.empty());
  CHECK(run.facts.version == "TLS 1.3");
  CHECK(run.facts.cipher.rfind("TLS_", 0) == 0);
  CHECK_FALSE(run.facts.group.empty());
  REQUIRE(run.facts.chain.size() == 1);
  const auto& leaf = run.facts.chain[0];
  CHECK(leaf.subject == "CN=mx.test");
  CHECK(leaf.issuer == "CN=Test Root CA");
  CHECK(leaf.dns_names == std::vector<std::string>{"mx.test", "127.0.0.1"});
  CHECK(leaf.serial_hex == cert.serial_hex);
  CHECK(leaf.sha256_hex == sha256_hex_of_pem(cert.cert_pem));
  CHECK(leaf.not_after == whole_seconds(spec.not_after));
  CHECK(leaf.not_before == whole_seconds(spec.not_before));
  CHECK(run.reply == "221 bye\r\n");  // write_all and read_some after the handshake
}

TEST_CASE("SNI is sent for a host name, never for an IP literal") {
  CertSpec spec;
  spec.ip_addresses = {"127.0.0.1"};
  const auto cert = test_ca().issue(spec);
  struct Case {
    const char* server_name;
    const char* want_sni;
  };
  for (const Case c : {Case{"mx.test", "mx.test"}, Case{"127.0.0.1", ""}}) {
    CAPTURE(c.server_name);
    std::string seen = "(no handshake)";
    LoopbackServer server([&](int fd) {
      TlsServerSession session(fd, cert);
      if (session.handshake()) seen = session.client_server_name();
      session.bye();
      drain_until_eof(fd);
    });
    const auto run = run_client(server.port(), {trust_of(test_ca()), c.server_name});
    CHECK(run.outcome.completed);
    CHECK(run.verdict.verified);  // the IP is checked against the iPAddress SAN
    CHECK(seen == c.want_sni);
  }
}

TEST_CASE("verification failures complete the handshake and name their reasons") {
  const auto now = system_clock::now();
  const TestCa other_ca("Other Root CA");
  CertSpec expired;
  expired.not_before = now - 24h * 60;
  expired.not_after = now - 24h;
  CertSpec sha1;
  sha1.sha1_signature = true;
  CertSpec future;
  future.not_before = now + 24h;
  future.not_after = now + 24h * 60;
  struct Case {
    const char* name;
    IssuedCert cert;
    std::string server_name;
    std::vector<FailureReason> want;
  };
  const Case cases[] = {
      {"expired", test_ca().issue(expired), "mx.test", {FailureReason::cert_expired}},
      {"not yet valid", test_ca().issue(future), "mx.test", {FailureReason::cert_not_yet_valid}},
      {"self-signed", make_self_signed({}), "mx.test", {FailureReason::cert_self_signed}},
      {"SHA-1 signature",
       test_ca().issue(sha1),
       "mx.test",
       {FailureReason::cert_insecure_algorithm}},
      {"wrong name", test_ca().issue({}), "other.test", {FailureReason::cert_hostname_mismatch}},
      {"other CA", other_ca.issue({}), "mx.test", {FailureReason::cert_untrusted}},
      {"other CA and wrong name",
       other_ca.issue({}),
       "other.test",
       {FailureReason::cert_untrusted, FailureReason::cert_hostname_mismatch}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ClientOptions options;
    options.server_name = c.server_name;
    const auto run = handshake_with(c.cert, options);
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    CHECK_FALSE(run.verdict.verified);
    CHECK(run.verdict.reasons == c.want);
    REQUIRE(run.facts.chain.size() == 1);
    CHECK(run.facts.chain[0].sha256_hex == sha256_hex_of_pem(c.cert.cert_pem));
  }
}

TEST_CASE("the system trust store does not trust the test CA") {
  const auto run = handshake_with(test_ca().issue({}), {tls::TrustStore::system(), "mx.test"});
  REQUIRE(run.outcome.completed);
  CHECK(run.verdict.reasons == std::vector{FailureReason::cert_untrusted});
}

TEST_CASE("older protocol versions complete and are reported") {
  struct Case {
    const char* priorities;
    const char* want;
  };
  const Case cases[] = {{"NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS 1.2"},
                        {"NORMAL:-VERS-ALL:+VERS-TLS1.1", "TLS 1.1"},
                        {"NORMAL:-VERS-ALL:+VERS-TLS1.0", "TLS 1.0"}};
  const auto cert = test_ca().issue({});
  for (const auto& c : cases) {
    CAPTURE(c.priorities);
    const auto run = handshake_with(cert, {}, {c.priorities});
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    CHECK(run.facts.version == c.want);
    CHECK_FALSE(run.facts.cipher.empty());
    CHECK(run.verdict.verified);
    CHECK(run.reply == "221 bye\r\n");
  }
}

TEST_CASE("long chains and large certificates are handled") {
  SUBCASE("30 certificates") {
    const auto cert = test_ca().issue_with_intermediates({}, 29);
    const auto run = handshake_with(cert);
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    REQUIRE(run.facts.chain.size() == 30);
    CHECK(run.facts.chain[0].subject == "CN=mx.test");
    CHECK(run.facts.chain[29].issuer == "CN=Test Root CA");
    CHECK(run.verdict.verified);
  }
  SUBCASE("a 64 KiB certificate") {
    CertSpec spec;
    spec.padding_extension_bytes = 64 * 1024;
    const auto cert = test_ca().issue(spec);
    REQUIRE(pem_to_der(cert.cert_pem).size() > 64 * 1024);
    const auto run = handshake_with(cert);
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    REQUIRE(run.facts.chain.size() == 1);
    CHECK(run.facts.chain[0].sha256_hex == sha256_hex_of_pem(cert.cert_pem));
    CHECK(run.verdict.verified);
  }
}
