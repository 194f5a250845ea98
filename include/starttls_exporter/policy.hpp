#pragma once
/// \file
/// The mail policy (src/policy): which verification rule a sender applies to one address and
/// whether the probe passes it. In domain mode that is DANE where the MX host has usable TLSA
/// records (RFC 7672), else PKIX against the MX host name; `targets:` entries use PKIX as
/// configured. MTA-STS joins here.

#include <optional>

#include "starttls_exporter/probe_result.hpp"

namespace starttls_exporter::policy {

struct Verdict {
  AppliedPolicies applied;
  std::optional<Failure> failure;  ///< nullopt: the address passes
};

/// DANE when it applies: the chain must match (PKIX is then not required, RFC 7672 §1.3 and
/// §3.1.1); a bogus or failed TLSA lookup fails as a DANE sender defers. Otherwise PKIX: the
/// first certificate reason fails (phase verify), all of them in the detail.
Verdict judge(const VerifyVerdict& pkix, const std::optional<dane::DaneCheck>& dane);

/// What a valid MTA-STS policy in enforce mode asks of one address (RFC 8461 §4): its MX host
/// matches a pattern, and its certificate verifies (PKIX) for the MX host name.
struct MtaStsRequirement {
  bool mx_matches = false;
  friend bool operator==(const MtaStsRequirement&, const MtaStsRequirement&) = default;
};

/// judge() plus the MTA-STS rule where `mta_sts` is set: DANE, where it applies, is still
/// required (RFC 8461 §2), and the MX host must match and PKIX verify.
Verdict judge(const VerifyVerdict& pkix, const std::optional<dane::DaneCheck>& dane,
              const std::optional<MtaStsRequirement>& mta_sts);

/// tls.handshake_per_key_type: a DANE match on the main handshake holds only when every key
/// type the server presented when asked for it matches too, since a sender preferring that
/// type gets that certificate. Returns the failure when one does not (and then sets
/// `main.failure` to key_type_no_match); nullopt when all match or DANE does not apply.
std::optional<Failure> judge_key_types(dane::DaneCheck& main,
                                       const std::vector<KeyTypeHandshake>& key_types);

}  // namespace starttls_exporter::policy
