// The Maildir watcher and the retention pruning: one thread that waits on inotify, a stop
// eventfd and the rescan/prune deadline, whichever comes first.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/runtime/report_intake.hpp"

namespace starttls_exporter::runtime {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPruneEvery = std::chrono::hours(1);

/// new/, cur/ and tmp/ of a Maildir, created when missing.
void make_maildir(const fs::path& dir) {
  for (const char* sub : {"new", "cur", "tmp"}) fs::create_directories(dir / sub);
}

/// A Maildir name as it goes into cur/: with the ":2," info part when it has none.
std::string cur_name(const std::string& name) {
  return name.find(':') == std::string::npos ? name + ":2," : name;
}

}  // namespace

ReportKeeper::ReportKeeper(store::ReportDatabase& database, ConfigSource config,
                           SubmissionCounters& counters, fs::path maildir,
                           std::chrono::milliseconds rescan)
    : database_(database),
      config_(std::move(config)),
      counters_(counters),
      maildir_(std::move(maildir)),
      rescan_(rescan),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
  if (!maildir_.empty()) {
    make_maildir(maildir_);
    make_maildir(maildir_ / ".Quarantine");
    inotify_ = UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    // A delivered mail appears in new/ whole: renamed from tmp/ (IN_MOVED_TO) or, as Postfix
    // does, linked there (IN_CREATE).
    if (!inotify_ || ::inotify_add_watch(inotify_.get(), (maildir_ / "new").c_str(),
                                         IN_CREATE | IN_MOVED_TO) < 0) {
      throw std::system_error(errno, std::generic_category(),
                              "inotify on " + (maildir_ / "new").string());
    }
  }
  thread_ = std::thread([this] { run(); });
}

ReportKeeper::~ReportKeeper() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

std::size_t ReportKeeper::scan() {
  if (maildir_.empty()) return 0;
  const auto config = config_();
  if (!config) return 0;
  std::size_t moved = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(maildir_ / "new", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with('.') || !entry.is_regular_file(ec)) continue;
    const auto mail = read_submission(entry.path());
    if (!mail) continue;  // gone meanwhile, or unreadable: the next scan tries again
    IntakeOutcome outcome;
    try {
      outcome = ingest_mail(database_, *config, *mail, ReportSource::maildir);
    } catch (const std::exception& e) {
      log::error("tlsrpt: cannot keep a report mail; it stays in new/",
                 {{"file", entry.path().string()}, {"error", e.what()}});
      continue;
    }
    counters_.add(ReportSource::maildir, outcome.result);
    const bool kept =
        outcome.result == SubmissionResult::stored || outcome.result == SubmissionResult::duplicate;
    const fs::path target = (kept ? maildir_ : maildir_ / ".Quarantine") / "cur" / cur_name(name);
    fs::rename(entry.path(), target, ec);
    if (ec) {
      log::error("tlsrpt: cannot move a report mail",
                 {{"file", entry.path().string()}, {"error", ec.message()}});
      continue;
    }
    if (!kept) log::warn("tlsrpt: report mail quarantined", {{"file", target.string()}});
    ++moved;
  }
  return moved;
}

void ReportKeeper::prune() noexcept {
  const auto config = config_();
  if (!config) return;
  try {
    const auto before = std::chrono::system_clock::now() -
                        std::chrono::duration_cast<std::chrono::seconds>(config->tlsrpt.retention);
    if (const std::size_t n = database_.prune(before); n > 0) {
      log::info("tlsrpt: report details past retention deleted", {{"policies", std::to_string(n)}});
    }
  } catch (const std::exception& e) {
    log::error("tlsrpt: pruning failed", {{"error", e.what()}});
  }
}

void ReportKeeper::run() noexcept {
  auto next_prune = Clock::now();
  for (;;) {
    if (Clock::now() >= next_prune) {
      prune();
      next_prune = Clock::now() + kPruneEvery;
    }
    try {
      scan();
    } catch (const std::exception& e) {
      log::error("tlsrpt: Maildir scan failed", {{"error", e.what()}});
    }
    const auto wait = std::min<Clock::duration>(rescan_, next_prune - Clock::now());
    pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
    const int timeout_ms = static_cast<int>(
        std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) +
        1);
    if (::poll(fds, inotify_ ? 2 : 1, timeout_ms) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) return;
    if (inotify_ && (fds[1].revents & POLLIN)) {
      char events[4096];
      while (::read(inotify_.get(), events, sizeof events) > 0) {
      }
    }
  }
}

}  // namespace starttls_exporter::runtime
