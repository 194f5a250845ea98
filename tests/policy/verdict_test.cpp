// policy::judge and policy::judge_key_types: which rule a sender applies, and its verdict.
#include <doctest/doctest.h>

#include "starttls_exporter/policy/policy.hpp"

using namespace starttls_exporter;

namespace {

VerifyVerdict pkix(bool verified) {
  VerifyVerdict v;
  v.verified = verified;
  if (!verified) v.reasons = {FailureReason::cert_self_signed};
  return v;
}

dane::DaneCheck dane_check(bool applies, bool matched) {
  dane::DaneCheck d;
  d.status = dane::TlsaStatus::secure;
  d.applies = applies;
  d.usable_records = applies ? 1 : 0;
  d.matched = matched;
  if (applies && !matched) d.failure = dane::DaneFailure::no_match;
  return d;
}

KeyTypeHandshake key_type(KeyType type, std::optional<dane::DaneCheck> dane) {
  KeyTypeHandshake k;
  k.key_type = type;
  k.completed = dane.has_value();
  k.dane = std::move(dane);
  return k;
}

}  // namespace

TEST_CASE("without DANE, PKIX decides; with DANE, a match decides and PKIX is not required") {
  auto verdict = policy::judge(pkix(true), std::nullopt);
  CHECK(verdict.applied.pkix);
  CHECK_FALSE(verdict.failure);
  verdict = policy::judge(pkix(false), std::nullopt);
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->reason == FailureReason::cert_self_signed);
  verdict = policy::judge(pkix(false), dane_check(false, false));  // no usable record
  CHECK(verdict.applied.pkix);
  CHECK_FALSE(verdict.applied.dane);
  verdict = policy::judge(pkix(false), dane_check(true, true));
  CHECK(verdict.applied.dane);
  CHECK_FALSE(verdict.applied.pkix);
  CHECK_FALSE(verdict.failure);
  verdict = policy::judge(pkix(true), dane_check(true, false));  // PKIX cannot rescue it
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->reason == FailureReason::dane_failed);
  CHECK(verdict.failure->phase == Phase::verify);
}

TEST_CASE("a key type whose certificate matches no record fails a main DANE match") {
  auto main = dane_check(true, true);
  const std::vector<KeyTypeHandshake> both_match{key_type(KeyType::ecdsa, dane_check(true, true)),
                                                 key_type(KeyType::rsa, dane_check(true, true))};
  CHECK_FALSE(policy::judge_key_types(main, both_match));
  CHECK_FALSE(main.failure);

  // The server has no RSA certificate: that handshake failed, which is not a DANE failure.
  const std::vector<KeyTypeHandshake> no_rsa{key_type(KeyType::ecdsa, dane_check(true, true)),
                                             key_type(KeyType::rsa, std::nullopt)};
  CHECK_FALSE(policy::judge_key_types(main, no_rsa));

  const std::vector<KeyTypeHandshake> rsa_unmatched{
      key_type(KeyType::ecdsa, dane_check(true, true)),
      key_type(KeyType::rsa, dane_check(true, false))};
  const auto failure = policy::judge_key_types(main, rsa_unmatched);
  REQUIRE(failure);
  CHECK(failure->reason == FailureReason::dane_failed);
  CHECK(failure->detail.find("rsa") != std::string::npos);
  CHECK(main.failure == dane::DaneFailure::key_type_no_match);

  // A main handshake that did not match already failed for its own reason: left alone.
  auto unmatched = dane_check(true, false);
  CHECK_FALSE(policy::judge_key_types(unmatched, rsa_unmatched));
  CHECK(unmatched.failure == dane::DaneFailure::no_match);
  // Without DANE there is nothing to judge per key type.
  auto none = dane_check(false, false);
  CHECK_FALSE(policy::judge_key_types(none, rsa_unmatched));
  CHECK_FALSE(none.failure);
}

TEST_CASE("an enforce MTA-STS policy: the MX host must match and PKIX verify; DANE still counts") {
  const policy::MtaStsRequirement matching{true, "mx.example.com"}, mismatching{false, ""};
  auto verdict = policy::judge(pkix(true), std::nullopt, matching);
  CHECK(verdict.applied.mta_sts);
  CHECK_FALSE(verdict.applied.pkix);
  CHECK_FALSE(verdict.failure);
  verdict = policy::judge(pkix(true), std::nullopt, mismatching);
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->reason == FailureReason::mta_sts_mx_mismatch);
  verdict = policy::judge(pkix(false), std::nullopt, matching);
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->reason == FailureReason::cert_self_signed);
  // RFC 8461 §2: DANE, where it applies, is required as well; a DANE match does not replace
  // the policy's PKIX requirement.
  verdict = policy::judge(pkix(false), dane_check(true, true), matching);
  CHECK(verdict.applied.dane);
  CHECK(verdict.applied.mta_sts);
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->reason == FailureReason::cert_self_signed);
  verdict = policy::judge(pkix(true), dane_check(true, false), matching);
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->reason == FailureReason::dane_failed);
  // Without a requirement, the two-argument rule.
  verdict = policy::judge(pkix(false), dane_check(true, true), std::nullopt);
  CHECK_FALSE(verdict.failure);
}
