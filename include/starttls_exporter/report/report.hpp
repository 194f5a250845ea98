#pragma once
/// \file
/// The one report of an outcome (src/report): text for a person, JSON for a script, HTML for
/// the landing page. The probe command, /probe?debug=true and the landing page all print
/// these. Pure functions of what was probed and what came of it.

#include <optional>
#include <string>
#include <vector>

#include "starttls_exporter/core/duration.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/domains/domain_round.hpp"
#include "starttls_exporter/policy/policy.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::report {

/// What was probed, and how.
struct ProbeRequest {
  std::string module;  ///< the --module name, or "(flags)"
  Duration timeout{0};
  prober::ProbeSpec spec;
};

/// Sections: the probe (endpoint, protocol, server name, timeout), the result, each phase with
/// its duration, the dialogue as the server and client spoke it (escaped), the negotiated TLS
/// parameters and the leaf's key, the chain one line per certificate (subject, issuer, SANs,
/// not-after, days left), the verification verdict with every reason, OCSP stapling, and the
/// legacy-version probe when it ran. `colour`: ANSI colours on the verdict lines.
std::string text_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now,
                        bool colour);

/// One JSON object with the same facts; its keys are documented in README ("The probe
/// command") and stable. Times are RFC 3339 UTC strings; absent facts are null.
std::string json_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now);

/// A domain probed now, judged by the one domain rule (policy::judge_domain).
policy::DomainVerdict domain_verdict(const domains::DomainProbe& probe);

/// The domain form: the verdict, the mail path (MX hosts in preference order, their
/// addresses, reserved ones not probed, DNSSEC, failure reasons, signature expiry), what each
/// MX host's DANE rests on (the TLSA RRset as published, which records are usable, the
/// records that would match the served chain, which matched), the MTA-STS record and policy
/// (which pattern matched each MX host, or why the policy is unusable), the TLS-RPT record,
/// then for each address the rule that decided in one line and its text_report.
std::string domain_text_report(const domains::DomainProbe& probe, std::uint16_t port,
                               SystemTime now, bool colour);

/// The domain form in JSON, with the same facts: {"domain", "module", "port", "success",
/// "resolved", "dnssec_secure", "implicit_mx", "null_mx", "failures", "signature_expiry",
/// "resolve_seconds", "mx": [...], "mta_sts", "tlsrpt", "addresses": [json_report of each
/// address plus "mx" and "decided_by"]}.
std::string domain_json_report(const domains::DomainProbe& probe, std::uint16_t port,
                               SystemTime now);

/// The domain form in HTML, to embed in a page (no <html> element): the text of
/// domain_text_report with its verdict words as CSS classes (bad, good, warn, strong), each
/// address's report in a <details> element whose <summary> is the rule that decided it.
/// Every text is escaped (text::html_escape); no script, no external asset.
std::string domain_html_report(const domains::DomainProbe& probe, std::uint16_t port,
                               SystemTime now);

/// A TLS-RPT report (RFC 8460) for on-call: who sent it, the period, and per policy the
/// session counts, MX hosts, policy strings and each failure detail. Untrusted text escaped.
std::string tlsrpt_text_report(const tlsrpt::Report& report);

/// The same facts in JSON: {"report_id", "organization_name", "organization", "contact_info",
/// "start", "end", "policies": [{"policy_type", "policy_domain", "mx_hosts", "policy_strings",
/// "successful_sessions", "failed_sessions", "failures": [{"result_type",
/// "reported_result_type", "failed_session_count", "receiving_mx_hostname", "receiving_ip",
/// "sending_mta_ip", "failure_reason_code", "additional_information"}]}]}.
std::string tlsrpt_json_report(const tlsrpt::Report& report);

/// A domain's row on the status page, judged by the one domain rule (domain_verdict).
struct DomainSummary {
  std::string domain;
  std::string module;
  bool resolved = false;                     ///< a resolution completed; false: pending
  bool success = false;                      ///< probe_domain_success
  std::vector<std::string> domain_failures;  ///< the reasons other than address_failed
  std::vector<std::string> failing;          ///< "ENDPOINT (MX): REASON" per failing address
  bool dnssec_secure = false;
  std::string dane;     ///< "matched 2 of 2", "FAILED, matched 0 of 2", "none", ...
  std::string mta_sts;  ///< the policy's mode, "none", or "unusable: REASON"
  std::optional<SystemTime> earliest_expiry;  ///< of the leaf certificates served
};
DomainSummary summarize(const domains::DomainProbe& probe);

/// What senders reported about one policy domain (TLS-RPT), beside what the exporter sees:
/// the running totals since the first report, and the latest reports kept.
struct SenderReports {
  std::string domain;
  std::uint64_t reports = 0;
  std::uint64_t successful = 0;  ///< sessions, from the summaries
  std::uint64_t failed = 0;
  std::optional<SystemTime> last_end;  ///< the latest report's end-datetime
  std::vector<std::pair<std::string, std::uint64_t>> result_types;  ///< most sessions first
  std::vector<store::StoredReport> recent;                          ///< newest first
};
/// Every policy domain with reports, by name, each with its `recent` latest reports. Throws
/// store::DatabaseError.
std::vector<SenderReports> sender_reports(const store::ReportDatabase& database,
                                          std::size_t recent);
/// The "Senders' TLS-RPT reports" section of a domain report (text), for `probe DOMAIN`.
std::string sender_reports_text(const SenderReports& reports);
/// The status page's table of every domain's reports (HTML, every text escaped).
std::string sender_reports_html(const std::vector<SenderReports>& reports);

}  // namespace starttls_exporter::report
