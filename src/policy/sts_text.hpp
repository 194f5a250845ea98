#pragma once
/// \file
/// Character rules shared by the MTA-STS and TLS-RPT parsers (RFC 8461 §3, RFC 8460 §3).
/// Private to src/policy.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace starttls_exporter::mta_sts::detail {

inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

inline bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

/// ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."), the same in the TXT
/// records and in the policy file.
inline bool is_field_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !is_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; });
}

inline std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace starttls_exporter::mta_sts::detail
