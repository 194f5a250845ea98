// What senders reported, per domain, from a real report database: totals, failure types
// ordered by sessions, the latest reports, and the status page's table escaped.
#include <doctest/doctest.h>

#include "sample_report.hpp"
#include "starttls_exporter/report/report.hpp"
#include "temp_dir.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;

namespace {

tlsrpt::Report sent(const std::string& id, const std::string& organization, SystemTime end) {
  return testing::sample_report(
      id, organization, end, "example.test", 90,
      {{"certificate-expired", "mx1.example.test", 7}, {"sts-policy-fetch-error", "", 3}});
}

}  // namespace

TEST_CASE("sender reports: totals per domain, commonest failures first, latest reports") {
  const testing::TempDir dir;
  store::ReportDatabase db((dir.path / "r.db").string());
  const SystemTime day{std::chrono::seconds(1'796'083'200)};  // 2026-12-01T00:00:00Z
  db.ingest(sent("a", "Google Inc.", day), "https", day);
  db.ingest(sent("b", "<script>Evil</script>", day + 24h), "maildir", day);
  const auto all = report::sender_reports(db, 1);
  REQUIRE(all.size() == 1);
  const report::SenderReports& r = all[0];
  CHECK(r.domain == "example.test");
  CHECK(r.reports == 2);
  CHECK(r.successful == 180);
  CHECK(r.failed == 20);
  REQUIRE(r.result_types.size() == 2);
  CHECK(r.result_types[0] == std::pair<std::string, std::uint64_t>("certificate-expired", 14));
  REQUIRE(r.recent.size() == 1);
  CHECK(r.recent[0].organization_name == "<script>Evil</script>");
  const std::string text = report::sender_reports_text(r);
  CHECK(text.find("reports 2, sessions 180 successful, 20 failed (10.0 %)") != std::string::npos);
  CHECK(text.find("certificate-expired 14, sts-policy-fetch-error 6") != std::string::npos);
  CHECK(text.find("latest report ends 2026-12-02T00:00:00Z") != std::string::npos);
  const std::string html = report::sender_reports_html(all);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;Evil") != std::string::npos);
  CHECK(html.find("<td class=\"bad\">20 (10.0 %)</td>") != std::string::npos);
}
