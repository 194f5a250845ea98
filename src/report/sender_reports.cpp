// What senders reported (TLS-RPT totals and the latest reports) per policy domain, as text
// for `probe DOMAIN` and as the status page's table.
#include <algorithm>
#include <map>

#include "format.hpp"
#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::report {
namespace {

std::string percent_failed(const SenderReports& r) {
  const std::uint64_t all = r.successful + r.failed;
  return all == 0
             ? "-"
             : fixed(100.0 * static_cast<double>(r.failed) / static_cast<double>(all), 1) + " %";
}

std::string result_types_line(const SenderReports& r, std::size_t shown) {
  std::string out;
  for (std::size_t i = 0; i < r.result_types.size() && i < shown; ++i) {
    if (!out.empty()) out += ", ";
    out += r.result_types[i].first + " " + std::to_string(r.result_types[i].second);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<SenderReports> sender_reports(const store::ReportDatabase& database,
                                          std::size_t recent) {
  const store::ReportTotals totals = database.totals();
  std::map<std::string, SenderReports> by_domain;
  for (const auto& count : totals.reports) {
    SenderReports& r = by_domain[count.domain];
    r.reports += count.reports;
    const SystemTime end{std::chrono::seconds(count.last_end_seconds)};
    if (!r.last_end || end > *r.last_end) r.last_end = end;
  }
  for (const auto& s : totals.sessions) {
    by_domain[s.domain].successful += s.successful;
    by_domain[s.domain].failed += s.failed;
  }
  std::map<std::string, std::map<std::string, std::uint64_t>> types;
  for (const auto& f : totals.failures) types[f.domain][f.result_type] += f.sessions;
  std::vector<SenderReports> out;
  for (auto& [domain, r] : by_domain) {
    r.domain = domain;
    r.result_types.assign(types[domain].begin(), types[domain].end());
    std::stable_sort(r.result_types.begin(), r.result_types.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    r.recent = database.recent_reports(domain, recent);
    out.push_back(std::move(r));
  }
  return out;
}

std::string sender_reports_text(const SenderReports& r) {
  std::string out = "Senders' TLS-RPT reports for " + r.domain + " (RFC 8460, since the first)\n";
  out += "  reports " + std::to_string(r.reports) + ", sessions " + std::to_string(r.successful) +
         " successful, " + std::to_string(r.failed) + " failed (" + percent_failed(r) + ")\n";
  out += "  failures by result type: " + result_types_line(r, 8) + "\n";
  if (r.last_end) out += "  latest report ends " + rfc3339(*r.last_end) + "\n";
  for (const auto& report : r.recent) {
    out += "  - " + text::quote(report.organization_name, 64) + " " + rfc3339(report.start) +
           " to " + rfc3339(report.end) + ": " + std::to_string(report.successful) +
           " successful, " + std::to_string(report.failed) + " failed";
    for (const auto& [type, sessions] : report.failures) {
      out += "; " + type + " " + std::to_string(sessions);
    }
    out += " (" + report.source + ")\n";
  }
  return out;
}

std::string sender_reports_html(const std::vector<SenderReports>& reports) {
  std::string out =
      "<h2>TLS-RPT reports (" + std::to_string(reports.size()) +
      " domains)</h2>\n<table id=\"tlsrpt\">\n<thead><tr><th>Domain</th><th>Reports</th>"
      "<th>Successful sessions</th><th>Failed sessions</th><th>Failures by result type</th>"
      "<th>Latest report</th></tr></thead>\n<tbody>\n";
  for (const auto& r : reports) {
    std::string latest = "-";
    if (!r.recent.empty()) {
      latest = text::html_escape(r.recent.front().organization_name) + ", ends " +
               rfc3339(r.recent.front().end);
    }
    out += "<tr><td>" + text::html_escape(r.domain) + "</td><td>" + std::to_string(r.reports) +
           "</td><td>" + std::to_string(r.successful) + "</td><td" +
           (r.failed > 0 ? " class=\"bad\">" : ">") + std::to_string(r.failed) + " (" +
           percent_failed(r) + ")</td><td>" + text::html_escape(result_types_line(r, 3)) +
           "</td><td>" + latest + "</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace starttls_exporter::report
