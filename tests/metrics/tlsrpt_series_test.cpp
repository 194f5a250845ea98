// The TLS-RPT families from stored totals: every label from the internet mapped to a bounded
// set (mx: a known MX host of the domain else "other"; organizations beyond the bound "other").
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "starttls_exporter/metrics/collector.hpp"

using namespace starttls_exporter;

namespace {

double value_of(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
                const std::map<std::string, std::string>& labels) {
  double sum = 0;
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      sum += f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return sum;
}

}  // namespace

TEST_CASE("tlsrpt families: mx known or other, organizations bounded, hosts summed") {
  metrics::TlsrptStats stats;
  stats.max_organizations = 1;
  stats.totals.organizations = {"google", "microsoft"};
  stats.totals.sessions = {{"example.test", "sts", "google", 100, 3},
                           {"example.test", "sts", "microsoft", 50, 2}};
  stats.totals.failures = {
      {"example.test", "sts", "certificate-expired", "mx1.example.test", "google", 2},
      {"example.test", "sts", "certificate-expired", "evil.example", "google", 1},
      {"example.test", "sts", "certificate-expired", "", "microsoft", 2}};
  stats.totals.reports = {{"example.test", "google", 4, 1000},
                          {"example.test", "microsoft", 1, 900}};
  stats.submissions = {{"https", "stored", 5}, {"cli", "duplicate", 1}};
  const std::map<std::string, std::set<std::string>> known{{"example.test", {"mx1.example.test"}}};
  const auto families = metrics::tlsrpt_families(stats, known);
  CHECK(value_of(families, "tlsrpt_sessions_total",
                 {{"domain", "example.test"},
                  {"policy_type", "sts"},
                  {"organization", "google"},
                  {"result", "successful"}}) == 100);
  CHECK(value_of(families, "tlsrpt_sessions_total",
                 {{"domain", "example.test"},
                  {"policy_type", "sts"},
                  {"organization", "other"},
                  {"result", "failed"}}) == 2);
  const std::map<std::string, std::string> base{
      {"domain", "example.test"}, {"policy_type", "sts"}, {"result_type", "certificate-expired"}};
  auto with = [&](std::string mx, std::string organization) {
    auto labels = base;
    labels["mx"] = std::move(mx);
    labels["organization"] = std::move(organization);
    return labels;
  };
  CHECK(value_of(families, "tlsrpt_failed_sessions_total", with("mx1.example.test", "google")) ==
        2);
  CHECK(value_of(families, "tlsrpt_failed_sessions_total", with("other", "google")) == 1);
  CHECK(value_of(families, "tlsrpt_failed_sessions_total", with("other", "other")) == 2);
  CHECK(value_of(families, "tlsrpt_failed_sessions_total", with("evil.example", "google")) == 0);
  CHECK(value_of(families, "tlsrpt_reports_total",
                 {{"domain", "example.test"}, {"organization", "google"}}) == 4);
  CHECK(value_of(families, "tlsrpt_last_report_end_timestamp_seconds",
                 {{"domain", "example.test"}, {"organization", "other"}}) == 900);
  CHECK(value_of(families, "starttls_exporter_tlsrpt_submissions_total",
                 {{"source", "https"}, {"result", "stored"}}) == 5);
  for (const auto& f : families) {
    bool listed = false;
    for (const auto& name : metrics::tlsrpt_family_names()) listed = listed || name == f.name;
    CHECK_MESSAGE(listed, f.name);
  }
}
