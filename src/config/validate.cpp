#include "validate.hpp"

#include <algorithm>
#include <array>

#include "starttls_exporter/config/config.hpp"

namespace starttls_exporter::config {

const std::vector<std::string_view>& reserved_label_names() {
  // Keep sorted. `le` is the histogram bucket label; job/instance are set by Prometheus itself
  // and a clash would make it rename ours to exported_*.
  static const std::vector<std::string_view> names{
      "algorithm",
      "cipher",
      "file",
      "fingerprint_sha256",
      "gnutls_version",
      "group",
      "instance",
      "issuer",
      "job",
      "le",
      "module",
      "phase",
      "position",
      "reason",
      "result",
      "serialnumber",
      "server_name",
      "status",
      "subject",
      "subjectalternative",
      "target",
      "version",
  };
  return names;
}

namespace detail {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::string> module_name_problem(std::string_view text) {
  if (is_plain_key(text)) return std::nullopt;
  return "invalid module name " + quote(text) + ": use 1 to 64 letters, digits, '_' or '-'";
}

std::optional<std::string> label_name_problem(std::string_view text) {
  const bool ok = !text.empty() && (is_alpha(text.front()) || text.front() == '_') &&
                  std::all_of(text.begin(), text.end(),
                              [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
  if (!ok) return "invalid label name " + quote(text) + ": must match [a-zA-Z_][a-zA-Z0-9_]*";
  if (text.starts_with("__")) {
    return "invalid label name " + quote(text) + ": names starting with \"__\" are reserved";
  }
  const auto& reserved = reserved_label_names();
  if (std::binary_search(reserved.begin(), reserved.end(), text)) {
    return "label name " + quote(text) + " is reserved: the exporter sets it itself";
  }
  return std::nullopt;
}

std::optional<std::string> label_value_problem(std::string_view text) {
  if (!is_valid_utf8(text)) return "label value " + quote(text) + " is not valid UTF-8";
  if (text.find('\0') != text.npos) return "label value " + quote(text) + " contains a NUL byte";
  return std::nullopt;
}

bool is_plain_key(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
  });
}

std::string escape(std::string_view bytes, std::size_t max_shown) {
  const bool cut = bytes.size() > max_shown;
  return text::escape(bytes.substr(0, max_shown), text::kMessageRules) + (cut ? "..." : "");
}

}  // namespace detail
}  // namespace starttls_exporter::config
