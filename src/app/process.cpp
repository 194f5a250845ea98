#include "process.hpp"

#include <cerrno>
#include <cstring>

namespace starttls_exporter::app {

sigset_t block_control_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signals;
}

int wait_for_signal(const sigset_t& signals) {
  for (;;) {
    int number = 0;
    if (sigwait(&signals, &number) == 0) return number;
  }
}

FileLimit raise_open_files_limit() noexcept {
  FileLimit result;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::strerror(errno);
    return result;
  }
  result.soft = limit.rlim_cur;
  result.hard = limit.rlim_max;
  if (limit.rlim_cur >= limit.rlim_max) return result;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::strerror(errno);
    return result;
  }
  result.soft = limit.rlim_cur;
  result.raised = true;
  return result;
}

}  // namespace starttls_exporter::app
