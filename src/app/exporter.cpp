#include "exporter.hpp"

#include <chrono>
#include <string>

#include "build_config.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/tls_client/tls_client.hpp"

namespace starttls_exporter::app {
namespace {

/// How long stop() waits for cancelled probes to unwind before stopping the engine outright.
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

}  // namespace

std::string version_line() {
  return std::string("starttls_exporter ") + STARTTLS_EXPORTER_VERSION + " (gnutls " +
         tls::library_version() + ")";
}

Exporter::Exporter(ExporterOptions options)
    : options_(std::move(options)),
      collector_(store_, {STARTTLS_EXPORTER_VERSION, tls::library_version()}) {
  auto load = [this] {
    return runtime::load(options_.config_file, trust_, options_.shard, &targets_);
  };
  runtime::LoadedConfig initial = load();
  initial_targets_ = initial.targets.size();
  const int concurrency = initial.config.global.concurrency;
  // Every probe of this exporter, scheduled or /probe, shares its one chain verdict cache and
  // its certificate files.
  auto probe = [cache = &chain_cache_, files = &certificate_files_](
                   prober::ProbeSpec spec, std::chrono::steady_clock::time_point end) {
    spec.chain_cache = cache;
    spec.certificate_files = files;
    return prober::run_probe(std::move(spec), end);
  };
  scheduler_ = std::make_unique<scheduler::Scheduler>(engine_.io(), store_, probe, concurrency);
  scheduler_->set_observer(log_result);
  collector_.set_lag_source([s = scheduler_.get()] { return s->lag_histogram(); });
  domains_ = std::make_unique<runtime::DomainWatcher>(engine_.io(), store_, *scheduler_);
  collector_.set_dns_source([d = domains_.get()] { return d->resolver_stats(); });
  collector_.set_web_source([c = &web_counters_] { return web::web_stats(*c); });
  collector_.set_chain_cache_source([c = &chain_cache_] {
    const tls::ChainCache::Stats stats = c->stats();
    return metrics::ChainCacheStats{stats.hits, stats.misses, stats.entries};
  });
  reloader_ =
      std::make_unique<runtime::Reloader>(load, *domains_, collector_, engine_.io(), concurrency);
  const config::TlsrptSettings reports = initial.config.tlsrpt;
  reloader_->install(std::move(initial));
  start_reports(reports);
  web_ = std::make_unique<web::Frontend>(
      options_.listen_address,
      web::RouteContext{collector_, store_, *reloader_, *scheduler_, *domains_, reports_.get()},
      std::move(options_.web), web_counters_);
  engine_.start();
}

void Exporter::start_reports(const config::TlsrptSettings& settings) {
  if (settings.database.empty()) {
    if (!options_.tlsrpt_listen_address.empty()) {
      throw config::ConfigError({options_.config_file, 0, 0}, "tlsrpt.database",
                                "--tlsrpt.listen-address needs tlsrpt.database: reports are "
                                "kept there");
    }
    return;
  }
  try {
    reports_ = std::make_unique<store::ReportDatabase>(settings.database);
  } catch (const store::DatabaseError& e) {
    throw config::ConfigError(settings.database_location, "tlsrpt.database", e.what());
  }
  collector_.set_tlsrpt_source(web::tlsrpt_stats_source(
      *reports_, submissions_,
      options_.tlsrpt_listen_address.empty() ? nullptr : &reports_web_counters_, *reloader_));
  auto config = [r = reloader_.get()]() -> std::shared_ptr<const config::Config> {
    auto live = r->current();
    return live ? std::shared_ptr<const config::Config>(live, &live->config) : nullptr;
  };
  reports_keeper_ = std::make_unique<runtime::ReportKeeper>(
      *reports_, config, submissions_, settings.maildir, options_.maildir_rescan);
  if (options_.tlsrpt_listen_address.empty()) return;
  reports_listener_ = web::make_report_listener(
      options_.tlsrpt_listen_address, web::ReportContext{*reports_, submissions_, *reloader_},
      std::move(options_.tlsrpt_web), reports_web_counters_);
  log::info("TLS-RPT listener", {{"address", options_.tlsrpt_listen_address},
                                 {"port", std::to_string(reports_listener_->port())},
                                 {"tls", reports_listener_->tls() ? "true" : "false"}});
}

Exporter::~Exporter() {
  stop();
}

bool Exporter::stop() noexcept {
  if (stopped_) return !engine_.failed();
  stopped_ = true;
  domains_->stop();
  scheduler_->stop();
  if (!engine_.shutdown(kShutdownGrace)) {
    log::warn("probes did not end within the grace period; stopped them");
  }
  log::debug("engine stopped");
  if (reports_listener_) reports_listener_->stop();
  reports_keeper_.reset();
  web_->stop();
  log::debug("HTTP server stopped");
  return !engine_.failed();
}

}  // namespace starttls_exporter::app
