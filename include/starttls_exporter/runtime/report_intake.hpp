#pragma once
/// \file
/// TLS-RPT intake (src/runtime): the one path every report takes, whichever way it came
/// (HTTPS, the Maildir, `tlsrpt import`): decoded and parsed within bounds, its policy domains
/// checked against the configuration, then kept in the report database in one transaction.
/// Also the Maildir watcher and the retention pruning the exporter runs.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/unique_fd.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::runtime {

/// Where a report came from: the `source` label of starttls_exporter_tlsrpt_submissions_total.
enum class ReportSource : std::size_t { https, maildir, cli, count_ };
/// What became of a submission: its `result` label. A fixed set.
enum class SubmissionResult : std::size_t {
  stored,
  duplicate,
  unknown_domain,
  malformed,
  too_large,
  unsupported_media_type,
  count_
};
std::string_view to_string(ReportSource source) noexcept;
std::string_view to_string(SubmissionResult result) noexcept;

struct IntakeOutcome {
  SubmissionResult result = SubmissionResult::malformed;
  std::string detail;        ///< why it was refused, one line; empty when kept
  std::string organization;  ///< as the sender wrote it, when the report parsed
  std::string report_id;
  std::string domain;  ///< the first policy domain, when the report parsed
};

/// Whether reports about `policy_domain` are taken: a configured domains[] entry or one listed
/// in tlsrpt.domains.
bool accepts_reports_for(const config::Config& config, std::string_view policy_domain);

/// Keeps the report in `body` (gzip or JSON, decided by its bytes) when it parses within
/// tlsrpt::Limits and every policy domain is accepted; logs every outcome. Throws
/// store::DatabaseError when it cannot be written (then nothing was kept: try again later).
IntakeOutcome ingest_report(store::ReportDatabase& database, const config::Config& config,
                            std::string_view body, ReportSource source);
/// The same for a report mail: the report part is found first (tlsrpt::report_from_mail).
IntakeOutcome ingest_mail(store::ReportDatabase& database, const config::Config& config,
                          std::string_view message, ReportSource source);

/// Either of the two by the bytes (tlsrpt::looks_like_report_body): `tlsrpt import` takes
/// .json, .json.gz and .eml files alike.
IntakeOutcome ingest_submission(store::ReportDatabase& database, const config::Config& config,
                                std::string_view bytes, ReportSource source);

/// A submitted file's bytes, at most tlsrpt::Limits' max_message_bytes + 1 (so an over-long
/// file is refused as too_large, not read whole); nullopt when it cannot be read.
std::optional<std::string> read_submission(const std::filesystem::path& file);

/// Submission counts of this process. Thread-safe.
class SubmissionCounters {
 public:
  void add(ReportSource source, SubmissionResult result) noexcept {
    cell(source, result).fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t count(ReportSource source, SubmissionResult result) const noexcept {
    return counts_[index(source, result)].load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t kResults = static_cast<std::size_t>(SubmissionResult::count_);
  static std::size_t index(ReportSource s, SubmissionResult r) noexcept {
    return static_cast<std::size_t>(s) * kResults + static_cast<std::size_t>(r);
  }
  std::atomic<std::uint64_t>& cell(ReportSource s, SubmissionResult r) noexcept {
    return counts_[index(s, r)];
  }
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(ReportSource::count_) * kResults>
      counts_{};
};

/// The running configuration, read at each submission (a reload changes the accepted domains).
using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

/// Watches `maildir`/new for report mails (inotify, and a full rescan every `rescan`, so
/// nothing is missed) and prunes the database every hour to `tlsrpt.retention`. A kept or
/// duplicate mail moves to cur/; a refused one to the Maildir++ folder .Quarantine/cur/, with
/// the reason logged; one that cannot be written stays in new/ for the next scan. Runs on its
/// own thread from construction to destruction. An empty `maildir` only prunes.
class ReportKeeper {
 public:
  ReportKeeper(store::ReportDatabase& database, ConfigSource config, SubmissionCounters& counters,
               std::filesystem::path maildir, std::chrono::milliseconds rescan);
  ~ReportKeeper();
  ReportKeeper(const ReportKeeper&) = delete;
  ReportKeeper& operator=(const ReportKeeper&) = delete;

  /// Handles every mail now in new/ (also called by the thread); returns how many were moved.
  std::size_t scan();

 private:
  void run() noexcept;
  void prune() noexcept;

  store::ReportDatabase& database_;
  ConfigSource config_;
  SubmissionCounters& counters_;
  std::filesystem::path maildir_;
  std::chrono::milliseconds rescan_;
  UniqueFd inotify_;
  UniqueFd wake_;  ///< an eventfd: written to stop the thread
  std::thread thread_;
};

}  // namespace starttls_exporter::runtime
