#include "exporter.hpp"

#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "build_config.hpp"
#include "engine_thread.hpp"
#include "process.hpp"
#include "reloader.hpp"
#include "routes.hpp"
#include "runtime.hpp"
#include "starttls_exporter/collector.hpp"
#include "starttls_exporter/config.hpp"
#include "starttls_exporter/http_server.hpp"
#include "starttls_exporter/log.hpp"
#include "starttls_exporter/prober.hpp"
#include "starttls_exporter/result_store.hpp"
#include "starttls_exporter/scheduler.hpp"
#include "starttls_exporter/tls.hpp"
#include "web_security.hpp"

namespace starttls_exporter::app {
namespace {

/// How long shutdown waits for cancelled probes to unwind before stopping the engine outright.
constexpr std::chrono::milliseconds kShutdownGrace{800};

/// Successes at debug, failures at info: a failing server is what an operator looks for.
void log_result(const store::TargetInfo& target, const ProbeResult& result) {
  const std::string seconds = std::to_string(result.duration_seconds);
  if (result.success || !result.failure) {
    log::debug(
        "probe succeeded",
        {{"target", target.endpoint}, {"module", target.module}, {"duration_seconds", seconds}});
    return;
  }
  const Failure& failure = *result.failure;
  const std::string code = std::to_string(failure.smtp_code);
  log::info("probe failed", {{"target", target.endpoint},
                             {"module", target.module},
                             {"phase", to_string(failure.phase)},
                             {"reason", to_string(failure.reason)},
                             {"smtp_code", failure.smtp_code != 0 ? code : ""},
                             {"detail", failure.detail},
                             {"duration_seconds", seconds}});
}

/// The scheduler's lag histogram in the collector's neutral shape.
metrics::HistogramData lag_data(const scheduler::LagHistogram& lag) {
  const auto& bounds = scheduler::LagHistogram::upper_bounds_seconds;
  return {{bounds.begin(), bounds.end()},
          {lag.counts.begin(), lag.counts.end()},
          lag.sum_seconds,
          lag.count};
}

using Loaded = LoadedConfig;

/// Loads the file and builds its targets. Throws config::ConfigError (or std::exception).
Loaded load(const std::string& path, TrustCache& trust, const Shard& shard) {
  const ReturnFreedMemory trim;  // on success and on error alike
  Loaded loaded{config::load_config(path), {}};
  loaded.targets = build_targets(loaded.config, trust, shard);
  return loaded;
}

void log_file_limit() {
  const FileLimit limit = raise_open_files_limit();
  if (!limit.error.empty()) {
    log::warn("cannot raise the open files limit", {{"error", limit.error}});
    return;
  }
  log::info(limit.raised ? "raised the open files limit" : "open files limit",
            {{"soft", std::to_string(limit.soft)}, {"hard", std::to_string(limit.hard)}});
}

}  // namespace

std::string version_line() {
  return std::string("starttls_exporter ") + STARTTLS_EXPORTER_VERSION + " (gnutls " +
         tls::library_version() + ")";
}

int check_config(const Flags& flags) {
  try {
    TrustCache trust;
    const auto loaded = load(flags.config_file, trust, flags.shard);
    load_web_security(flags.web_config_file);  // validates --web.config.file too
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
  TrustCache trust;
  std::optional<Loaded> initial;
  try {
    initial = load(flags.config_file, trust, flags.shard);
  } catch (const std::exception& e) {
    log::error("cannot load the configuration", {{"error", e.what()}});
    return 1;
  }
  WebSecurity web;
  try {
    web = load_web_security(flags.web_config_file);
  } catch (const std::exception& e) {
    log::error("cannot load the web configuration", {{"error", e.what()}});
    return 1;
  }
  log::info("starting", {{"version", STARTTLS_EXPORTER_VERSION},
                         {"gnutls", tls::library_version()},
                         {"config", flags.config_file},
                         {"listen_address", flags.listen_address},
                         {"targets", std::to_string(initial->targets.size())},
                         {"shard", to_string(flags.shard)}});
  log_file_limit();

  // Declaration order is destruction order in reverse: the server goes first (no scrape
  // reads the store afterwards), the io_context before the store its coroutines write to.
  store::ResultStore store;
  metrics::Collector collector(store, {STARTTLS_EXPORTER_VERSION, tls::library_version()});
  EngineThread engine;
  const int concurrency = initial->config.global.concurrency;
  scheduler::Scheduler scheduler(engine.io(), store, prober::run_probe, concurrency);
  scheduler.set_observer(log_result);
  collector.set_lag_source([&scheduler] { return lag_data(scheduler.lag_histogram()); });
  Reloader reloader([&] { return load(flags.config_file, trust, flags.shard); }, trust, scheduler,
                    collector, engine.io(), concurrency);
  reloader.install(std::move(*initial));
  initial.reset();

  // With TLS, the terminator owns the public address and the HTTP server listens on loopback
  // only, serving nothing but the terminator's own connections (admit). Declared first: the
  // server, whose admit callback uses it, is destroyed before it.
  std::optional<tls::Terminator> terminator;
  std::optional<http::Server> server;
  try {
    if (web.tls) {
      terminator.emplace(flags.listen_address, *web.tls);
      web.server.admit = [&t = *terminator](const std::string& ip, int port) {
        return t.client_of(ip, port);
      };
    }
    server.emplace(terminator ? "127.0.0.1:0" : flags.listen_address,
                   make_routes({collector, store, reloader, scheduler}), std::move(web.server));
    if (terminator) terminator->start(server->port());
  } catch (const std::exception& e) {
    log::error("cannot start the HTTP server", {{"error", e.what()}});
    return 1;
  }
  if (terminator) {
    log::debug("HTTP server behind the TLS terminator",
               {{"address", "127.0.0.1"}, {"internal_port", std::to_string(server->port())}});
  }
  log::info("listening",
            {{"address", flags.listen_address},
             {"port", std::to_string(terminator ? terminator->port() : server->port())},
             {"tls", terminator ? "true" : "false"}});
  engine.start();

  for (;;) {
    const int signal = wait_for_signal(control_signals);
    if (signal == SIGHUP) {
      reloader.reload("SIGHUP");
      continue;
    }
    log::info("shutting down", {{"signal", ::strsignal(signal)}});
    break;
  }
  scheduler.stop();
  if (!engine.shutdown(kShutdownGrace)) {
    log::warn("probes did not end within the grace period; stopped them");
  }
  log::debug("engine stopped");
  if (terminator) terminator->stop();  // first: the HTTP server's workers then see EOF at once
  server.reset();
  log::debug("HTTP server stopped");
  log::info("stopped");
  return engine.failed() ? 1 : 0;
}

}  // namespace starttls_exporter::app
