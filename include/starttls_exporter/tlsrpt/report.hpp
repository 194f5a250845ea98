#pragma once
/// \file
/// TLS-RPT aggregate reports (RFC 8460 §4) as senders send them (src/tlsrpt): the body decoded
/// (gzip decided by its magic bytes, inflated within a bound), the JSON parsed within bounds,
/// and every value that may become a label normalised. Liberal about the quirks real senders
/// show, strict about what is counted. Pure functions; never throw except std::bad_alloc.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starttls_exporter::tlsrpt {

using SystemTime = std::chrono::system_clock::time_point;

/// Bounds on one report. Defaults: 1 MiB as received (what HTTPS intake takes in practice),
/// 20 MiB decompressed (a gzip bomb stops there), 32 levels of JSON nesting (a report needs
/// 5), 1,000 policies and 100,000 failure details.
struct Limits {
  std::size_t max_compressed_bytes = 1 << 20;
  std::size_t max_decompressed_bytes = 20 << 20;
  std::size_t max_depth = 32;
  std::size_t max_policies = 1000;
  std::size_t max_failure_details = 100'000;
  /// A whole report mail, headers and every part (mox takes 15 MB).
  std::size_t max_message_bytes = 15 << 20;
};

/// Why a report was refused. A fixed set: each value is one `result` label value of
/// starttls_exporter_tlsrpt_submissions_total.
enum class Refusal {
  too_large,  ///< over max_compressed_bytes or max_decompressed_bytes
  malformed,  ///< not gzip or JSON, JSON too deep, a required field missing or mistyped,
              ///< over max_policies or max_failure_details
};
std::string_view to_string(Refusal refusal) noexcept;

enum class PolicyType { sts, tlsa, no_policy_found, unknown };
std::string_view to_string(PolicyType type) noexcept;  ///< "sts", "tlsa", "no-policy-found"

/// One failure-details entry (RFC 8460 §4.4). Fetch errors carry no sending-mta-ip and no
/// receiving-mx-hostname: those stay empty.
struct FailureDetail {
  std::string result_type;  ///< from the IANA registry (normalise_result_type), else "unknown"
  std::string reported_result_type;  ///< as the sender wrote it
  std::string sending_mta_ip;
  std::string receiving_mx_hostname;  ///< lower case, no trailing dot
  std::string receiving_ip;
  std::uint64_t failed_session_count = 0;
  std::string additional_information;
  std::string failure_reason_code;
};

/// One policy's results (RFC 8460 §4.3, §4.4).
struct PolicyResult {
  PolicyType type = PolicyType::unknown;
  std::string policy_domain;                ///< lower case, no trailing dot
  std::vector<std::string> policy_strings;  ///< an array, one string holding an array, or none
  std::vector<std::string> mx_hosts;        ///< an array, one string, or none; lower case
  /// From the summary, each from its own source: a failure count that differs from the sum
  /// of the details is kept as the sender wrote it.
  std::uint64_t successful_sessions = 0;
  std::uint64_t failed_sessions = 0;
  std::vector<FailureDetail> failures;
};

struct Report {
  std::string organization_name;  ///< as the sender wrote it
  std::string organization;       ///< normalise_organization(organization_name)
  std::string contact_info;       ///< empty when null or absent
  std::string report_id;
  SystemTime start{};
  SystemTime end{};
  std::vector<PolicyResult> policies;
};

/// A parse: `report`, or `refusal` and a one-line `detail` for the log.
struct Parsed {
  std::optional<Report> report;
  std::optional<Refusal> refusal;
  std::string detail;
};

/// The JSON of a report: gzip when the bytes start with its magic (1f 8b), whatever the
/// content type said, inflated within `limits`; else the bytes as they are.
Parsed decode_and_parse(std::string_view body, const Limits& limits = {});

/// The report in `json` (RFC 8460 §4). Accepted quirks: date-times without a zone (read as
/// UTC) or with fractional seconds or an offset; mx-host as an array, a string, empty or
/// absent; policy-string as an array, one string holding a JSON array, or absent;
/// failure-details absent or empty, and details without IPs or host names; contact-info null.
Parsed parse_report(std::string_view json, const Limits& limits = {});

/// A report body found in a mail: `body`, or `refusal` and a one-line `detail` for the log.
struct MailBody {
  std::optional<std::string> body;
  std::optional<Refusal> refusal;
  std::string detail;
};

/// The report in a mail (RFC 8460 §5.3: multipart/report; report-type=tlsrpt): the first part
/// labelled application/tlsrpt+gzip or application/tlsrpt+json, else the first part whose
/// decoded bytes are gzip or a JSON object, transfer encoding (base64) undone. Refused as
/// too_large over limits.max_message_bytes, as malformed without such a part. Uses GMime.
MailBody report_from_mail(std::string_view message, const Limits& limits = {});

/// Whether `bytes` are a report body as it is (gzip, or JSON starting with '{' after white
/// space) rather than a mail holding one: how `tlsrpt import` tells .json(.gz) from .eml.
bool looks_like_report_body(std::string_view bytes) noexcept;

/// Inflates gzip `bytes` (one member) into at most `max_bytes`: nullopt and `refusal` set
/// when it is not gzip, is truncated or corrupt (malformed), or inflates beyond (too_large).
std::optional<std::string> gunzip(std::string_view bytes, std::size_t max_bytes,
                                  Refusal* refusal = nullptr);

/// A result-type as a label: one of the IANA "STARTTLS Validation Result Types" (RFC 8460
/// §4.3), compared case-insensitively, else "unknown".
std::string_view normalise_result_type(std::string_view reported) noexcept;

/// An organization-name as a label: lower case, surrounding space and a trailing dot
/// dropped, inner runs of space as one, only letters, digits, space, '.', '-' and '_' kept,
/// at most 64 bytes; "unknown" when nothing is left.
std::string normalise_organization(std::string_view name);

/// An RFC 3339 date-time, leniently: a missing zone is UTC, fractions are dropped, "Z" or an
/// offset. nullopt when it does not read.
std::optional<SystemTime> parse_datetime(std::string_view text);

}  // namespace starttls_exporter::tlsrpt
