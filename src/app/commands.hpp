#pragma once
/// \file
/// What main() runs for each mode of the command line.

#include <signal.h>

#include "flags.hpp"

namespace starttls_exporter::app {

/// --config.check: loads and validates the configuration, builds every trust store. Prints
/// "config OK: N targets, M modules" to stdout and returns 0, or prints the error
/// ("FILE:LINE:COL: key: problem") to stderr and returns 1.
int check_config(const Flags& flags);

/// Runs until SIGTERM or SIGINT (returns 0) or a start-up failure (logged; returns 1). SIGHUP
/// reloads the configuration. Expects block_control_signals() to have run in this thread
/// before any other thread was started.
int run_exporter(const Flags& flags, const sigset_t& control_signals);

}  // namespace starttls_exporter::app
