// The values of a report that become labels or times: result types (the IANA registry of
// RFC 8460 §4.3), organization names, date-times, and the names of the fixed sets.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::tlsrpt {
namespace {

/// IANA "STARTTLS Validation Result Types" (RFC 8460 §6.6).
constexpr std::array<std::string_view, 11> kResultTypes{
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-expired",    "certificate-not-trusted",
    "validation-failure",     "tlsa-invalid",
    "dnssec-invalid",         "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid",
    "sts-webpki-invalid"};

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

/// The digits at `at` (exactly `n` of them) as a number; nullopt otherwise.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t n) {
  if (at + n > text.size()) return std::nullopt;
  int value = 0;
  const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + n, value);
  if (error != std::errc() || end != text.data() + at + n) return std::nullopt;
  return value;
}

}  // namespace

std::string_view to_string(Refusal refusal) noexcept {
  return refusal == Refusal::too_large ? "too_large" : "malformed";
}

std::string_view to_string(PolicyType type) noexcept {
  switch (type) {
    case PolicyType::sts:
      return "sts";
    case PolicyType::tlsa:
      return "tlsa";
    case PolicyType::no_policy_found:
      return "no-policy-found";
    case PolicyType::unknown:
      break;
  }
  return "unknown";
}

std::string_view normalise_result_type(std::string_view reported) noexcept {
  for (const auto type : kResultTypes) {
    if (iequals(type, reported)) return type;
  }
  return "unknown";
}

std::string normalise_organization(std::string_view name) {
  std::string out;
  bool space = false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isspace(byte)) {
      space = !out.empty();
      continue;
    }
    if (!std::isalnum(byte) && c != '.' && c != '-' && c != '_') continue;
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(byte));
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  if (out.size() > 64) out.resize(64);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unknown" : out;
}

std::optional<SystemTime> parse_datetime(std::string_view text) {
  // YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh:mm]
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':' || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
  }
  std::chrono::seconds offset{0};
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const auto oh = digits(text, at + 1, 2), om = digits(text, at + 4, 2);
    if (!oh || !om || at + 3 >= text.size() || text[at + 3] != ':') return std::nullopt;
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (text[at] == '-') offset = -offset;
    at += 6;
  }  // no zone: UTC, as Microsoft's reports mean it
  if (at != text.size()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second) - offset;
}

}  // namespace starttls_exporter::tlsrpt
