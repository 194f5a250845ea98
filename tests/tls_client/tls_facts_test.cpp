// ClientSession's TLS facts beyond the basics: key and signature algorithms, the chain as sent
// and its completeness, stapled OCSP responses, and protocol versions (including legacy-only).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "loopback.hpp"
#include "test_ocsp.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;
using std::chrono::system_clock;

namespace {

const TestCa& facts_ca() {
  static const TestCa ca("Facts Root CA");
  return ca;
}

ClientRun handshake_with(const IssuedCert& cert, TlsServerOptions server = {},
                         ClientOptions options = {}) {
  if (!options.trust) options.trust = trust_of(facts_ca());
  LoopbackServer server_thread(serve_tls(cert, std::move(server)));
  return run_client(server_thread.port(), options);
}

// The PEM blocks of a chain, in order.
std::vector<std::string> split_pem(const std::string& pem) {
  static const std::string kBegin = "-----BEGIN CERTIFICATE-----";
  std::vector<std::string> blocks;
  for (auto at = pem.find(kBegin); at != std::string::npos;) {
    const auto next = pem.find(kBegin, at + 1);
    blocks.push_back(pem.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  return blocks;
}

IssuedCert with_chain(IssuedCert cert, const std::vector<std::string>& blocks) {
  cert.chain_pem.clear();
  for (const auto& b : blocks) cert.chain_pem += b;
  return cert;
}

}  // namespace

TEST_CASE("the leaf's key and signature algorithms are reported") {
  const auto run = handshake_with(facts_ca().issue({}));
  REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
  REQUIRE(run.facts.chain.size() == 1);
  CHECK(run.facts.chain[0].public_key_algorithm == "ECDSA");
  CHECK(run.facts.chain[0].public_key_bits == 256);
  CHECK(run.facts.chain[0].signature_algorithm == "ECDSA-SHA256");
  CHECK(run.facts.negotiated == TlsVersion::tls1_3);
}

TEST_CASE("every certificate sent is reported in order, and the chain's completeness judged") {
  const auto cert = facts_ca().issue_with_intermediates({}, 2);
  const auto blocks = split_pem(cert.chain_pem);  // leaf, intermediate 2, intermediate 1
  REQUIRE(blocks.size() == 3);
  struct Case {
    const char* name;
    std::vector<std::string> sent;
    bool complete;
  };
  const Case cases[] = {
      {"complete up to the trust store", blocks, true},
      {"complete including the root",
       {blocks[0], blocks[1], blocks[2], facts_ca().cert_pem()},
       true},
      {"intermediate missing", {blocks[0], blocks[2]}, false},
      {"intermediates swapped", {blocks[0], blocks[2], blocks[1]}, false},
      {"last intermediate not issued by the trust store", {blocks[0], blocks[1]}, false},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    TlsServerOptions verbatim;
    verbatim.chain_verbatim = true;
    const auto run = handshake_with(with_chain(cert, c.sent), verbatim);
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    REQUIRE(run.facts.chain.size() == c.sent.size());
    for (std::size_t i = 0; i < c.sent.size(); ++i) {
      CHECK(run.facts.chain[i].sha256_hex == sha256_hex_of_pem(c.sent[i]));
    }
    CHECK(run.facts.chain_complete == c.complete);
  }
  const auto run = handshake_with(cert);
  CHECK(run.facts.chain[1].subject == "CN=Test Intermediate CA 2");
  CHECK(run.facts.chain[1].issuer == "CN=Test Intermediate CA 1");
  CHECK(run.facts.chain[2].issuer == "CN=Facts Root CA");
  CHECK(run.verdict.verified);
}

TEST_CASE("a lone self-signed certificate is a complete chain (but untrusted)") {
  const auto run = handshake_with(make_self_signed({}));
  REQUIRE(run.outcome.completed);
  CHECK(run.facts.chain_complete);
  CHECK_FALSE(run.verdict.verified);
}

TEST_CASE("a stapled OCSP response is reported and judged") {
  const auto cert = facts_ca().issue({});
  const auto next_update = system_clock::now() + 48h;
  struct Case {
    OcspCertStatus status;
    OcspStaple::Status want;
    bool verified;
  };
  for (const Case c : {Case{OcspCertStatus::good, OcspStaple::Status::good, true},
                       Case{OcspCertStatus::revoked, OcspStaple::Status::revoked, false}}) {
    CAPTURE(static_cast<int>(c.status));
    OcspResponseSpec spec;
    spec.status = c.status;
    spec.next_update = next_update;
    TlsServerOptions server;
    server.ocsp_response = make_ocsp_response(facts_ca(), cert, spec);
    const auto run = handshake_with(cert, server);
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    REQUIRE(run.facts.ocsp.has_value());
    REQUIRE(run.facts.ocsp->status.has_value());
    CHECK(*run.facts.ocsp->status == c.want);
    REQUIRE(run.facts.ocsp->next_update.has_value());
    CHECK(*run.facts.ocsp->next_update == std::chrono::floor<std::chrono::seconds>(next_update));
    CHECK(run.facts.ocsp->this_update.has_value());
    CHECK(run.facts.ocsp->revocation_time.has_value() == (c.want == OcspStaple::Status::revoked));
    CHECK(run.verdict.verified == c.verified);
    if (!c.verified) {
      CHECK(run.verdict.reasons == std::vector<FailureReason>{FailureReason::cert_revoked});
    }
  }
}

TEST_CASE("without stapling no OCSP response is reported") {
  const auto run = handshake_with(facts_ca().issue({}));
  REQUIRE(run.outcome.completed);
  CHECK_FALSE(run.facts.ocsp.has_value());
  CHECK(run.verdict.verified);
}

TEST_CASE("the negotiated version is reported for TLS 1.2 and 1.3 servers") {
  const auto cert = facts_ca().issue({});
  struct Case {
    const char* priorities;
    const char* version;
    TlsVersion negotiated;
  };
  for (const Case c : {Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS 1.2", TlsVersion::tls1_2},
                       Case{"NORMAL", "TLS 1.3", TlsVersion::tls1_3},
                       Case{"NORMAL:-VERS-ALL:+VERS-TLS1.0", "TLS 1.0", TlsVersion::tls1_0}}) {
    CAPTURE(c.priorities);
    const auto run = handshake_with(cert, {c.priorities});
    REQUIRE_MESSAGE(run.outcome.completed, run.outcome.detail);
    CHECK(run.facts.version == c.version);
    CHECK(run.facts.negotiated == c.negotiated);
  }
}

TEST_CASE("a legacy-only client completes only with servers that still accept TLS 1.0/1.1") {
  const auto cert = facts_ca().issue({});
  ClientOptions legacy;
  legacy.versions = tls::VersionOffer::legacy_only;
  struct Case {
    const char* priorities;
    bool accepted;
  };
  for (const Case c : {Case{"NORMAL:-VERS-ALL:+VERS-TLS1.0", true},
                       Case{"NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0", true},
                       Case{"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", false}}) {
    CAPTURE(c.priorities);
    const auto run = handshake_with(cert, {c.priorities}, legacy);
    CHECK(run.outcome.completed == c.accepted);
    if (c.accepted) {
      CHECK((run.facts.negotiated == TlsVersion::tls1_0 ||
             run.facts.negotiated == TlsVersion::tls1_1));
    } else {
      CHECK(run.outcome.reason != FailureReason::timeout);
    }
  }
}

TEST_CASE("a key-type-restricted client gets that key type's certificate, or no handshake") {
  CertSpec rsa_spec;
  rsa_spec.rsa_key = true;
  const auto ecdsa = facts_ca().issue({});
  const auto rsa = facts_ca().issue(rsa_spec);
  TlsServerOptions dual;
  dual.second_cert = rsa;
  struct Case {
    const char* name;
    TlsServerOptions server;
    std::optional<KeyType> offer;
    const char* presented;  // the leaf's key algorithm; nullptr: no handshake
  };
  for (const auto& priorities : {"NORMAL", "NORMAL:-VERS-ALL:+VERS-TLS1.2"}) {
    TlsServerOptions only_ecdsa{priorities};
    dual.priorities = priorities;
    for (const Case& c : {Case{"dual, ECDSA asked", dual, KeyType::ecdsa, "ECDSA"},
                          Case{"dual, RSA asked", dual, KeyType::rsa, "RSA"},
                          Case{"ECDSA only, RSA asked", only_ecdsa, KeyType::rsa, nullptr},
                          Case{"ECDSA only, ECDSA asked", only_ecdsa, KeyType::ecdsa, "ECDSA"}}) {
      CAPTURE(priorities);
      CAPTURE(c.name);
      ClientOptions options;
      options.key_type = c.offer;
      const auto run = handshake_with(ecdsa, c.server, options);
      REQUIRE(run.outcome.completed == (c.presented != nullptr));
      if (!c.presented) {
        CHECK(run.outcome.reason != FailureReason::timeout);
        continue;
      }
      REQUIRE_FALSE(run.facts.chain.empty());
      CHECK(run.facts.chain[0].public_key_algorithm == c.presented);
    }
  }
}
