#include "starttls_exporter/store/report_database.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "report_schema.hpp"

namespace starttls_exporter::store {
namespace {

using sqlite::Statement;

/// Counts above this are read as it: far beyond any real day's sessions (the largest senders
/// report about 10^8), and the sums of many reports stay within SQLite's 64-bit integers.
constexpr std::uint64_t kMaxCount = 1'000'000'000'000;

std::int64_t count_value(std::uint64_t count) {
  return static_cast<std::int64_t>(std::min(count, kMaxCount));
}

std::int64_t unix_seconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

SystemTime from_unix(std::int64_t seconds) {
  return SystemTime(std::chrono::seconds(seconds));
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) (out += line) += '\n';
  return out;
}

/// A receiving-mx-hostname as a totals key: a host name is kept (the reader maps it to a known
/// MX host or "other"), anything longer than a DNS name is dropped.
std::string_view mx_key(std::string_view host) {
  return host.size() <= 253 ? host : std::string_view();
}

}  // namespace

struct ReportDatabase::Impl {
  explicit Impl(const std::string& path) : connection(path) {
    version = sqlite::migrate(connection);
  }
  mutable std::mutex mutex;
  sqlite::Connection connection;
  int version = 0;

  void add_policy(const tlsrpt::PolicyResult& policy, std::int64_t report,
                  const std::string& organization);
};

void ReportDatabase::Impl::add_policy(const tlsrpt::PolicyResult& policy, std::int64_t report,
                                      const std::string& organization) {
  const std::string type(tlsrpt::to_string(policy.type));
  Statement(connection,
            "INSERT INTO policies (report, policy_type, policy_domain, policy_strings, mx_hosts,"
            " successful, failed) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, report)
      .bind(2, type)
      .bind(3, policy.policy_domain)
      .bind(4, joined(policy.policy_strings))
      .bind(5, joined(policy.mx_hosts))
      .bind(6, count_value(policy.successful_sessions))
      .bind(7, count_value(policy.failed_sessions))
      .run();
  const std::int64_t policy_row = sqlite3_last_insert_rowid(connection.get());
  Statement(connection,
            "INSERT INTO session_totals VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
            " successful = successful + excluded.successful, failed = failed + excluded.failed")
      .bind(1, policy.policy_domain)
      .bind(2, type)
      .bind(3, organization)
      .bind(4, count_value(policy.successful_sessions))
      .bind(5, count_value(policy.failed_sessions))
      .run();
  Statement detail(connection, "INSERT INTO failure_details VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  Statement total(connection,
                  "INSERT INTO failure_totals VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE"
                  " SET sessions = sessions + excluded.sessions");
  for (const tlsrpt::FailureDetail& d : policy.failures) {
    detail.bind(1, policy_row)
        .bind(2, d.result_type)
        .bind(3, d.reported_result_type)
        .bind(4, d.sending_mta_ip)
        .bind(5, d.receiving_mx_hostname)
        .bind(6, d.receiving_ip)
        .bind(7, count_value(d.failed_session_count))
        .bind(8, d.additional_information)
        .bind(9, d.failure_reason_code)
        .run();
    total.bind(1, policy.policy_domain)
        .bind(2, type)
        .bind(3, d.result_type)
        .bind(4, mx_key(d.receiving_mx_hostname))
        .bind(5, organization)
        .bind(6, count_value(d.failed_session_count))
        .run();
  }
}

ReportDatabase::ReportDatabase(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
ReportDatabase::~ReportDatabase() = default;

Ingest ReportDatabase::ingest(const tlsrpt::Report& report, std::string_view source,
                              SystemTime received) {
  const std::lock_guard lock(impl_->mutex);
  const sqlite::Connection& db = impl_->connection;
  sqlite::Transaction transaction(db);
  Statement(db,
            "INSERT INTO reports (organization_name, report_id, organization, contact_info,"
            " start_time, end_time, received, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (organization_name, report_id) DO NOTHING")
      .bind(1, report.organization_name)
      .bind(2, report.report_id)
      .bind(3, report.organization)
      .bind(4, report.contact_info)
      .bind(5, unix_seconds(report.start))
      .bind(6, unix_seconds(report.end))
      .bind(7, unix_seconds(received))
      .bind(8, source)
      .run();
  if (sqlite3_changes(db.get()) == 0) return Ingest::duplicate;  // rolled back: nothing written
  const std::int64_t report_row = sqlite3_last_insert_rowid(db.get());
  Statement(db, "INSERT OR IGNORE INTO organizations (name) VALUES (?)")
      .bind(1, report.organization)
      .run();
  std::set<std::string> domains;
  for (const auto& policy : report.policies) {
    impl_->add_policy(policy, report_row, report.organization);
    domains.insert(policy.policy_domain);
  }
  Statement count(db,
                  "INSERT INTO report_totals VALUES (?, ?, 1, ?) ON CONFLICT DO UPDATE SET"
                  " reports = reports + 1, last_end = max(last_end, excluded.last_end)");
  for (const auto& domain : domains) {
    count.bind(1, domain).bind(2, report.organization).bind(3, unix_seconds(report.end)).run();
  }
  transaction.commit();
  return Ingest::stored;
}

void ReportDatabase::count_submission(std::string_view source, std::string_view result) {
  const std::lock_guard lock(impl_->mutex);
  Statement(impl_->connection,
            "INSERT INTO submissions VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1")
      .bind(1, source)
      .bind(2, result)
      .run();
}

ReportTotals ReportDatabase::totals() const {
  const std::lock_guard lock(impl_->mutex);
  const sqlite::Connection& db = impl_->connection;
  ReportTotals out;
  // One read transaction: the tables agree with each other.
  db.execute("BEGIN");
  try {
    Statement sessions(db, "SELECT * FROM session_totals");
    while (sessions.step()) {
      out.sessions.push_back({sessions.text(0), sessions.text(1), sessions.text(2),
                              static_cast<std::uint64_t>(sessions.integer(3)),
                              static_cast<std::uint64_t>(sessions.integer(4))});
    }
    Statement failures(db, "SELECT * FROM failure_totals");
    while (failures.step()) {
      out.failures.push_back({failures.text(0), failures.text(1), failures.text(2),
                              failures.text(3), failures.text(4),
                              static_cast<std::uint64_t>(failures.integer(5))});
    }
    Statement reports(db, "SELECT * FROM report_totals");
    while (reports.step()) {
      out.reports.push_back({reports.text(0), reports.text(1),
                             static_cast<std::uint64_t>(reports.integer(2)), reports.integer(3)});
    }
    Statement organizations(db, "SELECT name FROM organizations ORDER BY id");
    while (organizations.step()) out.organizations.push_back(organizations.text(0));
    Statement submissions(db, "SELECT * FROM submissions");
    while (submissions.step()) {
      out.submissions.push_back({{submissions.text(0), submissions.text(1)},
                                 static_cast<std::uint64_t>(submissions.integer(2))});
    }
  } catch (...) {
    db.execute("ROLLBACK");
    throw;
  }
  db.execute("COMMIT");
  return out;
}

std::vector<StoredReport> ReportDatabase::recent_reports(std::string_view domain,
                                                         std::size_t limit) const {
  const std::lock_guard lock(impl_->mutex);
  const sqlite::Connection& db = impl_->connection;
  Statement query(db,
                  "SELECT r.organization_name, r.report_id, r.source, r.start_time, r.end_time,"
                  " r.received, sum(p.successful), sum(p.failed), r.id FROM reports r JOIN"
                  " policies p ON p.report = r.id WHERE p.policy_domain = ? GROUP BY r.id"
                  " ORDER BY r.end_time DESC, r.id DESC LIMIT ?");
  query.bind(1, domain).bind(2, static_cast<std::int64_t>(limit));
  Statement details(db,
                    "SELECT d.result_type, sum(d.failed_sessions) FROM failure_details d JOIN"
                    " policies p ON d.policy = p.id WHERE p.report = ? AND p.policy_domain = ?"
                    " GROUP BY d.result_type ORDER BY 2 DESC, 1");
  std::vector<StoredReport> out;
  while (query.step()) {
    StoredReport r{query.text(0),
                   query.text(1),
                   query.text(2),
                   from_unix(query.integer(3)),
                   from_unix(query.integer(4)),
                   from_unix(query.integer(5)),
                   static_cast<std::uint64_t>(query.integer(6)),
                   static_cast<std::uint64_t>(query.integer(7)),
                   {}};
    details.bind(1, query.integer(8)).bind(2, domain);
    while (details.step()) {
      r.failures.emplace_back(details.text(0), static_cast<std::uint64_t>(details.integer(1)));
    }
    details.reset();
    out.push_back(std::move(r));
  }
  return out;
}

std::size_t ReportDatabase::prune(SystemTime before) {
  const std::lock_guard lock(impl_->mutex);
  sqlite::Transaction transaction(impl_->connection);
  // The report's own row stays (a few hundred bytes): its organization-name and report-id
  // keep a late copy of it a duplicate, so pruning never lets a report count twice.
  Statement(impl_->connection,
            "DELETE FROM policies WHERE report IN (SELECT id FROM reports WHERE end_time < ?)")
      .bind(1, unix_seconds(before))
      .run();
  const auto deleted = static_cast<std::size_t>(sqlite3_changes(impl_->connection.get()));
  transaction.commit();
  return deleted;
}

int ReportDatabase::schema_version() const {
  return impl_->version;
}

const std::string& ReportDatabase::path() const noexcept {
  return impl_->connection.path();
}

}  // namespace starttls_exporter::store
