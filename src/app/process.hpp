#pragma once
/// \file
/// Process-wide set-up: signal disposition and the open-files limit.

#include <signal.h>
#include <sys/resource.h>

#include <string>

namespace starttls_exporter::app {

/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, so every thread created afterwards
/// (engine, CivetWeb workers) inherits the mask and only wait_for_signal() receives them; and
/// ignores SIGPIPE (a write to a closed socket is an error, not a death). Call first in main.
sigset_t block_control_signals();

/// Waits for one of `signals` (as returned by block_control_signals) and returns its number.
int wait_for_signal(const sigset_t& signals);

struct FileLimit {
  rlim_t soft = 0;  ///< the soft RLIMIT_NOFILE now in force
  rlim_t hard = 0;
  bool raised = false;  ///< the soft limit was below the hard one and was raised to it
  std::string error;    ///< why reading or raising failed; empty on success
};

/// Raises the soft RLIMIT_NOFILE to the hard limit: every probe holds one socket.
FileLimit raise_open_files_limit() noexcept;

}  // namespace starttls_exporter::app
