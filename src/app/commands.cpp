#include "commands.hpp"

#include <cstring>
#include <iostream>
#include <optional>

#include "build_config.hpp"
#include "exporter.hpp"
#include "process.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::app {
namespace {

void log_file_limit() {
  const FileLimit limit = raise_open_files_limit();
  if (!limit.error.empty()) {
    log::warn("cannot raise the open files limit", {{"error", limit.error}});
    return;
  }
  log::info(limit.raised ? "raised the open files limit" : "open files limit",
            {{"soft", std::to_string(limit.soft)}, {"hard", std::to_string(limit.hard)}});
}

/// The exporter, started; nullopt after logging why it could not start.
std::optional<Exporter> start(const Flags& flags) {
  ExporterOptions options;
  options.config_file = flags.config_file;
  options.listen_address = flags.listen_address;
  options.shard = flags.shard;
  options.tlsrpt_listen_address = flags.tlsrpt_listen_address;
  try {
    options.web = web::load_web_security(flags.web_config_file);
    options.tlsrpt_web = web::load_web_security(flags.tlsrpt_web_config_file);
  } catch (const std::exception& e) {
    log::error("cannot load the web configuration", {{"error", e.what()}});
    return std::nullopt;
  }
  try {
    return std::optional<Exporter>(std::in_place, std::move(options));
  } catch (const config::ConfigError& e) {
    log::error("cannot load the configuration", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log::error("cannot start the HTTP server", {{"error", e.what()}});
  }
  return std::nullopt;
}

/// Reloads on SIGHUP; returns at SIGTERM or SIGINT.
void serve_until_stopped(Exporter& exporter, const sigset_t& control_signals) {
  for (;;) {
    const int signal = wait_for_signal(control_signals);
    if (signal != SIGHUP) {
      log::info("shutting down", {{"signal", ::strsignal(signal)}});
      return;
    }
    exporter.reloader().reload("SIGHUP");
  }
}

}  // namespace

int check_config(const Flags& flags) {
  try {
    runtime::TrustCache trust;
    const auto loaded = runtime::load(flags.config_file, trust, flags.shard);
    web::load_web_security(flags.web_config_file);  // validates --web.config.file too
    web::load_web_security(flags.tlsrpt_web_config_file);
    std::cout << "config OK: " << loaded.config.targets.size() << " targets, "
              << loaded.config.modules.size() << " modules";
    if (flags.shard.count > 1) {
      std::cout << "; shard " << to_string(flags.shard) << " probes " << loaded.targets.size();
    }
    std::cout << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

int run_exporter(const Flags& flags, const sigset_t& control_signals) {
  log_file_limit();
  std::optional<Exporter> exporter = start(flags);
  if (!exporter) return 1;
  log::info("starting", {{"version", STARTTLS_EXPORTER_VERSION},
                         {"gnutls", tls::library_version()},
                         {"config", flags.config_file},
                         {"listen_address", flags.listen_address},
                         {"targets", std::to_string(exporter->targets())},
                         {"shard", to_string(flags.shard)}});
  log::info("listening", {{"address", flags.listen_address},
                          {"port", std::to_string(exporter->port())},
                          {"tls", exporter->tls() ? "true" : "false"}});
  serve_until_stopped(*exporter, control_signals);
  const bool clean = exporter->stop();
  exporter.reset();
  log::info("stopped");
  return clean ? 0 : 1;
}

}  // namespace starttls_exporter::app
