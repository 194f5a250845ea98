// Which published TLSA records a client uses: an SMTP sender (RFC 7672 §3.1.3) or any other
// TLS client (RFC 7671, RFC 7673), with digest agility (RFC 7671 §9) for both.
#include <map>

#include "starttls_exporter/policy/policy.hpp"

namespace starttls_exporter::policy {
namespace {

/// RFC 7671 §9: the client's order of preference among matching types (SHA2-512 over
/// SHA2-256 over exact, OpenSSL's default order, which Postfix uses).
int preference(std::uint8_t matching_type) {
  return matching_type == 2 ? 2 : matching_type == 1 ? 1 : 0;
}

std::optional<TlsaUnusable> parameter_problem(const dane::TlsaRecord& r, dane::DaneRules rules) {
  if ((r.usage == 0 || r.usage == 1) && rules == dane::DaneRules::smtp) {
    return TlsaUnusable::pkix_usage;
  }
  if (r.usage > 3) return TlsaUnusable::unknown_usage;
  if (r.selector > 1) return TlsaUnusable::unknown_selector;
  if (r.matching_type > 2) return TlsaUnusable::unknown_matching_type;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(TlsaUnusable why) noexcept {
  switch (why) {
    case TlsaUnusable::pkix_usage:
      return "usage 0/1 (PKIX-TA, PKIX-EE) is unusable for SMTP (RFC 7672 §3.1.3)";
    case TlsaUnusable::unknown_usage:
      return "unknown usage";
    case TlsaUnusable::unknown_selector:
      return "unknown selector";
    case TlsaUnusable::unknown_matching_type:
      return "unknown matching type";
    case TlsaUnusable::weaker_digest:
      return "a stronger matching type is published for this usage and selector (RFC 7671 §9)";
  }
  return "unusable";
}

std::vector<std::optional<TlsaUnusable>> judge_tlsa_records(
    const std::vector<dane::TlsaRecord>& records, dane::DaneRules rules) {
  std::map<std::pair<int, int>, int> strongest;  // (usage, selector) -> best preference
  for (const auto& r : records) {
    if (parameter_problem(r, rules)) continue;
    auto& best = strongest.try_emplace({r.usage, r.selector}, -1).first->second;
    best = std::max(best, preference(r.matching_type));
  }
  std::vector<std::optional<TlsaUnusable>> out;
  for (const auto& r : records) {
    auto problem = parameter_problem(r, rules);
    if (!problem && preference(r.matching_type) != strongest[{r.usage, r.selector}]) {
      problem = TlsaUnusable::weaker_digest;
    }
    out.push_back(problem);
  }
  return out;
}

std::vector<dane::TlsaRecord> usable_records(const std::vector<dane::TlsaRecord>& records,
                                             dane::DaneRules rules) {
  const auto judged = judge_tlsa_records(records, rules);
  std::vector<dane::TlsaRecord> out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!judged[i]) out.push_back(records[i]);
  }
  return out;
}

std::string format_tlsa(const dane::TlsaRecord& record) {
  std::string out = std::to_string(record.usage) + " " + std::to_string(record.selector) + " " +
                    std::to_string(record.matching_type) + " ";
  static constexpr char kHex[] = "0123456789abcdef";
  for (const auto byte : record.data) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

}  // namespace starttls_exporter::policy
