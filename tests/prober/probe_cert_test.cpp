#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "probe_test_util.hpp"

using namespace probe_test;
using starttls_exporter::testing::CertSpec;
using starttls_exporter::testing::IssuedCert;
using starttls_exporter::testing::SmtpBehaviour;
using starttls_exporter::testing::SmtpTestServer;

namespace {

bool has_reason(const VerifyVerdict& verdict, FailureReason reason) {
  return std::find(verdict.reasons.begin(), verdict.reasons.end(), reason) != verdict.reasons.end();
}

CertSpec expired_spec() {
  CertSpec spec;
  spec.not_before = std::chrono::system_clock::now() - std::chrono::hours(48);
  spec.not_after = std::chrono::system_clock::now() - std::chrono::hours(24);
  return spec;
}

CertSpec named(std::string name) {
  CertSpec spec;
  spec.common_name = name;
  spec.dns_names = {name};
  return spec;
}

}  // namespace

TEST_CASE("certificate problems fail in verify, with the facts recorded first") {
  const testing::TestCa other_ca("Unrelated CA");
  struct Case {
    const char* name;
    IssuedCert cert;
    FailureReason reason;
  };
  const Case cases[] = {
      {"expired", pki().ca.issue(expired_spec()), FailureReason::cert_expired},
      {"self-signed", testing::make_self_signed({}), FailureReason::cert_self_signed},
      {"wrong name", pki().ca.issue(named("other.test")), FailureReason::cert_hostname_mismatch},
      {"untrusted", other_ca.issue({}), FailureReason::cert_untrusted},
  };
  for (const auto& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    SmtpTestServer server(with_cert(SmtpBehaviour::normal, c.cert));
    const auto out = run(spec_for(server.port()));
    const ProbeResult& r = out.result;
    CHECK_FALSE(r.success);
    REQUIRE(r.failure.has_value());
    CHECK(r.failure->phase == Phase::verify);
    CHECK(r.failure->reason == c.reason);
    REQUIRE(r.tls.has_value());
    REQUIRE_FALSE(r.tls->chain.empty());
    CHECK(r.tls->chain[0].sha256_hex == testing::sha256_hex_of_pem(c.cert.cert_pem));
    REQUIRE(r.verify.has_value());
    CHECK_FALSE(r.verify->verified);
    CHECK(has_reason(*r.verify, c.reason));
    CHECK(has_phase(r, Phase::quit));  // QUIT is still sent over TLS after a verify failure
    CHECK(server.wait_finished(1, 5s));
    CHECK(server.received().back() == "QUIT");
  }
}

TEST_CASE("without a server name the hostname is not checked") {
  SmtpTestServer server(with_cert(SmtpBehaviour::normal, pki().ca.issue(named("other.test"))));
  const auto out = run(spec_for(server.port(), ""));
  CHECK(out.result.success);
}

TEST_CASE("a 64 KiB certificate completes the handshake and verifies") {
  CertSpec spec;
  spec.padding_extension_bytes = 64 * 1024;
  const IssuedCert big = pki().ca.issue(spec);
  SmtpTestServer server(with_cert(SmtpBehaviour::normal, big));
  const auto out = run_beside_healthy(spec_for(server.port()));
  CHECK(out.result.success);
  CHECK(out.ended <= out.deadline + deadline_slack);
  REQUIRE(out.result.tls.has_value());
  REQUIRE(out.result.tls->chain.size() == 1);
  CHECK(out.result.tls->chain[0].sha256_hex == testing::sha256_hex_of_pem(big.cert_pem));
}

// src/tls raises GnuTLS' verification depth (16) to 40, so such a chain is valid; a depth
// over 40 would be cert_invalid.
TEST_CASE("a chain of 30 intermediates is reported whole and verifies") {
  const IssuedCert deep = pki().ca.issue_with_intermediates({}, 30);
  SmtpTestServer server(with_cert(SmtpBehaviour::normal, deep));
  const auto out = run_beside_healthy(spec_for(server.port()));
  const ProbeResult& r = out.result;
  CHECK(out.ended <= out.deadline + deadline_slack);
  REQUIRE(r.tls.has_value());
  REQUIRE(r.tls->chain.size() == 31);
  CHECK(r.tls->chain[0].sha256_hex == testing::sha256_hex_of_pem(deep.cert_pem));
  REQUIRE(r.verify.has_value());
  CHECK(r.verify->verified);
  CHECK(r.verify->reasons.empty());
  CHECK(r.success);
  CHECK_FALSE(r.failure.has_value());
}
