#include "probe_domain.hpp"

#include <asio/co_spawn.hpp>

#include <fstream>
#include <future>
#include <iostream>
#include <iterator>

#include "probe_report.hpp"
#include "probe_setup.hpp"
#include "report_format.hpp"
#include "starttls_exporter/domain_watcher.hpp"
#include "starttls_exporter/engine_thread.hpp"
#include "starttls_exporter/loaded_config.hpp"
#include "starttls_exporter/prober.hpp"

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

/// Resolves and probes on an engine thread of its own, as /probe?domain= does.
runtime::DomainProbe run(const runtime::DomainJob& job, const config::DnsSettings& dns,
                         Duration timeout) {
  store::ResultStore store;
  runtime::EngineThread engine;
  scheduler::Scheduler scheduler(engine.io(), store, prober::run_probe, kConcurrency);
  auto resolver = std::make_shared<dns::Resolver>(engine.io(), runtime::resolver_settings(dns));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::promise<runtime::DomainProbe> promise;
  auto future = promise.get_future();
  asio::co_spawn(engine.io(),
                 runtime::probe_domain(engine.io(), resolver, scheduler, dns, job, deadline),
                 [&promise](std::exception_ptr e, runtime::DomainProbe probe) {
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

bool deliverable(const runtime::DomainProbe& probe) {
  const dns::MailPath* path = probe.state->path.get();
  if (!path || !path->resolved || !path->failures.empty() || probe.results.empty()) return false;
  for (const auto& [info, result] : probe.results) {
    if (!result.success) return false;
  }
  return true;
}

/// Each address's request, in the order of probe.results (targets_of is deterministic).
std::vector<ProbeRequest> requests_of(const runtime::DomainProbe& probe,
                                      const runtime::DomainJob& job) {
  std::vector<ProbeRequest> out;
  if (!probe.state->path) return out;
  for (auto& target : runtime::targets_of(*probe.state->path, job)) {
    out.push_back({job.domain.module, job.timeout, std::move(target.spec)});
  }
  return out;
}

}  // namespace

int probe_domain_command(const ProbeFlags& flags, const std::string& domain, std::uint16_t port,
                         bool port_given, bool colour) {
  try {
    std::optional<config::Config> config;
    const config::Module module = probe_module(flags, config);
    config::Domain entry;
    entry.name = domain;
    entry.module = flags.module.empty() ? "(flags)" : flags.module;
    if (port_given) entry.port = port;
    entry.interval = std::chrono::hours(1);
    runtime::DomainJob job = runtime::domain_job(entry, module, probe_trust(flags, module, config));
    job.spec.record_transcript = true;  // the report shows each dialogue
    const config::DnsSettings dns = dns_settings(flags);
    const runtime::DomainProbe probe = run(job, dns, module.timeout);
    const auto requests = requests_of(probe, job);
    const auto now = std::chrono::system_clock::now();
    std::cout << (flags.output == ReportFormat::json
                      ? domain_json_report(probe, requests, job.port, now)
                      : domain_text_report(probe, requests, job.port, now, colour));
    return deliverable(probe) ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "starttls_exporter probe: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace starttls_exporter::app
