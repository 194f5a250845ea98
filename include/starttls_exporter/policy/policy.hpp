#pragma once
/// \file
/// The mail policy (src/policy): which verification rule a sender applies to one address and
/// whether the probe passes it. In domain mode that is DANE where the MX host has usable TLSA
/// records (RFC 7672), else PKIX against the MX host name; `targets:` entries use PKIX as
/// configured. MTA-STS joins here.

#include <optional>
#include <string>

#include <set>
#include <vector>

#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/dns/mail_path.hpp"

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
  std::string matched_pattern;  ///< the policy's first mx pattern the MX host matches
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

/// Why a client does not use a published TLSA record.
enum class TlsaUnusable {
  pkix_usage,             ///< usage 0 or 1: unusable for SMTP (RFC 7672 §3.1.3) only
  unknown_usage,          ///< usage above 3
  unknown_selector,       ///< selector above 1
  unknown_matching_type,  ///< matching type above 2
  weaker_digest,          ///< a stronger matching type exists for its usage and selector
};
std::string_view to_string(TlsaUnusable why) noexcept;

/// For each record of an RRset, in order: nullopt when a client under `rules` uses it, else
/// why not. Usable: usage 2 or 3 (SMTP, RFC 7672 §3.1.3) or 0 to 3 (services, RFC 7671),
/// selector 0 or 1, matching type 0, 1 or 2, and of those, for each usage and selector, only
/// the strongest matching type published (RFC 7671 §9 digest agility: SHA2-512 over SHA2-256
/// over exact, OpenSSL's default order, which Postfix uses).
std::vector<std::optional<TlsaUnusable>> judge_tlsa_records(
    const std::vector<dane::TlsaRecord>& records, dane::DaneRules rules);

/// The records judge_tlsa_records() finds usable, in order.
std::vector<dane::TlsaRecord> usable_records(const std::vector<dane::TlsaRecord>& records,
                                             dane::DaneRules rules);

/// DANE's verdict for one handshake (RFC 7672): whether DANE applies (§2.2: usable secure
/// records, or a TLSA lookup a sender defers on), and when it does, whether a usable record
/// authenticates the chain: DANE-EE by the leaf alone, names and dates ignored (§3.1.1);
/// DANE-TA through a path that verifies, is in date, and ends in a leaf naming a reference
/// name (§3.2.2). Also which records matched, how many matched nothing, rollover readiness (a
/// DANE-TA match, or a DANE-EE match beside a DANE-EE record for another key), and the failure
/// a sender would log. Pure: `chain` is what src/tls_client found with GnuTLS.
dane::DaneCheck judge_dane(const dane::TlsaLookup& tlsa, const dane::ChainFacts& chain);

/// How the leaf of a certificate_file compares with the leaf the server served: current when
/// they are the same certificate (SHA-256); different when they share no subjectAltName (the
/// file is another name's) or were issued at the same second; else renewed_not_served when
/// the file's was issued later (a renewal the daemon has not loaded) and file_older when
/// earlier. Never unreadable: a file that was read has a leaf.
CertificateFileStatus certificate_file_status(const CertificateFacts& file_leaf,
                                              const CertificateFacts& served_leaf);

/// "3 1 1 HEX": a TLSA record in presentation form, data in lower-case hex.
std::string format_tlsa(const dane::TlsaRecord& record);

/// A mail domain as senders see it: deliverable only when every address passes.
struct DomainVerdict {
  bool success = false;
  /// The path's reasons, plus address_failed when an address's last probe did not pass
  /// (or it has none yet) and dane_failed when DANE failed one.
  std::set<dns::DomainFailure> failures;
  std::size_t failing = 0;  ///< addresses whose last probe did not pass, or that have none
};

/// probe_domain_success, the probe command's exit status and every report: the domain
/// resolved (`path`, the last resolution; null before one), has at least one probed address,
/// no failure reason, and each address's `latest` result (null: none yet) passed the sender's
/// rule (judge()).
DomainVerdict judge_domain(const dns::MailPath* path,
                           const std::vector<const ProbeResult*>& latest);

}  // namespace starttls_exporter::policy
