// The TLS-RPT families (RFC 8460 reports senders sent): counters from the report database's
// running totals, with every label value from the internet mapped to a bounded set.
#include <prometheus/metric_family.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "family_parts.hpp"
#include "starttls_exporter/metrics/collector.hpp"

namespace starttls_exporter::metrics {
namespace {

using parts::Labels;
using parts::Spec;

constexpr Spec kSessions{"tlsrpt_sessions_total",
                         "Sessions senders reported for a policy domain (RFC 8460 summaries), by "
                         "policy type, result (successful, failed) and reporting organization."};
constexpr Spec kFailed{"tlsrpt_failed_sessions_total",
                       "Failed sessions senders reported in failure details, by policy type, "
                       "result type (IANA registry, else unknown), MX host (a known MX of the "
                       "domain, else other) and reporting organization."};
constexpr Spec kReports{"tlsrpt_reports_total",
                        "Distinct TLS-RPT reports kept, by policy domain and organization."};
constexpr Spec kLastEnd{"tlsrpt_last_report_end_timestamp_seconds",
                        "End of the latest report's date range (Unix seconds), by policy domain "
                        "and organization."};
constexpr Spec kSubmissions{"starttls_exporter_tlsrpt_submissions_total",
                            "TLS-RPT report submissions, by source (https, maildir: since this "
                            "process started; cli: kept in the database) and result."};

/// Organizations as labels: the first `max` in the order first seen keep their names.
class OrganizationLabels {
 public:
  OrganizationLabels(const std::vector<std::string>& seen, std::size_t max) {
    for (std::size_t i = 0; i < seen.size() && i < max; ++i) named_.insert(seen[i]);
  }
  std::string operator()(const std::string& organization) const {
    return named_.contains(organization) ? organization : "other";
  }

 private:
  std::set<std::string> named_;
};

/// Sums samples under mapped labels (two hosts may both become "other").
class Summed {
 public:
  explicit Summed(const Spec& spec, prometheus::MetricType type) : spec_(spec), type_(type) {}
  void add(Labels labels, double value) { sums_[std::move(labels)] += value; }
  void keep_max(Labels labels, double value) {
    auto [it, inserted] = sums_.try_emplace(std::move(labels), value);
    if (!inserted && value > it->second) it->second = value;
  }
  prometheus::MetricFamily take() const {
    prometheus::MetricFamily f = parts::family(spec_, type_);
    for (const auto& [labels, value] : sums_) {
      prometheus::ClientMetric m;
      m.label = labels;
      if (type_ == prometheus::MetricType::Counter) {
        m.counter.value = value;
      } else {
        m.gauge.value = value;
      }
      f.metric.push_back(std::move(m));
    }
    return f;
  }

 private:
  struct ByText {
    bool operator()(const Labels& a, const Labels& b) const {
      return std::lexicographical_compare(
          a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
            return std::tie(x.name, x.value) < std::tie(y.name, y.value);
          });
    }
  };
  Spec spec_;
  prometheus::MetricType type_;
  std::map<Labels, double, ByText> sums_;
};

}  // namespace

std::vector<prometheus::MetricFamily> tlsrpt_families(
    const TlsrptStats& stats, const std::map<std::string, std::set<std::string>>& known_mx) {
  using prometheus::MetricType;
  const OrganizationLabels organization(stats.totals.organizations, stats.max_organizations);
  Summed sessions(kSessions, MetricType::Counter);
  for (const auto& s : stats.totals.sessions) {
    const Labels base{{"domain", s.domain},
                      {"policy_type", s.policy_type},
                      {"organization", organization(s.organization)}};
    sessions.add(parts::with(base, "result", "successful"), static_cast<double>(s.successful));
    sessions.add(parts::with(base, "result", "failed"), static_cast<double>(s.failed));
  }
  Summed failed(kFailed, MetricType::Counter);
  for (const auto& f : stats.totals.failures) {
    const auto hosts = known_mx.find(f.domain);
    const bool known = hosts != known_mx.end() && hosts->second.contains(f.mx_host);
    failed.add({{"domain", f.domain},
                {"policy_type", f.policy_type},
                {"result_type", f.result_type},
                {"mx", known ? f.mx_host : "other"},
                {"organization", organization(f.organization)}},
               static_cast<double>(f.sessions));
  }
  Summed reports(kReports, MetricType::Counter);
  Summed last_end(kLastEnd, MetricType::Gauge);
  for (const auto& r : stats.totals.reports) {
    const Labels labels{{"domain", r.domain}, {"organization", organization(r.organization)}};
    reports.add(labels, static_cast<double>(r.reports));
    last_end.keep_max(labels, static_cast<double>(r.last_end_seconds));
  }
  Summed submissions(kSubmissions, MetricType::Counter);
  for (const auto& s : stats.submissions) {
    submissions.add({{"source", s.source}, {"result", s.result}}, static_cast<double>(s.count));
  }
  std::vector<prometheus::MetricFamily> out;
  for (auto* summed : {&sessions, &failed, &reports, &last_end, &submissions}) {
    auto family = summed->take();
    if (!family.metric.empty()) out.push_back(std::move(family));
  }
  return out;
}

std::vector<std::string> tlsrpt_family_names() {
  return {kSessions.name, kFailed.name, kReports.name, kLastEnd.name, kSubmissions.name};
}

}  // namespace starttls_exporter::metrics
