#pragma once
/// \file
/// The TLS-RPT report database (src/store, SQLite): every accepted report (RFC 8460 §4) with
/// its policies and failure details for the retention period, and running totals that are
/// never pruned, so counters built from them never go back across restarts or pruning.
///
/// One file, in WAL mode with synchronous=FULL: a report is on disk when ingest() returns, and
/// a process killed at any point leaves either the whole report and its totals or none of
/// them. Several processes may use the file at once (the exporter and `tlsrpt import`); a
/// writer waits up to 5 s for another's transaction. Thread-safe: calls are serialised.

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::store {

using SystemTime = std::chrono::system_clock::time_point;

/// The database cannot be opened, migrated or written; what() names the file and the reason.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Ingest {
  stored,     ///< new: kept and counted
  duplicate,  ///< the same organization-name and report-id is already kept: nothing changed
};

/// The running totals, keyed by values as stored: the reader maps them to labels (the MX
/// host to a known one or "other", organizations beyond a bound to "other").
struct SessionTotal {
  std::string domain, policy_type, organization;
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
};
struct FailureTotal {
  std::string domain, policy_type, result_type, mx_host, organization;
  std::uint64_t sessions = 0;
};
struct ReportCount {
  std::string domain, organization;
  std::uint64_t reports = 0;
  std::int64_t last_end_seconds = 0;  ///< the latest report's end-datetime, Unix seconds
};
struct ReportTotals {
  std::vector<SessionTotal> sessions;
  std::vector<FailureTotal> failures;
  std::vector<ReportCount> reports;
  std::vector<std::string> organizations;  ///< normalised, in the order first seen
  /// Submissions counted with count_submission: (source, result) → count.
  std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>> submissions;
};

/// One kept report's view for one policy domain: what the landing page and `probe` show.
struct StoredReport {
  std::string organization_name, report_id, source;
  SystemTime start{}, end{}, received{};
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
  std::vector<std::pair<std::string, std::uint64_t>> failures;  ///< result type → sessions
};

class ReportDatabase {
 public:
  /// Opens `path`, creating it, and migrates its schema to the current version. Throws
  /// DatabaseError, also for a schema newer than this program knows.
  explicit ReportDatabase(const std::string& path);
  ~ReportDatabase();
  ReportDatabase(const ReportDatabase&) = delete;
  ReportDatabase& operator=(const ReportDatabase&) = delete;

  /// Keeps `report` and adds it to the totals, in one transaction; a report whose
  /// organization-name and report-id are already kept is a duplicate and changes nothing.
  /// `source` is "https", "maildir" or "cli". Throws DatabaseError (nothing kept).
  Ingest ingest(const tlsrpt::Report& report, std::string_view source, SystemTime received);
  /// Adds one to the persisted submission count of (source, result).
  void count_submission(std::string_view source, std::string_view result);
  ReportTotals totals() const;
  /// The latest `limit` reports with a policy for `domain`, newest end first.
  std::vector<StoredReport> recent_reports(std::string_view domain, std::size_t limit) const;
  /// Deletes the policies and failure details of the reports that ended before `before`; the
  /// totals stay, and so does each report's identity (organization-name, report-id), so a copy
  /// arriving later is still a duplicate. Returns how many policies were deleted.
  std::size_t prune(SystemTime before);
  int schema_version() const;
  const std::string& path() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::store
