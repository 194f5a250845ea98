// store::ReportDatabase on a real SQLite file: deduplication on organization-name and
// report-id, totals that survive reopening and pruning, two connections at once (the exporter
// and `tlsrpt import`), schema versions.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <thread>

#include "sample_report.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "temp_dir.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::store;
using namespace std::chrono_literals;

namespace {

tlsrpt::Report report(const std::string& id, SystemTime end, std::uint64_t failed = 3) {
  return testing::sample_report(id, "Example Sender", end, "example.test", 10,
                                {{"certificate-expired", "mx1.example.test", failed}});
}

std::uint64_t sessions(const ReportTotals& totals, const std::string& organization) {
  std::uint64_t sum = 0;
  for (const auto& s : totals.sessions) {
    if (s.organization == organization) sum += s.successful + s.failed;
  }
  return sum;
}

const SystemTime kNow = std::chrono::system_clock::now();

}  // namespace

TEST_CASE("a report is kept once: a duplicate changes nothing, from any source") {
  const testing::TempDir dir;
  ReportDatabase db((dir.path / "reports.db").string());
  CHECK(db.ingest(report("r1", kNow), "https", kNow) == Ingest::stored);
  CHECK(db.ingest(report("r1", kNow), "maildir", kNow) == Ingest::duplicate);
  CHECK(db.ingest(report("r1", kNow, 99), "cli", kNow) == Ingest::duplicate);
  const ReportTotals totals = db.totals();
  REQUIRE(totals.reports.size() == 1);
  CHECK(totals.reports[0].reports == 1);
  CHECK(sessions(totals, "example sender") == 13);
  REQUIRE(totals.failures.size() == 1);
  CHECK(totals.failures[0].sessions == 3);
  CHECK(totals.failures[0].mx_host == "mx1.example.test");
  CHECK(totals.organizations == std::vector<std::string>{"example sender"});
  const auto recent = db.recent_reports("example.test", 5);
  REQUIRE(recent.size() == 1);
  CHECK(recent[0].source == "https");
  CHECK(recent[0].failures.at(0) ==
        std::pair<std::string, std::uint64_t>("certificate-expired", 3));
}

TEST_CASE("totals survive reopening and pruning; a pruned report stays a duplicate") {
  const testing::TempDir dir;
  const std::string path = (dir.path / "reports.db").string();
  {
    ReportDatabase db(path);
    CHECK(db.ingest(report("old", kNow - 200 * 24h), "https", kNow) == Ingest::stored);
    CHECK(db.ingest(report("new", kNow), "https", kNow) == Ingest::stored);
    db.count_submission("cli", "stored");
    db.count_submission("cli", "stored");
  }
  ReportDatabase db(path);
  CHECK(db.prune(kNow - 90 * 24h) == 1);
  CHECK(db.recent_reports("example.test", 10).size() == 1);
  const ReportTotals totals = db.totals();
  CHECK(totals.reports.at(0).reports == 2);
  CHECK(sessions(totals, "example sender") == 26);
  CHECK(totals.submissions.at(0).second == 2);
  CHECK(db.ingest(report("old", kNow - 200 * 24h), "maildir", kNow) == Ingest::duplicate);
  CHECK(db.totals().reports.at(0).reports == 2);
}

TEST_CASE("two connections to one file (exporter and import) each see the other's reports") {
  const testing::TempDir dir;
  const std::string path = (dir.path / "reports.db").string();
  ReportDatabase exporter(path);
  ReportDatabase cli(path);
  std::thread writer([&] {
    for (int i = 0; i < 50; ++i)
      exporter.ingest(report("e" + std::to_string(i), kNow), "https", kNow);
  });
  for (int i = 0; i < 50; ++i) cli.ingest(report("c" + std::to_string(i), kNow), "cli", kNow);
  writer.join();
  CHECK(cli.ingest(report("e7", kNow), "cli", kNow) == Ingest::duplicate);
  CHECK(exporter.totals().reports.at(0).reports == 100);
}

TEST_CASE("the schema is versioned; a newer file is refused, naming both versions") {
  const testing::TempDir dir;
  const std::string path = (dir.path / "reports.db").string();
  CHECK(ReportDatabase(path).schema_version() == 1);
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "PRAGMA user_version = 7", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  CHECK_THROWS_WITH_AS(ReportDatabase{path}, doctest::Contains("schema version 7 is newer"),
                       DatabaseError);
  CHECK_THROWS_WITH_AS(ReportDatabase{(dir.path / "missing" / "x.db").string()},
                       doctest::Contains("cannot open"), DatabaseError);
}
