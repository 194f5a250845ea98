// DANE end to end: TLSA records computed at test time from the test certificates are added to
// the signed zone tree of tests/dns/with_dns_zone.sh (secure.sxt., re-signed), one domain per
// case, each MX host on its own loopback address with its own SMTP server. app::Exporter
// resolves them, probes each address and judges it as a DANE sender would (RFC 7672). The
// module's CA is unrelated to every certificate, so PKIX never passes: success comes from
// DANE or not at all. Loopback only.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>

#include "dane_cases.hpp"
#include "env.hpp"
#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "oracle.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

std::string config_text(const TempDir& dir, const DaneCases& cases) {
  const std::string ca = dir.file("unrelated-ca.pem", TestCa("Unrelated CA").cert_pem());
  std::string text =
      "global:\n  interval: 1h\n  timeout: 3s\n"
      "modules:\n  m:\n    tls: {ca_file: " +
      ca + "}\n  k:\n    tls: {handshake_per_key_type: true, ca_file: " + ca +
      "}\n"
      "dns:\n  resolver: 127.0.0.1:" +
      dns_zone_env("DNS_TEST_PORT") +
      "\n  trust_anchor_file: " + dns_zone_env("DNS_TEST_TRUST_ANCHOR") +
      "\n  allowed_reserved_cidrs: [127.0.0.0/8]\n  address_family: ipv4\n"
      "  min_refresh: 1s\n  max_refresh: 2s\n"
      "domains:\n";
  for (const auto& c : cases.all()) {
    text += "  - {domain: " + c.domain + ", module: " + c.module() +
            ", port: " + std::to_string(cases.port()) + "}\n";
  }
  return text;
}

/// LABELS ("{a=\"b\"}") with `extra` ("c=\"d\"") added.
std::string with(const std::string& labels, const std::string& extra) {
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

void check_key_types(const std::string& page, const std::string& at, const DaneCase& c) {
  CHECK(sample(page, "probe_tls_key_type_handshake_success" + with(at, "key_type=\"ecdsa\"")) ==
        1.0);
  CHECK(sample(page, "probe_tls_key_type_handshake_success" + with(at, "key_type=\"rsa\"")) == 1.0);
  CHECK(sample(page, "probe_dane_key_type_match" + with(at, "key_type=\"ecdsa\"")) ==
        (*c.expect_ecdsa_match ? 1.0 : 0.0));
  CHECK(sample(page, "probe_dane_key_type_match" + with(at, "key_type=\"rsa\"")) ==
        (*c.expect_rsa_match ? 1.0 : 0.0));
  CHECK(sample(page, "probe_dane_key_type_leaf_tlsa_info" +
                         with(at, "key_type=\"ecdsa\",record=\"" + c.leaf_record + "\"")) == 1.0);
}

void check_case(const std::string& page, const DaneCases& cases, const DaneCase& c) {
  CAPTURE(c.domain);
  const std::string at = cases.labels(c);
  const std::string domain = "{domain=\"" + c.domain + "\",module=\"" + c.module() + "\"}";
  CHECK(sample(page, "probe_success" + at) == (c.expect_success ? 1.0 : 0.0));
  CHECK(sample(page, "probe_domain_success" + domain) == (c.expect_success ? 1.0 : 0.0));
  CHECK(sample(page, "probe_ssl_cert_verified" + at) == 0.0);  // PKIX never passes here
  CHECK(sample(page, "probe_dane_tlsa_records" + at) == static_cast<double>(c.usable));
  CHECK(sample(page, "probe_dane_dnssec_secure" + at) == (c.tlsa_secure ? 1.0 : 0.0));
  if (c.tlsa_secure && !c.expect_ecdsa_match) {  // what to publish for the presented leaf
    CHECK(sample(page, "probe_dane_leaf_tlsa_info" +
                           with(at, "record=\"" + c.leaf_record + "\"")) == 1.0);
  }
  if (c.tlsa_secure && c.usable > 0) {
    CHECK(sample(page, "probe_dane_tlsa_signature_expiry_timestamp_seconds" + at) >
          static_cast<double>(std::time(nullptr)));
  }
  if (c.expect_ecdsa_match) check_key_types(page, at, c);
  // A bogus TLSA answer is DANE applying and failing (the sender defers), never "no DANE".
  const bool applies = c.usable > 0 || c.expect_failure == "tlsa_bogus";
  if (!applies) {
    CHECK_FALSE(sample(page, "probe_dane_match" + at));
    CHECK(sample(page, "probe_verification_policy_info" + with(at, "policy=\"pkix\"")) == 1.0);
    return;
  }
  CHECK(sample(page, "probe_verification_policy_info" + with(at, "policy=\"dane\"")) == 1.0);
  // key_type_no_match: the main handshake matched, another key type's certificate did not.
  const bool main_matched = c.expect_success || c.expect_failure == "key_type_no_match";
  CHECK(sample(page, "probe_dane_match" + at) == (main_matched ? 1.0 : 0.0));
  if (!c.expect_failure.empty()) {
    CHECK(sample(page, "probe_dane_failure_info" +
                           with(at, "reason=\"" + c.expect_failure + "\"")) == 1.0);
    CHECK(sample(page, "probe_failure_info" +
                           with(at, "phase=\"verify\",reason=\"dane_failed\"")) == 1.0);
    CHECK(sample(page, "probe_domain_failure_info" + with(domain, "reason=\"dane_failed\"")) ==
          1.0);
  }
  if (c.expect_rollover) {
    CHECK(sample(page, "probe_dane_rollover_ready" + at) == (*c.expect_rollover ? 1.0 : 0.0));
  }
  if (c.expect_unmatched) {
    CHECK(sample(page, "probe_dane_tlsa_records_unmatched" + at) ==
          static_cast<double>(*c.expect_unmatched));
  }
}

}  // namespace

TEST_CASE("DANE: TLSA records judged as a DANE sender would, every case against real DNS") {
  DaneCases cases;
  cases.publish(dns_zone_env("DNS_TEST_ZONE_DIR"), dns_zone_env("DNS_ZONE_INSTANCE"));
  TempDir dir;
  app::Exporter exporter(local_exporter(dir.file("exporter.yml", config_text(dir, cases))));
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = get(exporter.port(), "/metrics").body;
        for (const auto& c : cases.all()) {
          if (!sample(page, "probe_success" + cases.labels(c))) return false;
        }
        return true;
      },
      kSettleDeadline));
  for (const auto& c : cases.all()) check_case(page, cases, c);
  // A matched record names its parameters; DANE-EE's data is never shown.
  CHECK(sample(page, "probe_dane_matched_record_info" +
                         with(cases.labels(cases.get("c-u3s1m1")),
                              "usage=\"3\",selector=\"1\",matching_type=\"1\"")) == 1.0);
  // The TLSA RRsets' signatures count in the domain's earliest signature expiry.
  CHECK(sample(page,
               "probe_dnssec_signature_expiry_timestamp_seconds{domain=\"c-u3s1m1.secure."
               "sxt\",module=\"m\"}") > 0);

  // The independent oracle: Postfix's own DANE client must reach the same verdict.
  if (const char* oracle = std::getenv("DANE_ORACLE")) {
    for (const auto& c : cases.all()) {
      CAPTURE(c.domain);
      const OracleAnswer answer = ask_oracle(oracle, c.domain + " " + std::to_string(cases.port()));
      CAPTURE(answer.output);
      REQUIRE(answer.verdict != 2);  // 0 verified by DANE, 1 not, 2 oracle broken
      // It gets one certificate of a dual-key server: the one matched record suffices for it.
      const bool key_type_blind = c.expect_failure == "key_type_no_match";
      CHECK((answer.verdict == 0) == (c.usable > 0 && (c.expect_success || key_type_blind)));
    }
  }
}
