#pragma once
/// \file
/// DANE for SMTP (RFC 7672, RFC 7671): what DNS published for an MX host (TlsaLookup, from
/// src/dns), what one probe is to check (DaneExpectation, in ProbeSpec) and what it found
/// (DaneCheck, in ProbeResult, computed by src/tls_client from the chain the server sent).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starttls_exporter::dane {

using SystemTime = std::chrono::system_clock::time_point;

/// One TLSA record (RFC 6698 §2.1).
struct TlsaRecord {
  std::uint8_t usage = 0;          ///< 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
  std::uint8_t selector = 0;       ///< 0 full certificate, 1 SubjectPublicKeyInfo
  std::uint8_t matching_type = 0;  ///< 0 exact, 1 SHA2-256, 2 SHA2-512
  std::vector<std::uint8_t> data;  ///< the certificate association data
  friend bool operator==(const TlsaRecord&, const TlsaRecord&) = default;
};

/// Whose rules a client applies to a TLSA RRset: an SMTP sender's, for an MX host (RFC 7672
/// §3.1.3: usages 2 and 3 only), or any other TLS client's, for a service found by SRV or a
/// configured host (RFC 7671, RFC 7673: all four usages; 0 and 1 also need the chain to pass
/// PKIX validation with the client's trust anchors and name, RFC 6698 §2.1.1).
enum class DaneRules { smtp, service };

/// How an MX host's TLSA lookup ended, as a DANE sender sees it (RFC 7672 §2.2).
enum class TlsaStatus {
  not_applicable,  ///< not looked up: the MX or address answers were not secure (§2.2.1, §2.2.2)
  none,            ///< no TLSA records (NXDOMAIN or NODATA)
  secure,          ///< DNSSEC-validated records: DANE applies when one is usable
  insecure,        ///< records without DNSSEC: ignored, as a sender ignores them
  bogus,           ///< validation failed: a DANE sender defers delivery
  failed,          ///< SERVFAIL, timeout or resolver error: a DANE sender defers too
};
std::string_view to_string(TlsaStatus status) noexcept;  ///< "secure", "bogus", ...

/// One MX host's TLSA RRset at _PORT._tcp.NAME.
struct TlsaLookup {
  TlsaStatus status = TlsaStatus::not_applicable;
  bool secure = false;              ///< the answer (records or their denial) validated
  std::string base_name;            ///< the TLSA base domain the answer is for (RFC 7672 §2.2.3)
  std::vector<TlsaRecord> records;  ///< only for TlsaStatus::secure
  std::string detail;               ///< why_bogus or the lookup error
  std::optional<SystemTime> signature_expiry;  ///< earliest RRSIG expiration of the answer
  DaneRules rules = DaneRules::smtp;           ///< how a client reads `records`
  friend bool operator==(const TlsaLookup&, const TlsaLookup&) = default;
};

/// What one probe checks: the MX host's TLSA lookup and the names a DANE-TA leaf may carry
/// (the MX host as published, its CNAME target, the TLSA base domain: RFC 7672 §3.2.2).
struct DaneExpectation {
  TlsaLookup tlsa;
  std::vector<std::string> reference_names;
  friend bool operator==(const DaneExpectation&, const DaneExpectation&) = default;
};

/// One way a DANE-TA record can authenticate the chain: through the certificate it matched (an
/// issuer the server sent) or one its key signed ("2 1 0"). What the TLS client found with
/// GnuTLS; src/policy judges it (RFC 7672 §3.2).
struct TaPath {
  bool verifies = false;  ///< the chain from the leaf up to that anchor verifies (dates aside)
  bool in_date = false;   ///< every certificate from the leaf up to that anchor is in date
  friend bool operator==(const TaPath&, const TaPath&) = default;
};

/// What the TLS client found for one usable record on the presented chain.
struct RecordFacts {
  bool leaf_matches = false;     ///< its association data is the leaf's (for its selector, type)
  std::vector<TaPath> ta_paths;  ///< DANE-TA, PKIX-TA: each anchor it names in the chain
  friend bool operator==(const RecordFacts&, const RecordFacts&) = default;
};

/// What one handshake presented, as DANE sees it: the input of policy::judge_dane.
struct ChainFacts {
  bool presented = false;         ///< the server sent a certificate
  bool leaf_names_match = false;  ///< the leaf names one of the reference names (§3.2.2)
  /// The chain passed PKIX validation (trust anchors, dates, the server name): what a PKIX-TA
  /// or PKIX-EE record needs besides its match (RFC 6698 §2.1.1). Only under DaneRules::service.
  bool pkix_verified = false;
  std::vector<std::string> chain_records;  ///< as DaneCheck::chain_records
  /// For each record of policy::usable_records(expectation.tlsa.records), in order; empty
  /// unless the lookup is secure.
  std::vector<RecordFacts> records;
};

/// Why DANE failed for one address. A fixed set: each value is one `reason` label of
/// probe_dane_failure_info.
enum class DaneFailure {
  tlsa_bogus,          ///< the TLSA answer failed DNSSEC validation
  tlsa_lookup_failed,  ///< the TLSA lookup failed (SERVFAIL, timeout, error)
  no_match,            ///< no usable record matches the presented chain
  ta_not_presented,    ///< only DANE-TA records, and no certificate sent matches one
  ta_chain_invalid,    ///< a DANE-TA record matched, but the chain up to it does not verify
  ta_name_mismatch,    ///< a DANE-TA record matched, but the leaf names none of the names
  ta_expired,          ///< a DANE-TA record matched, but a certificate up to it is out of date
  /// The main handshake matched, but one restricted to a key type (tls.handshake_per_key_type)
  /// got a certificate that no usable record matches: senders preferring it defer.
  key_type_no_match,
  /// A PKIX-TA or PKIX-EE record matched (services, RFC 7671), but the chain does not pass
  /// PKIX validation, which those usages also require (RFC 6698 §2.1.1).
  pkix_invalid,
};
std::string_view to_string(DaneFailure failure) noexcept;

/// DANE's verdict for one handshake.
struct DaneCheck {
  TlsaStatus status = TlsaStatus::not_applicable;
  bool tlsa_secure = false;        ///< the TLSA answer (records or denial) validated
  bool applies = false;            ///< usable secure records, or a TLSA failure (a sender defers)
  std::size_t usable_records = 0;  ///< usage 2/3, known selector and matching type, after
                                   ///< digest agility (RFC 7671 §9)
  bool matched = false;            ///< a usable record authenticated the server
  std::vector<TlsaRecord> matched_records;  ///< those that did (association data dropped)
  std::size_t unmatched_records = 0;        ///< usable records matching no presented certificate
  bool rollover_ready = false;              ///< see README "DANE": would survive a key change
  /// Set when applies and not matched, or (key_type_no_match) when a key type's handshake
  /// was not matched.
  std::optional<DaneFailure> failure;
  /// "3 1 1 HEX": the DANE-EE record for the presented leaf's key, what a domain publishes to
  /// authenticate it (next to the current records before a key change). Empty without a chain.
  std::string leaf_record;
  /// For each certificate sent, in order, the record that would match it: "3 1 1 HEX" for the
  /// leaf, "2 1 1 HEX" for each issuer (DANE-TA, RFC 7671 §5.2). What the report offers to
  /// publish; a DANE-TA record also needs the leaf to name the MX host (RFC 7672 §3.2.2).
  std::vector<std::string> chain_records;
  std::optional<SystemTime> tlsa_signature_expiry;  ///< earliest RRSIG expiry of the TLSA RRset
};

}  // namespace starttls_exporter::dane
