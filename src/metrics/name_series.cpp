// One certificate per name: the leaves served under each verified name, across every address
// and port (MX on 25, submission on 465/587, IMAP on 993 usually share one).
#include "name_series.hpp"

#include <map>
#include <set>
#include <string>

#include "family_parts.hpp"

namespace starttls_exporter::metrics {
namespace {

using parts::Spec;

constexpr Spec kDistinct{"probe_name_distinct_certificates",
                         "Distinct leaf certificates (by SHA-256) the last handshakes presented "
                         "under one server_name, across every address, port and module probed "
                         "with it, for names probed by two targets or more; above 1 when a "
                         "renewal reached some daemons and not others."};
constexpr Spec kServes{"probe_name_certificate_info",
                       "1 for each target and the leaf it presented, for server names with more "
                       "than one distinct leaf only (see probe_name_distinct_certificates)."};

struct Served {
  const store::TargetInfo* target;
  std::string fingerprint;
};

}  // namespace

std::vector<prometheus::MetricFamily> name_families(
    const std::vector<store::TargetSnapshot>& snapshot) {
  std::map<std::string, std::vector<Served>> by_name;  // every target probed under the name
  for (const auto& s : snapshot) {
    if (s.target->server_name.empty()) continue;
    std::string leaf;  // empty until a handshake presented one
    if (s.last_handshake && s.last_handshake->tls && !s.last_handshake->tls->chain.empty()) {
      leaf = s.last_handshake->tls->chain.front().sha256_hex;
    }
    by_name[s.target->server_name].push_back({s.target.get(), std::move(leaf)});
  }
  auto distinct = parts::family(kDistinct, prometheus::MetricType::Gauge);
  auto serves = parts::family(kServes, prometheus::MetricType::Gauge);
  for (const auto& [name, served] : by_name) {
    if (served.size() < 2) continue;  // one target cannot disagree with itself: no series
    std::set<std::string> leaves;
    for (const auto& s : served) {
      if (!s.fingerprint.empty()) leaves.insert(s.fingerprint);
    }
    parts::add(distinct, {{"server_name", name}}, static_cast<double>(leaves.size()));
    if (leaves.size() < 2) continue;
    for (const auto& s : served) {
      if (s.fingerprint.empty()) continue;
      parts::add(serves,
                 {{"server_name", name},
                  {"target", s.target->endpoint},
                  {"module", s.target->module},
                  {"fingerprint_sha256", s.fingerprint}},
                 1);
    }
  }
  std::vector<prometheus::MetricFamily> out;
  if (!distinct.metric.empty()) out.push_back(std::move(distinct));
  if (!serves.metric.empty()) out.push_back(std::move(serves));
  return out;
}

std::vector<std::string> name_family_names() {
  return {kDistinct.name, kServes.name};
}

}  // namespace starttls_exporter::metrics
