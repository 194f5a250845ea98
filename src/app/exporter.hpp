#pragma once
/// \file
/// The exporter's life: configuration, engine thread, HTTP server, signals.

#include <string>

#include "flags.hpp"

namespace starttls_exporter::app {

/// "starttls_exporter 0.1.0 (gnutls 3.7.9)".
std::string version_line();

/// --config.check: loads and validates the configuration, builds every trust store. Prints
/// "config OK: N targets, M modules" to stdout and returns 0, or prints the error
/// ("FILE:LINE:COL: key: problem") to stderr and returns 1.
int check_config(const Flags& flags);

/// Runs until SIGTERM or SIGINT (returns 0) or a start-up failure (logged; returns 1). SIGHUP
/// reloads the configuration. Expects block_control_signals() to have run in this thread
/// before any other thread was started.
int run_exporter(const Flags& flags, const sigset_t& control_signals);

}  // namespace starttls_exporter::app
