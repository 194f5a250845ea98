// The MTA-STS policy file (RFC 8461 §3.2) and MX host patterns (§4.1).
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"
#include "sts_text.hpp"

namespace starttls_exporter::mta_sts {
namespace {

using namespace detail;

/// sts-policy-ext-name: the ext-name of the TXT records.
bool is_key(std::string_view key) {
  return is_field_name(key);
}

/// sts-policy-ext-value: visible characters (ASCII or UTF-8 bytes), spaces only inside.
bool is_value(std::string_view value) {
  if (value.empty() || is_wsp(value.front()) || is_wsp(value.back())) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 0x21 && u != 0x7f) || c == ' ';
  });
}

/// A host name label: letters, digits and hyphens, 1-63, no hyphen at either end.
bool is_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

/// sts-policy-mx-value = ["*."] Domain (RFC 5321 Domain: dot-separated labels, no final dot).
bool is_mx_pattern(std::string_view pattern) {
  if (pattern.starts_with("*.")) pattern.remove_prefix(2);
  if (pattern.empty() || pattern.size() > 253) return false;
  for (std::size_t at = 0;;) {
    const auto dot = pattern.find('.', at);
    if (!is_label(pattern.substr(at, dot == std::string_view::npos ? dot : dot - at))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    at = dot + 1;
  }
}

class PolicyReader {
 public:
  void line(std::string_view text, std::size_t number);
  PolicyParse finish();

 private:
  void problem(PolicyProblem p) {
    if (std::find(out_.problems.begin(), out_.problems.end(), p) == out_.problems.end()) {
      out_.problems.push_back(p);
    }
  }
  void field(std::string_view key, std::string_view value);

  PolicyParse out_;
  Policy policy_;
  bool have_version_ = false, have_mode_ = false, have_max_age_ = false, have_mx_ = false;
};

void PolicyReader::line(std::string_view text, std::size_t number) {
  const auto colon = text.find(':');
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  value = trim_wsp(value);  // field-delim's *WSP before it, the field's *WSP after it
  const std::string_view key = colon == std::string_view::npos ? text : text.substr(0, colon);
  if (colon == std::string_view::npos || !is_key(key) || !is_value(value)) {
    problem(PolicyProblem::line_invalid);
    if (out_.first_bad_line == 0) out_.first_bad_line = number;
    return;
  }
  field(key, value);
}

// Keys and the version and mode values are case-sensitive (%s in the ABNF). A field other
// than mx that appears again keeps its first value (§3.2).
void PolicyReader::field(std::string_view key, std::string_view value) {
  if (key == "version") {
    if (!have_version_ && value != "STSv1") problem(PolicyProblem::version_unsupported);
    have_version_ = true;
  } else if (key == "mode") {
    if (have_mode_) return;
    have_mode_ = true;
    if (value == "enforce")
      policy_.mode = Mode::enforce;
    else if (value == "testing")
      policy_.mode = Mode::testing;
    else if (value == "none")
      policy_.mode = Mode::none;
    else
      problem(PolicyProblem::mode_invalid);
  } else if (key == "max_age") {
    if (have_max_age_) return;
    have_max_age_ = true;
    const bool digits = value.size() <= 10 && std::all_of(value.begin(), value.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (!digits) return problem(PolicyProblem::max_age_invalid);
    const unsigned long long seconds = std::stoull(std::string(value));
    if (seconds > kMaxAgeLimit) return problem(PolicyProblem::max_age_out_of_range);
    policy_.max_age = static_cast<std::uint32_t>(seconds);
  } else if (key == "mx") {
    have_mx_ = true;
    if (!is_mx_pattern(value)) return problem(PolicyProblem::mx_invalid);
    policy_.mx.push_back(lower(value));
  }  // other keys: extensions, ignored (§3.2)
}

PolicyParse PolicyReader::finish() {
  if (!have_version_) problem(PolicyProblem::version_missing);
  if (!have_mode_) problem(PolicyProblem::mode_missing);
  if (!have_max_age_) problem(PolicyProblem::max_age_missing);
  const bool mode_known =
      have_mode_ && std::find(out_.problems.begin(), out_.problems.end(),
                              PolicyProblem::mode_invalid) == out_.problems.end();
  if (mode_known && policy_.mode != Mode::none && !have_mx_) {
    problem(PolicyProblem::mx_missing);
  }
  if (out_.problems.empty()) out_.policy = std::move(policy_);
  return std::move(out_);
}

}  // namespace

std::string_view to_string(Mode mode) noexcept {
  static constexpr std::pair<Mode, const char*> kNames[] = {
      {Mode::enforce, "enforce"}, {Mode::testing, "testing"}, {Mode::none, "none"}};
  return text::name_in(kNames, mode);
}

std::string_view to_string(PolicyProblem problem) noexcept {
  static constexpr std::pair<PolicyProblem, const char*> kNames[] = {
      {PolicyProblem::line_invalid, "line_invalid"},
      {PolicyProblem::version_missing, "version_missing"},
      {PolicyProblem::version_unsupported, "version_unsupported"},
      {PolicyProblem::mode_missing, "mode_missing"},
      {PolicyProblem::mode_invalid, "mode_invalid"},
      {PolicyProblem::max_age_missing, "max_age_missing"},
      {PolicyProblem::max_age_invalid, "max_age_invalid"},
      {PolicyProblem::max_age_out_of_range, "max_age_out_of_range"},
      {PolicyProblem::mx_missing, "mx_missing"},
      {PolicyProblem::mx_invalid, "mx_invalid"},
  };
  return text::name_in(kNames, problem);
}

std::string_view to_string(FetchFailure failure) noexcept {
  static constexpr std::pair<FetchFailure, const char*> kNames[] = {
      {FetchFailure::fetch_failed, "fetch_failed"}, {FetchFailure::cert_invalid, "cert_invalid"},
      {FetchFailure::redirect, "redirect"},         {FetchFailure::http_status, "http_status"},
      {FetchFailure::content_type, "content_type"}, {FetchFailure::too_large, "too_large"},
  };
  return text::name_in(kNames, failure);
}

PolicyParse parse_policy(std::string_view body) {
  PolicyReader reader;
  std::size_t number = 0;
  for (std::size_t at = 0; at < body.size();) {  // a final line end ends the last line
    const auto lf = body.find('\n', at);
    std::string_view text = body.substr(at, lf == std::string_view::npos ? lf : lf - at);
    if (lf != std::string_view::npos && text.ends_with('\r')) text.remove_suffix(1);  // CRLF
    reader.line(text, ++number);
    if (lf == std::string_view::npos) break;
    at = lf + 1;
  }
  return reader.finish();
}

bool mx_matches(std::string_view pattern, std::string_view host) {
  const auto equal = [](std::string_view a, std::string_view b) {
    return net::normalise_domain_name(a) == net::normalise_domain_name(b);
  };
  if (host.ends_with('.')) host.remove_suffix(1);  // before the wildcard's split
  if (pattern.ends_with('.')) pattern.remove_suffix(1);
  if (!pattern.starts_with("*.")) return equal(pattern, host);
  const auto dot = host.find('.');
  // The wildcard stands for exactly one label: a non-empty leftmost label, then the rest.
  return dot != std::string_view::npos && dot > 0 && equal(pattern.substr(2), host.substr(dot + 1));
}

}  // namespace starttls_exporter::mta_sts
