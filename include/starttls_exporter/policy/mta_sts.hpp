#pragma once
/// \file
/// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) as text (src/policy): the `_mta-sts` and
/// `_smtp._tls` TXT records, the policy file, and MX host patterns. Pure functions over bytes
/// a domain publishes, so every input is untrusted: nothing here throws on bad input, and each
/// way an input breaks a rule has its own reason.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starttls_exporter::mta_sts {

/// Why the TXT records give no usable record. A fixed set of label values.
enum class RecordFailure {
  no_record,         ///< no TXT record begins with the version tag
  multiple_records,  ///< more than one does (RFC 8461 §3.1, RFC 8460 §3: then there is none)
  record_invalid,    ///< the one that does breaks the record grammar
  /// (metrics) the TXT lookup itself failed: SERVFAIL, bogus, timeout. A sender then acts as
  /// if there were no record, unless it holds a cached policy (RFC 8461 §3.1).
  lookup_failed,
};
std::string_view to_string(RecordFailure failure) noexcept;

/// The `_mta-sts.DOMAIN` record (RFC 8461 §3.1).
struct StsRecord {
  std::string id;  ///< 1-32 alphanumerics; a new id tells senders to fetch the policy again
};

struct StsRecordParse {
  std::optional<StsRecord> record;       ///< set exactly when `failure` is not
  std::optional<RecordFailure> failure;  ///< why there is no usable record
  std::string detail;                    ///< for record_invalid: which rule, in words
};

/// Judges the TXT records at `_mta-sts.DOMAIN` (each one's strings already concatenated).
/// Records that do not begin with "v=STSv1" are ignored, as RFC 8461 §3.1 tells senders.
StsRecordParse parse_sts_records(const std::vector<std::string>& txt_records);

/// The `_smtp._tls.DOMAIN` record (RFC 8460 §3).
struct TlsRptRecord {
  std::vector<std::string> rua;  ///< report destinations, `mailto:` or `https:` URIs
};

struct TlsRptRecordParse {
  std::optional<TlsRptRecord> record;
  std::optional<RecordFailure> failure;
  std::string detail;
};

/// Judges the TXT records at `_smtp._tls.DOMAIN`; those not beginning with "v=TLSRPTv1" are
/// ignored (RFC 8460 §3). A record needs at least one rua URI of scheme mailto or https.
TlsRptRecordParse parse_tlsrpt_records(const std::vector<std::string>& txt_records);

enum class Mode { enforce, testing, none };
std::string_view to_string(Mode mode) noexcept;

/// Each way a policy file breaks RFC 8461 §3.2. A fixed set of label values.
enum class PolicyProblem {
  line_invalid,          ///< a line that is not `key: value` (blank lines and NUL included)
  version_missing,       ///< no `version` field
  version_unsupported,   ///< `version` is not exactly STSv1
  mode_missing,          ///< no `mode` field
  mode_invalid,          ///< `mode` is not enforce, testing or none (case matters)
  max_age_missing,       ///< no `max_age` field
  max_age_invalid,       ///< `max_age` is not 1 to 10 digits
  max_age_out_of_range,  ///< `max_age` above 31557600 (one year)
  mx_missing,            ///< no `mx` field, and mode is not none
  mx_invalid,            ///< an `mx` value that is not a host name or `*.` and one
};
std::string_view to_string(PolicyProblem problem) noexcept;

/// The largest max_age RFC 8461 §3.2 allows, in seconds.
inline constexpr std::uint32_t kMaxAgeLimit = 31557600;

struct Policy {
  Mode mode = Mode::none;
  std::uint32_t max_age = 0;
  std::vector<std::string> mx;  ///< patterns, lower-cased, in file order
};

struct PolicyParse {
  std::optional<Policy> policy;         ///< set exactly when `problems` is empty
  std::vector<PolicyProblem> problems;  ///< each problem once, in the order found
  std::size_t first_bad_line = 0;       ///< 1-based line of the first line_invalid, else 0
};

/// Why a policy fetch gave no policy body (RFC 8461 §3.3). A fixed set of label values.
enum class FetchFailure {
  fetch_failed,  ///< no address, connect, TLS handshake, timeout, or not an HTTP response
  cert_invalid,  ///< the certificate does not verify for mta-sts.DOMAIN (trust, name, dates)
  redirect,      ///< a 3xx answer: senders never follow it
  http_status,   ///< any other status than 200
  content_type,  ///< not text/plain
  too_large,     ///< a body (or headers) over the bound
};
std::string_view to_string(FetchFailure failure) noexcept;

/// A domain's MTA-STS policy as last fetched, for the metrics. Immutable once stored.
struct PolicyState {
  std::string record_id;                ///< the TXT id it was fetched under
  std::optional<FetchFailure> failure;  ///< unset: a body was fetched (see `parse`)
  std::string detail;                   ///< the fetch failure in words
  PolicyParse parse;                    ///< of the body, when one was fetched
  std::optional<std::chrono::system_clock::time_point> cert_not_after;  ///< policy host's leaf
  double fetch_seconds = 0;
  /// The body changed between two fetches under the same id: senders that cached the old
  /// policy keep it for up to max_age. Stays set until the id changes.
  bool changed_without_new_id = false;
  std::uint64_t body_hash = 0;  ///< text::fnv1a64 of the last body fetched, for the next one
};

/// Parses a policy body (RFC 8461 §3.2) with LF or CRLF line ends. Choices where the RFC
/// leaves room: a repeated field other than mx keeps its first value (§3.2 says so);
/// whitespace after a value is allowed (the grammar's *WSP), before a key it is not; a blank
/// line inside the body is line_invalid, one final line end is allowed; unknown keys are
/// ignored but must still be `key: value`.
PolicyParse parse_policy(std::string_view body);

/// Whether MX host `host` matches policy pattern `pattern` (RFC 8461 §4.1): equal ignoring case
/// and a final dot, or `*.` followed by the host's name minus exactly its leftmost label.
bool mx_matches(std::string_view pattern, std::string_view host);

}  // namespace starttls_exporter::mta_sts
