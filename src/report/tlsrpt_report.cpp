// tlsrpt_text_report and tlsrpt_json_report: a TLS-RPT report as on-call reads it.
#include <nlohmann/json.hpp>

#include "format.hpp"
#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::report {
namespace {

using Json = nlohmann::ordered_json;

std::string detail_line(const tlsrpt::FailureDetail& d) {
  std::string line = "    " + std::to_string(d.failed_session_count) + " x " + d.result_type;
  if (d.result_type != d.reported_result_type)
    line += " (reported as \"" + d.reported_result_type + "\")";
  if (!d.receiving_mx_hostname.empty()) line += ", mx " + d.receiving_mx_hostname;
  if (!d.receiving_ip.empty()) line += " " + d.receiving_ip;
  if (!d.sending_mta_ip.empty()) line += ", from " + d.sending_mta_ip;
  if (!d.failure_reason_code.empty()) line += ", code " + d.failure_reason_code;
  if (!d.additional_information.empty()) line += ", " + d.additional_information;
  return text::escape(line, {.quote_mark = false}) + "\n";
}

}  // namespace

std::string tlsrpt_text_report(const tlsrpt::Report& report) {
  const text::EscapeRules rules{.quote_mark = false};
  std::string out = "TLS-RPT report " + text::escape(report.report_id, rules) + "\n";
  out +=
      "From: " + text::escape(report.organization_name, rules) + " (label \"" +
      report.organization + "\")" +
      (report.contact_info.empty() ? "" : ", contact " + text::escape(report.contact_info, rules)) +
      "\n";
  out += "Period: " + rfc3339(report.start) + " to " + rfc3339(report.end) + "\n";
  for (const auto& p : report.policies) {
    out += "Policy " + std::string(tlsrpt::to_string(p.type)) + " for " +
           text::escape(p.policy_domain, rules) + ": " + std::to_string(p.successful_sessions) +
           " successful, " + std::to_string(p.failed_sessions) + " failed sessions\n";
    if (!p.mx_hosts.empty()) out += "  mx: " + text::escape(join(p.mx_hosts), rules) + "\n";
    for (const auto& s : p.policy_strings) out += "  policy: " + text::escape(s, rules) + "\n";
    if (!p.failures.empty()) out += "  failures:\n";
    for (const auto& d : p.failures) out += detail_line(d);
  }
  return out;
}

std::string tlsrpt_json_report(const tlsrpt::Report& report) {
  Json policies = Json::array();
  for (const auto& p : report.policies) {
    Json failures = Json::array();
    for (const auto& d : p.failures) {
      failures.push_back({{"result_type", d.result_type},
                          {"reported_result_type", d.reported_result_type},
                          {"failed_session_count", d.failed_session_count},
                          {"receiving_mx_hostname", d.receiving_mx_hostname},
                          {"receiving_ip", d.receiving_ip},
                          {"sending_mta_ip", d.sending_mta_ip},
                          {"failure_reason_code", d.failure_reason_code},
                          {"additional_information", d.additional_information}});
    }
    policies.push_back({{"policy_type", tlsrpt::to_string(p.type)},
                        {"policy_domain", p.policy_domain},
                        {"mx_hosts", p.mx_hosts},
                        {"policy_strings", p.policy_strings},
                        {"successful_sessions", p.successful_sessions},
                        {"failed_sessions", p.failed_sessions},
                        {"failures", std::move(failures)}});
  }
  const Json out = {
      {"report_id", report.report_id},       {"organization_name", report.organization_name},
      {"organization", report.organization}, {"contact_info", report.contact_info},
      {"start", rfc3339(report.start)},      {"end", rfc3339(report.end)},
      {"policies", std::move(policies)}};
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace starttls_exporter::report
