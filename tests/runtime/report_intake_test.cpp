// TLS-RPT intake: the one path (parse, domain check, keep) and the Maildir watcher on a real
// directory with inotify: kept mails move to cur/, refused ones to .Quarantine/cur/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/runtime/report_intake.hpp"
#include "temp_dir.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;
using runtime::ReportSource;
using runtime::SubmissionResult;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TLSRPT_FIXTURES) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

template <typename Predicate>
bool within(std::chrono::milliseconds limit, Predicate done) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::shared_ptr<const config::Config> config_for(const testing::TempDir& dir) {
  return std::make_shared<const config::Config>(config::parse_config(
      "targets: []\ntlsrpt:\n  database: reports.db\n  maildir: mail\n  domains: [example.test]\n",
      (dir.path / "c.yaml").string()));
}

}  // namespace

TEST_CASE("intake: kept once, refused for another domain, no policies or bad bytes") {
  const testing::TempDir dir;
  const auto config = config_for(dir);
  store::ReportDatabase db(config->tlsrpt.database);
  const std::string google = fixture("google.json");
  CHECK(runtime::ingest_report(db, *config, google, ReportSource::https).result ==
        SubmissionResult::stored);
  const auto again = runtime::ingest_mail(db, *config, fixture("google.eml"), ReportSource::cli);
  CHECK(again.result == SubmissionResult::duplicate);
  CHECK(again.report_id == "2026-12-01T00:00:00Z_example.test");
  const auto other =
      runtime::ingest_report(db, *config, fixture("rfc8460.json"), ReportSource::cli);
  CHECK(other.result == SubmissionResult::unknown_domain);
  CHECK(other.detail.find("company-y.example") != std::string::npos);
  CHECK(
      runtime::ingest_report(db, *config, "{\"organization-name\":1}", ReportSource::cli).result ==
      SubmissionResult::malformed);
  CHECK(runtime::ingest_report(db, *config, fixture("bomb.json.gz"), ReportSource::cli).result ==
        SubmissionResult::too_large);
  CHECK(runtime::accepts_reports_for(*config, "example.test"));
  CHECK_FALSE(runtime::accepts_reports_for(*config, "sub.example.test"));
}

TEST_CASE("the Maildir: kept mails go to cur/, refused ones to quarantine, new ones are seen") {
  const testing::TempDir dir;
  const auto config = config_for(dir);
  store::ReportDatabase db(config->tlsrpt.database);
  runtime::SubmissionCounters counters;
  const fs::path mail = config->tlsrpt.maildir;
  fs::create_directories(mail / "new");
  write(mail / "new" / "1.google", fixture("google.eml"));
  write(mail / "new" / "2.junk", "not a mail at all");
  write(mail / "new" / "3.other",
        "Content-Type: application/tlsrpt+json\r\n\r\n" + fixture("rfc8460.json"));
  {
    runtime::ReportKeeper keeper(
        db, [config] { return config; }, counters, mail, 60s);
    CHECK(within(5s, [&] { return fs::exists(mail / "cur" / "1.google:2,"); }));
    CHECK(within(5s, [&] { return fs::exists(mail / ".Quarantine" / "cur" / "2.junk:2,"); }));
    CHECK(within(5s, [&] { return fs::exists(mail / ".Quarantine" / "cur" / "3.other:2,"); }));
    // Delivered as an MTA does (tmp/, then a rename into new/): inotify, not the 60 s rescan.
    write(mail / "tmp" / "4.again", fixture("unlabelled.eml"));
    fs::rename(mail / "tmp" / "4.again", mail / "new" / "4.again");
    CHECK(within(5s, [&] { return fs::exists(mail / "cur" / "4.again:2,"); }));
  }
  CHECK(fs::is_empty(mail / "new"));
  CHECK(counters.count(ReportSource::maildir, SubmissionResult::stored) == 2);
  CHECK(counters.count(ReportSource::maildir, SubmissionResult::malformed) == 1);
  CHECK(counters.count(ReportSource::maildir, SubmissionResult::unknown_domain) == 1);
  CHECK(db.totals().reports.size() == 2);
}
