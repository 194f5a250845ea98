#include "landing_page.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::web {
namespace {

using text::html_escape;

struct Row {
  std::string target, module, result, failure, tls_version, days_text;
  std::optional<double> days;  ///< until the leaf certificate's NotAfter; unset: unknown
};

double days_until(SystemTime when, SystemTime now) {
  return std::chrono::duration<double>(when - now).count() / 86400;
}

Row make_row(const store::TargetSnapshot& s, SystemTime now) {
  Row row;
  row.target = s.target->endpoint;
  row.module = s.target->module;
  if (!s.latest) {
    row.result = "pending";
  } else if (s.latest->success) {
    row.result = "success";
  } else {
    row.result = "failure";
    if (const auto& f = s.latest->failure) {
      row.failure = std::string(to_string(f->phase)) + " / " + std::string(to_string(f->reason));
      if (f->smtp_code != 0) row.failure += " (SMTP " + std::to_string(f->smtp_code) + ")";
      if (!f->detail.empty()) row.failure += ": " + f->detail;
    }
  }
  // The last completed handshake, kept across later failures (as /metrics shows it).
  if (s.last_handshake) {
    row.tls_version = s.last_handshake->tls->version;
    if (!s.last_handshake->tls->chain.empty()) {
      row.days = days_until(s.last_handshake->tls->chain.front().not_after, now);
      row.days_text = text::fixed(*row.days, 1);
    }
  }
  return row;
}

/// 0 failing, 1 pending, 2 deliverable: the order of the domain table.
int urgency(const report::DomainSummary& d) {
  return !d.resolved ? 1 : d.success ? 2 : 0;
}

std::string domain_row(const report::DomainSummary& d, SystemTime now) {
  const char* verdict = !d.resolved ? "pending" : d.success ? "deliverable" : "failing";
  const char* verdict_class = !d.resolved ? "warn" : d.success ? "good" : "bad";
  std::string failing;
  for (const auto& reason : d.domain_failures) failing += html_escape(reason) + "<br>";
  for (const auto& address : d.failing) failing += html_escape(address) + "<br>";
  std::string expiry = "unknown";
  if (d.earliest_expiry) {
    expiry = text::rfc3339(*d.earliest_expiry).substr(0, 10) + " (" +
             text::fixed(days_until(*d.earliest_expiry, now), 1) + " days)";
  }
  return "<tr><td><a href=\"" + html_escape(report_link(d.domain, d.module)) + "\">" +
         html_escape(d.domain) + "</a></td><td class=\"" + verdict_class + "\">" + verdict +
         "</td><td>" + failing + "</td><td>" + (d.dnssec_secure ? "secure" : "not secure") +
         "</td><td>" + html_escape(d.dane) + "</td><td>" + html_escape(d.mta_sts) + "</td><td>" +
         expiry + "</td></tr>\n";
}

std::string domain_table(std::vector<report::DomainSummary> domains, SystemTime now) {
  std::stable_sort(domains.begin(), domains.end(),
                   [](const auto& a, const auto& b) { return urgency(a) < urgency(b); });
  const auto failing =
      std::count_if(domains.begin(), domains.end(), [](const auto& d) { return urgency(d) == 0; });
  std::string out = "<h2>Domains (" + std::to_string(domains.size()) + ", " +
                    std::to_string(failing) + " failing)</h2>\n";
  out +=
      "<table id=\"domains\">\n<thead><tr><th>Domain</th><th>Verdict</th><th>Failing</th>"
      "<th>DNSSEC</th><th>DANE</th><th>MTA-STS</th><th>Earliest expiry</th></tr></thead>\n"
      "<tbody>\n";
  for (const auto& d : domains) out += domain_row(d, now);
  return out + "</tbody></table>\n";
}

std::string target_table(const std::vector<store::TargetSnapshot>& targets, SystemTime now) {
  std::vector<Row> rows;
  rows.reserve(targets.size());
  for (const auto& s : targets) {
    if (s.target) rows.push_back(make_row(s, now));
  }
  // Soonest expiry first; unknown last; the configured order otherwise (stable).
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.days && b.days) return *a.days < *b.days;
    return a.days.has_value() && !b.days.has_value();
  });
  std::string out = "<h2>Targets (" + std::to_string(rows.size()) + ")</h2>\n";
  out +=
      "<table id=\"targets\">\n<thead><tr><th>Target</th><th>Module</th><th>Last result</th>"
      "<th>Failure</th><th>TLS version</th><th>Days to expiry</th></tr></thead>\n<tbody>\n";
  for (const auto& r : rows) {
    out += "<tr><td>" + html_escape(r.target) + "</td><td>" + html_escape(r.module) +
           "</td><td class=\"" +
           (r.result == "success"   ? "good"
            : r.result == "failure" ? "bad"
                                    : "warn") +
           "\">" + r.result + "</td><td>" + html_escape(r.failure) + "</td><td>" +
           html_escape(r.tls_version) + "</td><td class=\"num\">" +
           (r.days ? r.days_text : "unknown") + "</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

void percent_encode(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
}

}  // namespace

const std::string_view kStyleSheet = R"(body{font-family:sans-serif;margin:1.5em;color:#111}
table{border-collapse:collapse;margin-bottom:1.5em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.num{text-align:right}
.bad{color:#b00}.good{color:#070}.warn{color:#a60}.strong{font-weight:bold}
pre.report{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre}
details{margin:.3em 0}summary{cursor:pointer;font-family:monospace}
)";

std::string render_page(std::string_view title, std::string_view body) {
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" +
                     html_escape(title) +
                     "</title>\n<link rel=\"stylesheet\" href=\"style.css\"></head>\n<body>\n";
  page += body;
  return page + "</body>\n</html>\n";
}

std::string render_landing_page(const std::vector<report::DomainSummary>& domains,
                                const std::vector<store::TargetSnapshot>& targets, SystemTime now,
                                std::string_view version,
                                const std::vector<report::SenderReports>& senders) {
  std::string body = "<h1>STARTTLS Exporter</h1>\n<p>Version " + html_escape(version) + "</p>\n";
  body +=
      "<ul><li><a href=\"metrics\">Metrics</a></li><li><a href=\"config\">Configuration</a>"
      "</li><li><a href=\"-/healthy\">Health</a></li></ul>\n";
  if (!domains.empty()) body += domain_table(domains, now);
  if (!senders.empty()) body += report::sender_reports_html(senders);
  body += target_table(targets, now);
  return render_page("STARTTLS Exporter", body);
}

std::string report_link(std::string_view domain, std::string_view module) {
  std::string out = "report?domain=";
  percent_encode(out, domain);
  out += "&module=";
  percent_encode(out, module);
  return out;
}

}  // namespace starttls_exporter::web
