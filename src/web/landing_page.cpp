#include "landing_page.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

namespace starttls_exporter::web {
namespace {

struct Row {
  std::string target, module, result, failure, tls_version, days_text;
  std::optional<double> days;  ///< until the leaf certificate's NotAfter; unset: unknown
};

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
      const auto left = s.last_handshake->tls->chain.front().not_after - now;
      row.days = std::chrono::duration<double>(left).count() / 86400;
      std::array<char, 32> text{};
      std::snprintf(text.data(), text.size(), "%.1f", *row.days);
      row.days_text = text.data();
    }
  }
  return row;
}

constexpr std::string_view kHead = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>STARTTLS Exporter</title>
<style>
body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.num{text-align:right}.failure{color:#b00}.success{color:#070}
</style></head>
<body>
<h1>STARTTLS Exporter</h1>
)";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_landing_page(const std::vector<store::TargetSnapshot>& targets, SystemTime now,
                                std::string_view version) {
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
  std::string page(kHead);
  page += "<p>Version " + html_escape(version) + "</p>\n";
  page +=
      "<ul><li><a href=\"metrics\">Metrics</a></li><li><a href=\"config\">Configuration</a>"
      "</li><li><a href=\"-/healthy\">Health</a></li></ul>\n";
  page += "<h2>Targets (" + std::to_string(rows.size()) + ")</h2>\n";
  page +=
      "<table>\n<tr><th>Target</th><th>Module</th><th>Last result</th><th>Failure</th>"
      "<th>TLS version</th><th>Days to expiry</th></tr>\n";
  for (const auto& r : rows) {
    page += "<tr><td>" + html_escape(r.target) + "</td><td>" + html_escape(r.module) +
            "</td><td class=\"" + r.result + "\">" + r.result + "</td><td>" +
            html_escape(r.failure) + "</td><td>" + html_escape(r.tls_version) +
            "</td><td class=\"num\">" + (r.days ? r.days_text : "unknown") + "</td></tr>\n";
  }
  page += "</table>\n</body>\n</html>\n";
  return page;
}

}  // namespace starttls_exporter::web
