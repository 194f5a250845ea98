// check_dane on chains built in-process: usage x selector x matching type semantics, the
// RFC 7672 §3.2.2 name rule for DANE-TA, the records offered for the served chain, rollover.
#include <doctest/doctest.h>
#include <gnutls/x509.h>

#include "dane_match.hpp"
#include "starttls_exporter/policy/policy.hpp"
#include "test_pki.hpp"
#include "tlsa_fixtures.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;

namespace {

/// The certificates of a PEM chain, leaf first.
std::vector<tls::CrtPtr> chain_of(const std::string& pem) {
  std::vector<tls::CrtPtr> out;
  const std::string begin = "-----BEGIN CERTIFICATE-----";
  for (auto at = pem.find(begin); at != std::string::npos; at = pem.find(begin, at + 1)) {
    const auto end = pem.find(begin, at + 1);
    const std::string one = pem.substr(at, end == std::string::npos ? std::string::npos : end - at);
    gnutls_x509_crt_t crt = nullptr;
    REQUIRE(gnutls_x509_crt_init(&crt) == 0);
    out.emplace_back(crt);
    gnutls_datum_t datum{reinterpret_cast<unsigned char*>(const_cast<char*>(one.data())),
                         static_cast<unsigned>(one.size())};
    REQUIRE(gnutls_x509_crt_import(crt, &datum, GNUTLS_X509_FMT_PEM) == 0);
  }
  return out;
}

/// "3 1 1 HEX" etc. for certificate `index` of `chain`, from the check's own offer.
std::string offered(const std::vector<tls::CrtPtr>& chain, std::size_t index) {
  const auto check = tls::check_dane(chain, expecting({}), std::chrono::system_clock::now());
  return check.chain_records.at(index);
}

}  // namespace

TEST_CASE("check_dane: DANE-EE and DANE-TA by SPKI SHA-256 match; the offers name each cert") {
  const TestCa ca;
  const auto issued = ca.issue_with_intermediates({}, 1);  // leaf, intermediate
  const auto chain = chain_of(issued.chain_pem);
  REQUIRE(chain.size() == 2);
  const auto now = std::chrono::system_clock::now();
  const std::string leaf = offered(chain, 0), issuer = offered(chain, 1);
  CHECK(leaf.starts_with("3 1 1 "));
  CHECK(issuer.starts_with("2 1 1 "));
  CHECK(leaf.size() == 6 + 64);

  const auto ee = tls::check_dane(chain, expecting({leaf}), now);
  CHECK(ee.applies);
  CHECK(ee.matched);
  CHECK(ee.usable_records == 1);
  CHECK(ee.leaf_record == leaf);
  CHECK_FALSE(ee.rollover_ready);  // no next key published beside it

  const auto ta = tls::check_dane(chain, expecting({issuer}), now);
  CHECK(ta.matched);
  CHECK(ta.rollover_ready);  // a new leaf from the same CA keeps matching

  // A DANE-EE record of another key: no match, and the leaf's record is what to publish.
  const auto other = chain_of(ca.issue({}).cert_pem);
  const auto wrong = tls::check_dane(chain, expecting({offered(other, 0)}), now);
  CHECK(wrong.applies);
  CHECK_FALSE(wrong.matched);
  CHECK(wrong.failure == dane::DaneFailure::no_match);
  CHECK(wrong.leaf_record == leaf);

  // The current key plus the next one: ready for the rollover.
  CHECK(tls::check_dane(chain, expecting({leaf, offered(other, 0)}), now).rollover_ready);
}

TEST_CASE("check_dane: DANE-TA needs the leaf to name a reference name (RFC 7672 §3.2.2)") {
  const TestCa ca;
  const auto chain = chain_of(ca.issue_with_intermediates({}, 1).chain_pem);  // names mx.test
  const auto now = std::chrono::system_clock::now();
  const std::string issuer = offered(chain, 1);
  CHECK(tls::check_dane(chain, expecting({issuer}, {"mx.test"}), now).matched);
  const auto named_other = tls::check_dane(chain, expecting({issuer}, {"other.test"}), now);
  CHECK_FALSE(named_other.matched);
  CHECK(named_other.failure == dane::DaneFailure::ta_name_mismatch);
  // DANE-EE ignores names (RFC 7672 §3.1.1).
  CHECK(tls::check_dane(chain, expecting({offered(chain, 0)}, {"other.test"}), now).matched);
}

TEST_CASE("check_dane: only unusable records, DANE does not apply; bogus and failed defer") {
  const TestCa ca;
  const auto chain = chain_of(ca.issue({}).cert_pem);
  const auto now = std::chrono::system_clock::now();
  std::string pkix = offered(chain, 0);
  pkix[0] = '1';  // PKIX-EE: unusable for SMTP
  const auto only_pkix = tls::check_dane(chain, expecting({pkix}), now);
  CHECK_FALSE(only_pkix.applies);
  CHECK(only_pkix.usable_records == 0);

  auto bogus = expecting({});
  bogus.tlsa.status = dane::TlsaStatus::bogus;
  const auto deferred = tls::check_dane(chain, bogus, now);
  CHECK(deferred.applies);
  CHECK(deferred.failure == dane::DaneFailure::tlsa_bogus);
  auto failed = expecting({});
  failed.tlsa.status = dane::TlsaStatus::failed;
  CHECK(tls::check_dane(chain, failed, now).failure == dane::DaneFailure::tlsa_lookup_failed);
}

TEST_CASE("check_dane, services: PKIX-EE and PKIX-TA match and need PKIX validation (RFC 7671)") {
  const TestCa ca;
  const auto chain = chain_of(ca.issue_with_intermediates({}, 1).chain_pem);  // names mx.test
  const auto now = std::chrono::system_clock::now();
  const auto service = [](std::vector<std::string> records) {
    auto out = expecting(std::move(records));
    out.tlsa.rules = dane::DaneRules::service;
    return out;
  };
  std::string pkix_ee = offered(chain, 0), pkix_ta = offered(chain, 1);
  pkix_ee[0] = '1';
  pkix_ta[0] = '0';
  // Under SMTP's rules both are unusable: DANE does not apply.
  CHECK_FALSE(tls::check_dane(chain, expecting({pkix_ee, pkix_ta}), now, true).applies);
  for (const auto& record : {pkix_ee, pkix_ta}) {
    CAPTURE(record);
    const auto verified = tls::check_dane(chain, service({record}), now, true);
    CHECK(verified.applies);
    CHECK(verified.usable_records == 1);
    CHECK(verified.matched);
    const auto unverified = tls::check_dane(chain, service({record}), now, false);
    CHECK(unverified.applies);
    CHECK_FALSE(unverified.matched);
    CHECK(unverified.failure == dane::DaneFailure::pkix_invalid);
  }
  // PKIX-TA names a CA sent above the leaf: the leaf's own key does not match it.
  std::string leaf_as_ta = offered(chain, 0);
  leaf_as_ta[0] = '0';
  const auto not_ca = tls::check_dane(chain, service({leaf_as_ta}), now, true);
  CHECK_FALSE(not_ca.matched);
  CHECK(not_ca.failure == dane::DaneFailure::ta_not_presented);
  // A PKIX-EE record of another key fails even when PKIX passes.
  std::string other = offered(chain_of(ca.issue({}).cert_pem), 0);
  other[0] = '1';
  CHECK_FALSE(tls::check_dane(chain, service({other}), now, true).matched);
  // DANE-EE and DANE-TA keep their rules for services (RFC 7671 §5.1, §5.2).
  CHECK(tls::check_dane(chain, service({offered(chain, 0)}), now, false).matched);
  CHECK(tls::check_dane(chain, service({offered(chain, 1)}), now, false).matched);
}

TEST_CASE("policy: which published TLSA records a sender uses (RFC 7672 §3.1.3, RFC 7671 §9)") {
  const auto record = [](std::uint8_t u, std::uint8_t s, std::uint8_t m) {
    return dane::TlsaRecord{u, s, m, {1, 2}};
  };
  const std::vector<dane::TlsaRecord> published{record(3, 1, 1), record(3, 1, 2), record(2, 0, 1),
                                                record(0, 0, 1), record(3, 2, 1), record(3, 1, 3),
                                                record(4, 1, 1)};
  const auto judged = policy::judge_tlsa_records(published, dane::DaneRules::smtp);
  REQUIRE(judged.size() == 7);
  CHECK(judged[0] == policy::TlsaUnusable::weaker_digest);  // 3 1 2 is published too
  CHECK_FALSE(judged[1]);
  CHECK_FALSE(judged[2]);
  CHECK(judged[3] == policy::TlsaUnusable::pkix_usage);
  CHECK(judged[4] == policy::TlsaUnusable::unknown_selector);
  CHECK(judged[5] == policy::TlsaUnusable::unknown_matching_type);
  CHECK(judged[6] == policy::TlsaUnusable::unknown_usage);
  CHECK(policy::usable_records({record(3, 1, 1), record(0, 0, 1)}, dane::DaneRules::smtp).size() ==
        1);
  // Any other TLS client uses all four usages (RFC 7671); the other rules are the same.
  const auto service = policy::judge_tlsa_records(published, dane::DaneRules::service);
  CHECK_FALSE(service[3]);
  CHECK(service[0] == policy::TlsaUnusable::weaker_digest);
  CHECK(service[6] == policy::TlsaUnusable::unknown_usage);
  CHECK(
      policy::usable_records({record(1, 1, 1), record(0, 0, 1)}, dane::DaneRules::service).size() ==
      2);
  CHECK(policy::format_tlsa(record(3, 1, 1)) == "3 1 1 0102");
}
