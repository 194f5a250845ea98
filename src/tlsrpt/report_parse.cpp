// parse_report: an RFC 8460 §4 report from untrusted JSON, with nlohmann-json (no exceptions
// for bad input: parse with allow_exceptions = false, and typed reads that check first).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::tlsrpt {
namespace {

using Json = nlohmann::json;

Parsed refused(Refusal why, std::string detail) {
  Parsed out;
  out.refusal = why;
  out.detail = std::move(detail);
  return out;
}

/// The deepest nesting of arrays and objects in `json`, strings skipped: checked before the
/// parser builds anything, so a deeply nested body costs one pass and no memory.
std::size_t nesting_depth(std::string_view json) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string host_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

/// `object[key]` as a string; empty when absent, null or not a string.
std::string text(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// `object[key]` as a count; 0 when absent or not a non-negative integer.
std::uint64_t count(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  return it->is_number_unsigned()
             ? it->get<std::uint64_t>()
             : static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()));
}

/// The strings of `value`: an array of strings, or one string (which, when `nested_json`,
/// may itself hold a JSON array of strings, as Microsoft sends policy-string).
std::vector<std::string> strings(const Json* value, bool nested_json) {
  std::vector<std::string> out;
  if (!value) return out;
  if (value->is_array()) {
    for (const auto& item : *value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  } else if (value->is_string()) {
    const std::string one = value->get<std::string>();
    if (nested_json && one.starts_with('[')) {
      const Json inner = Json::parse(one, nullptr, false);
      if (inner.is_array()) return strings(&inner, false);
    }
    if (!one.empty()) out.push_back(one);
  }
  return out;
}

const Json* member(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

PolicyType policy_type(const std::string& name) {
  if (name == "sts") return PolicyType::sts;
  if (name == "tlsa") return PolicyType::tlsa;
  if (name == "no-policy-found") return PolicyType::no_policy_found;
  return PolicyType::unknown;
}

FailureDetail failure_of(const Json& detail) {
  FailureDetail out;
  out.reported_result_type = text(detail, "result-type");
  out.result_type = std::string(normalise_result_type(out.reported_result_type));
  out.sending_mta_ip = text(detail, "sending-mta-ip");
  out.receiving_mx_hostname = host_name(text(detail, "receiving-mx-hostname"));
  out.receiving_ip = text(detail, "receiving-ip");
  out.failed_session_count = count(detail, "failed-session-count");
  out.additional_information = text(detail, "additional-information");
  out.failure_reason_code = text(detail, "failure-reason-code");
  return out;
}

/// One entry of "policies"; nullopt with `why` when it lacks its policy block.
std::optional<PolicyResult> policy_of(const Json& entry, std::size_t& details_left,
                                      std::string& why) {
  const Json* policy = entry.is_object() ? member(entry, "policy") : nullptr;
  if (!policy || !policy->is_object()) {
    why = "a policies entry without a policy object";
    return std::nullopt;
  }
  PolicyResult out;
  out.type = policy_type(text(*policy, "policy-type"));
  out.policy_domain = host_name(text(*policy, "policy-domain"));
  if (out.policy_domain.empty()) {
    why = "a policy without policy-domain";
    return std::nullopt;
  }
  out.policy_strings = strings(member(*policy, "policy-string"), true);
  for (auto& host : strings(member(*policy, "mx-host"), false)) {
    out.mx_hosts.push_back(host_name(std::move(host)));
  }
  if (const Json* summary = member(entry, "summary"); summary && summary->is_object()) {
    out.successful_sessions = count(*summary, "total-successful-session-count");
    out.failed_sessions = count(*summary, "total-failure-session-count");
  }
  if (const Json* details = member(entry, "failure-details"); details && details->is_array()) {
    if (details->size() > details_left) {
      why = "more failure details than the limit";
      return std::nullopt;
    }
    details_left -= details->size();
    for (const auto& detail : *details) {
      if (detail.is_object()) out.failures.push_back(failure_of(detail));
    }
  }
  return out;
}

}  // namespace

Parsed parse_report(std::string_view json, const Limits& limits) {
  if (json.size() > limits.max_decompressed_bytes) {
    return refused(Refusal::too_large, "the report is larger than the limit");
  }
  if (nesting_depth(json) > limits.max_depth) {
    return refused(Refusal::malformed, "JSON nested deeper than the limit");
  }
  const Json root = Json::parse(json, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return refused(Refusal::malformed, "not a JSON object");
  }
  Report report;
  report.organization_name = text(root, "organization-name");
  report.report_id = text(root, "report-id");
  report.contact_info = text(root, "contact-info");
  if (report.organization_name.empty() || report.report_id.empty()) {
    return refused(Refusal::malformed, "organization-name or report-id missing");
  }
  report.organization = normalise_organization(report.organization_name);
  const Json* range = member(root, "date-range");
  const auto start =
      range && range->is_object() ? parse_datetime(text(*range, "start-datetime")) : std::nullopt;
  const auto end =
      range && range->is_object() ? parse_datetime(text(*range, "end-datetime")) : std::nullopt;
  if (!start || !end || *end < *start) {
    return refused(Refusal::malformed, "date-range missing or unreadable");
  }
  report.start = *start;
  report.end = *end;
  const Json* policies = member(root, "policies");
  if (!policies || !policies->is_array()) return refused(Refusal::malformed, "no policies array");
  if (policies->size() > limits.max_policies) {
    return refused(Refusal::malformed, "more policies than the limit");
  }
  std::size_t details_left = limits.max_failure_details;
  for (const auto& entry : *policies) {
    std::string why;
    auto policy = policy_of(entry, details_left, why);
    if (!policy) return refused(Refusal::malformed, why);
    report.policies.push_back(std::move(*policy));
  }
  Parsed out;
  out.report = std::move(report);
  return out;
}

Parsed decode_and_parse(std::string_view body, const Limits& limits) {
  if (body.size() > limits.max_compressed_bytes) {
    return refused(Refusal::too_large, "the body is larger than the limit");
  }
  if (body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
      static_cast<unsigned char>(body[1]) == 0x8b) {
    Refusal why = Refusal::malformed;
    const auto json = gunzip(body, limits.max_decompressed_bytes, &why);
    if (!json) {
      return refused(why, why == Refusal::too_large ? "gzip inflates beyond the limit"
                                                    : "corrupt or truncated gzip");
    }
    return parse_report(*json, limits);
  }
  return parse_report(body, limits);
}

}  // namespace starttls_exporter::tlsrpt
