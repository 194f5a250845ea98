// The one intake path of a TLS-RPT report (RFC 8460 §3): parse, check the policy domains,
// keep. Every outcome is logged once here, whichever way the report came.
#include "starttls_exporter/runtime/report_intake.hpp"

#include <algorithm>
#include <fstream>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::runtime {
namespace {

SubmissionResult result_of(tlsrpt::Refusal refusal) noexcept {
  return refusal == tlsrpt::Refusal::too_large ? SubmissionResult::too_large
                                               : SubmissionResult::malformed;
}

IntakeOutcome refused(SubmissionResult result, std::string detail) {
  IntakeOutcome out;
  out.result = result;
  out.detail = std::move(detail);
  return out;
}

void log_outcome(const IntakeOutcome& outcome, ReportSource source) {
  const std::string_view result = to_string(outcome.result);
  if (outcome.result == SubmissionResult::stored || outcome.result == SubmissionResult::duplicate) {
    log::info("tlsrpt: report received", {{"source", to_string(source)},
                                          {"result", result},
                                          {"organization", outcome.organization},
                                          {"report_id", outcome.report_id},
                                          {"domain", outcome.domain}});
    return;
  }
  log::warn("tlsrpt: report refused", {{"source", to_string(source)},
                                       {"result", result},
                                       {"detail", outcome.detail},
                                       {"organization", outcome.organization},
                                       {"report_id", outcome.report_id}});
}

IntakeOutcome keep(store::ReportDatabase& database, const config::Config& config,
                   std::string_view body, ReportSource source) {
  const tlsrpt::Parsed parsed = tlsrpt::decode_and_parse(body);
  if (!parsed.report) return refused(result_of(*parsed.refusal), parsed.detail);
  const tlsrpt::Report& report = *parsed.report;
  IntakeOutcome out;
  out.organization = report.organization_name;
  out.report_id = report.report_id;
  if (report.policies.empty()) {
    out.result = SubmissionResult::malformed;
    out.detail = "a report without policies";
    return out;
  }
  out.domain = report.policies.front().policy_domain;
  // Every policy must be about a domain of ours: a report is kept whole or not at all.
  for (const auto& policy : report.policies) {
    if (accepts_reports_for(config, policy.policy_domain)) continue;
    out.result = SubmissionResult::unknown_domain;
    out.detail = "policy-domain " + text::quote(policy.policy_domain, 255) +
                 " is neither in domains nor in tlsrpt.domains";
    return out;
  }
  const store::Ingest kept =
      database.ingest(report, to_string(source), std::chrono::system_clock::now());
  out.result =
      kept == store::Ingest::stored ? SubmissionResult::stored : SubmissionResult::duplicate;
  return out;
}

}  // namespace

std::string_view to_string(ReportSource source) noexcept {
  using enum ReportSource;
  static constexpr std::pair<ReportSource, std::string_view> kNames[] = {
      {https, "https"}, {maildir, "maildir"}, {cli, "cli"}};
  return text::name_in(kNames, source);
}

std::string_view to_string(SubmissionResult result) noexcept {
  using enum SubmissionResult;
  static constexpr std::pair<SubmissionResult, std::string_view> kNames[] = {
      {stored, "stored"},
      {duplicate, "duplicate"},
      {unknown_domain, "unknown_domain"},
      {malformed, "malformed"},
      {too_large, "too_large"},
      {unsupported_media_type, "unsupported_media_type"}};
  return text::name_in(kNames, result);
}

bool accepts_reports_for(const config::Config& config, std::string_view policy_domain) {
  const auto& listed = config.tlsrpt.domains;
  if (std::find(listed.begin(), listed.end(), policy_domain) != listed.end()) return true;
  // Mail domains only: a hosts: entry names a server, not a domain senders deliver to.
  return std::any_of(config.domains.begin(), config.domains.end(), [&](const config::Domain& d) {
    return d.name == policy_domain && d.kind != config::DomainKind::host;
  });
}

IntakeOutcome ingest_report(store::ReportDatabase& database, const config::Config& config,
                            std::string_view body, ReportSource source) {
  IntakeOutcome outcome = keep(database, config, body, source);
  log_outcome(outcome, source);
  return outcome;
}

IntakeOutcome ingest_mail(store::ReportDatabase& database, const config::Config& config,
                          std::string_view message, ReportSource source) {
  tlsrpt::MailBody part = tlsrpt::report_from_mail(message);
  if (!part.body) {
    IntakeOutcome outcome = refused(result_of(*part.refusal), part.detail);
    log_outcome(outcome, source);
    return outcome;
  }
  return ingest_report(database, config, *part.body, source);
}

IntakeOutcome ingest_submission(store::ReportDatabase& database, const config::Config& config,
                                std::string_view bytes, ReportSource source) {
  return tlsrpt::looks_like_report_body(bytes) ? ingest_report(database, config, bytes, source)
                                               : ingest_mail(database, config, bytes, source);
}

std::optional<std::string> read_submission(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes(tlsrpt::Limits{}.max_message_bytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) return std::nullopt;
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

}  // namespace starttls_exporter::runtime
