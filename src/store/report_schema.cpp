// The report database's schema and its migrations: PRAGMA user_version is the version; each
// migration runs in its own transaction, so a file is always at one version or the next.
#include "report_schema.hpp"

#include <array>
#include <string>

namespace starttls_exporter::store::sqlite {
namespace {

// Version N is kMigrations[N - 1]. Append only: a released migration never changes.
constexpr std::array<const char*, 1> kMigrations{
    // 1: reports with their policies and failure details (policies deleted after the
    // retention, their details with them by ON DELETE CASCADE; a report's own row stays, for
    // deduplication), and the running totals, which nothing deletes.
    R"sql(
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  organization_name TEXT NOT NULL,
  report_id TEXT NOT NULL,
  organization TEXT NOT NULL,
  contact_info TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER NOT NULL,
  received INTEGER NOT NULL,
  source TEXT NOT NULL,
  UNIQUE (organization_name, report_id));
CREATE INDEX reports_by_end ON reports (end_time);
CREATE TABLE policies (
  id INTEGER PRIMARY KEY,
  report INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  policy_type TEXT NOT NULL,
  policy_domain TEXT NOT NULL,
  policy_strings TEXT NOT NULL,
  mx_hosts TEXT NOT NULL,
  successful INTEGER NOT NULL,
  failed INTEGER NOT NULL);
CREATE INDEX policies_by_report ON policies (report);
CREATE INDEX policies_by_domain ON policies (policy_domain);
CREATE TABLE failure_details (
  policy INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
  result_type TEXT NOT NULL,
  reported_result_type TEXT NOT NULL,
  sending_mta_ip TEXT NOT NULL,
  receiving_mx_hostname TEXT NOT NULL,
  receiving_ip TEXT NOT NULL,
  failed_sessions INTEGER NOT NULL,
  additional_information TEXT NOT NULL,
  failure_reason_code TEXT NOT NULL);
CREATE INDEX failure_details_by_policy ON failure_details (policy);
CREATE TABLE organizations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE session_totals (
  domain TEXT NOT NULL, policy_type TEXT NOT NULL, organization TEXT NOT NULL,
  successful INTEGER NOT NULL, failed INTEGER NOT NULL,
  PRIMARY KEY (domain, policy_type, organization));
CREATE TABLE failure_totals (
  domain TEXT NOT NULL, policy_type TEXT NOT NULL, result_type TEXT NOT NULL,
  mx_host TEXT NOT NULL, organization TEXT NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (domain, policy_type, result_type, mx_host, organization));
CREATE TABLE report_totals (
  domain TEXT NOT NULL, organization TEXT NOT NULL, reports INTEGER NOT NULL,
  last_end INTEGER NOT NULL,
  PRIMARY KEY (domain, organization));
CREATE TABLE submissions (
  source TEXT NOT NULL, result TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (source, result));
)sql",
};

int user_version(const Connection& connection) {
  Statement query(connection, "PRAGMA user_version");
  return query.step() ? static_cast<int>(query.integer(0)) : 0;
}

}  // namespace

int current_schema_version() noexcept {
  return static_cast<int>(kMigrations.size());
}

int migrate(const Connection& connection) {
  for (;;) {
    Transaction transaction(connection);  // one writer migrates; the others then see it done
    const int version = user_version(connection);
    if (version > current_schema_version()) {
      throw DatabaseError(connection.path() + ": schema version " + std::to_string(version) +
                          " is newer than this program's (" +
                          std::to_string(current_schema_version()) + "): upgrade the exporter");
    }
    if (version == current_schema_version()) return version;
    connection.execute(kMigrations[static_cast<std::size_t>(version)]);
    connection.execute(("PRAGMA user_version = " + std::to_string(version + 1)).c_str());
    transaction.commit();
  }
}

}  // namespace starttls_exporter::store::sqlite
