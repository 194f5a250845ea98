#include "probe_domain.hpp"

#include <asio/co_spawn.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>

#include "probe_setup.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/report/report.hpp"
#include "starttls_exporter/runtime/domain_watcher.hpp"
#include "starttls_exporter/runtime/engine_thread.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"

namespace starttls_exporter::app {
namespace {

constexpr int kConcurrency = 16;                 ///< addresses probed at once
constexpr std::chrono::seconds kAnswerSlack{5};  ///< beyond the deadline (scheduling delay)
constexpr std::size_t kMaxTrustAnchorBytes = 1024 * 1024;

config::DnsSettings dns_settings(const ProbeFlags& flags) {
  config::DnsSettings dns;
  dns.resolvers = flags.dns_resolvers;
  dns.allowed_reserved_cidrs = flags.allowed_reserved;
  dns.trust_anchor = {flags.trust_anchor_file, {}};
  std::ifstream in(flags.trust_anchor_file, std::ios::binary);
  if (!in) throw SetupError("--dns.trust-anchor-file: cannot read " + flags.trust_anchor_file);
  dns.trust_anchor.bytes.assign(std::istreambuf_iterator<char>(in), {});
  if (dns.trust_anchor.bytes.size() > kMaxTrustAnchorBytes) {
    throw SetupError("--dns.trust-anchor-file: " + flags.trust_anchor_file + " is too large");
  }
  return dns;
}

/// The policy hosts' trust store (RFC 8461 §3.3: PKIX for mta-sts.DOMAIN):
/// --mta-sts.ca-file, else --ca-file, else the config's mta_sts.ca_file (with --module),
/// else the system's.
domains::MtaStsOptions mta_sts_options(const ProbeFlags& flags,
                                       const std::optional<config::Config>& config) {
  domains::MtaStsOptions options;
  if (config) {
    options.refresh = config->mta_sts.refresh;
    options.timeout = config->mta_sts.timeout;
  }
  const std::string& file = !flags.mta_sts_ca_file.empty() ? flags.mta_sts_ca_file : flags.ca_file;
  if (!file.empty()) {
    options.trust = tls::TrustStore::from_pem_file(file);
  } else if (config) {
    runtime::TrustCache cache;
    options.trust = cache.get(config->mta_sts.tls, "mta_sts.ca_file", config->source_file);
  } else {
    options.trust = tls::TrustStore::system();
  }
  return options;
}

/// Resolves and probes on an engine thread of its own, through the same domain round as the
/// exporter's scheduled probes and /probe?domain=.
domains::DomainProbe run(const domains::DomainJob& job, const config::DnsSettings& dns,
                         const domains::MtaStsOptions& mta_sts, Duration timeout) {
  store::ResultStore store;
  runtime::EngineThread engine;
  scheduler::Scheduler scheduler(engine.io(), store, prober::run_probe, kConcurrency);
  auto resolver = std::make_shared<dns::Resolver>(engine.io(), domains::resolver_settings(dns));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::promise<domains::DomainProbe> promise;
  auto future = promise.get_future();
  asio::co_spawn(
      engine.io(),
      domains::probe_domain(engine.io(), resolver, scheduler, dns, job, deadline, mta_sts),
      [&promise](std::exception_ptr e, domains::DomainProbe probe) {
        if (e) {
          promise.set_exception(e);
        } else {
          promise.set_value(std::move(probe));
        }
      });
  engine.start();
  const bool answered = future.wait_until(deadline + kAnswerSlack) == std::future_status::ready;
  scheduler.stop();
  resolver.reset();
  engine.shutdown(std::chrono::milliseconds(800));
  if (!answered) throw std::runtime_error("the domain probe did not finish");
  return future.get();
}

/// What senders reported about `domain`, when the configuration keeps TLS-RPT reports (an
/// existing database is only read; none is created).
void print_sender_reports(const config::Config& config, const std::string& domain) {
  const std::string& path = config.tlsrpt.database;
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return;
  try {
    const store::ReportDatabase database(path);
    for (const auto& reports : report::sender_reports(database, 5)) {
      if (reports.domain == domain) std::cout << "\n" << report::sender_reports_text(reports);
    }
  } catch (const std::exception& e) {
    std::cerr << "starttls_exporter probe: TLS-RPT reports not shown: " << e.what() << "\n";
  }
}

}  // namespace

int probe_domain_command(const ProbeFlags& flags, const std::string& domain, std::uint16_t port,
                         bool port_given, bool colour) {
  try {
    std::optional<config::Config> config;
    config::Module module = probe_module(flags, config);
    config::Domain entry;
    entry.name = domain;
    entry.module = flags.module.empty() ? "(flags)" : flags.module;
    if (port_given) entry.port = port;
    if (flags.service) {  // as domains[].services does: the module speaking the service
      module = config::module_for_service(module, *flags.service);
      entry.kind = config::DomainKind::service;
      entry.service = std::string(flags.service->name);
      entry.module = module.name;
      entry.port.reset();  // the SRV records name the ports
    } else if (flags.host) {
      entry.kind = config::DomainKind::host;
      entry.certificate_file = module.certificate_file;
    }
    entry.interval = std::chrono::hours(1);
    domains::DomainJob job = runtime::domain_job(entry, module, probe_trust(flags, module, config));
    job.spec.record_transcript = true;  // the report shows each dialogue
    const config::DnsSettings dns = dns_settings(flags);
    const domains::DomainProbe probe =
        run(job, dns, mta_sts_options(flags, config), module.timeout);
    const auto now = std::chrono::system_clock::now();
    std::cout << (flags.output == ReportFormat::json
                      ? report::domain_json_report(probe, job.port, now)
                      : report::domain_text_report(probe, job.port, now, colour));
    if (flags.output != ReportFormat::json && config) print_sender_reports(*config, domain);
    return report::domain_verdict(probe).success ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "starttls_exporter probe: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace starttls_exporter::app
