// policy::judge_dane with plain values: when DANE applies (RFC 7672 §2.2), how DANE-EE and
// DANE-TA authenticate (§3.1.1, §3.2), which failure a sender logs, and rollover readiness.
#include <doctest/doctest.h>

#include "starttls_exporter/policy/policy.hpp"

using namespace starttls_exporter;
using dane::DaneFailure;
using dane::TlsaStatus;

namespace {

dane::TlsaRecord record(std::uint8_t usage, std::uint8_t byte) {
  return {usage, 1, 1, std::vector<std::uint8_t>(32, byte)};
}

dane::TlsaLookup secure(std::vector<dane::TlsaRecord> records) {
  dane::TlsaLookup lookup;
  lookup.status = TlsaStatus::secure;
  lookup.secure = true;
  lookup.records = std::move(records);
  return lookup;
}

dane::ChainFacts chain(std::vector<dane::RecordFacts> records, bool names = true) {
  dane::ChainFacts facts;
  facts.presented = true;
  facts.leaf_names_match = names;
  facts.chain_records = {"3 1 1 aa", "2 1 1 bb"};
  facts.records = std::move(records);
  return facts;
}

const dane::RecordFacts kLeaf{true, {}};
const dane::RecordFacts kNothing{false, {}};
dane::RecordFacts anchor(bool verifies, bool in_date) {
  return {false, {{verifies, in_date}}};
}

}  // namespace

TEST_CASE("DANE applies only to usable secure records, or to a lookup a sender defers on") {
  for (const auto status : {TlsaStatus::none, TlsaStatus::insecure, TlsaStatus::not_applicable}) {
    dane::TlsaLookup lookup;
    lookup.status = status;
    CHECK_FALSE(policy::judge_dane(lookup, chain({})).applies);
  }
  dane::TlsaLookup bogus;
  bogus.status = TlsaStatus::bogus;
  const auto deferred = policy::judge_dane(bogus, chain({}));
  CHECK(deferred.applies);
  CHECK(deferred.failure == DaneFailure::tlsa_bogus);
  bogus.status = TlsaStatus::failed;
  CHECK(policy::judge_dane(bogus, chain({})).failure == DaneFailure::tlsa_lookup_failed);
  // Only PKIX usages published: unusable for SMTP (§3.1.3), so DANE does not apply.
  const auto pkix = policy::judge_dane(secure({record(1, 1)}), chain({}));
  CHECK_FALSE(pkix.applies);
  CHECK(pkix.usable_records == 0);
  CHECK(pkix.leaf_record == "3 1 1 aa");
}

TEST_CASE(
    "DANE-EE: the leaf alone, names and dates ignored; a spare record makes a rollover ready") {
  const auto matched = policy::judge_dane(secure({record(3, 1)}), chain({kLeaf}, false));
  CHECK(matched.applies);
  CHECK(matched.matched);
  CHECK_FALSE(matched.failure);
  CHECK(matched.matched_records.size() == 1);
  CHECK(matched.matched_records.front().data.empty());  // association data dropped
  CHECK_FALSE(matched.rollover_ready);
  const auto spare =
      policy::judge_dane(secure({record(3, 1), record(3, 2)}), chain({kLeaf, kNothing}));
  CHECK(spare.rollover_ready);
  CHECK(spare.unmatched_records == 1);
  const auto none = policy::judge_dane(secure({record(3, 1)}), chain({kNothing}));
  CHECK_FALSE(none.matched);
  CHECK(none.failure == DaneFailure::no_match);
}

TEST_CASE("DANE-TA: the path must verify, be in date and end in a leaf with a reference name") {
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({anchor(true, true)})).matched);
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({anchor(true, true)})).rollover_ready);
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({anchor(false, true)})).failure ==
        DaneFailure::ta_chain_invalid);
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({anchor(true, false)})).failure ==
        DaneFailure::ta_expired);
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({anchor(true, true)}, false)).failure ==
        DaneFailure::ta_name_mismatch);
  // Only DANE-TA records and no certificate sent matches one.
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({kNothing})).failure ==
        DaneFailure::ta_not_presented);
  // A second path that passes authenticates although the first failed.
  const dane::RecordFacts two{false, {{false, true}, {true, true}}};
  CHECK(policy::judge_dane(secure({record(2, 1)}), chain({two})).matched);
  // A DANE-EE match decides even when a DANE-TA record's path fails.
  const auto mixed =
      policy::judge_dane(secure({record(2, 1), record(3, 2)}), chain({anchor(false, true), kLeaf}));
  CHECK(mixed.matched);
  CHECK_FALSE(mixed.failure);
}

TEST_CASE("no chain sent: every usable record is unmatched") {
  dane::ChainFacts nothing;
  const auto out = policy::judge_dane(secure({record(3, 1), record(2, 2)}), nothing);
  CHECK(out.applies);
  CHECK(out.unmatched_records == 2);
  CHECK(out.failure == DaneFailure::no_match);
}
