#include "probe_command.hpp"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>

#include "flags.hpp"
#include "probe_domain.hpp"
#include "probe_setup.hpp"
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/report/report.hpp"
#include "starttls_exporter/runtime/engine_thread.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::app {
namespace {

/// Beyond the deadline, how long to wait for the engine's answer (scheduling delay).
constexpr std::chrono::seconds kAnswerSlack{5};

void set_output(ProbeFlags& f, const std::string& v) {
  if (v == "text") {
    f.output = ReportFormat::text;
  } else if (v == "json") {
    f.output = ReportFormat::json;
  } else {
    throw FlagError("--output: want text or json, got \"" + v + "\"");
  }
}

const FlagTable<ProbeFlags>& probe_flag_table() {
  static const FlagTable<ProbeFlags> table{
      {
          {"--module", [](ProbeFlags& f, const std::string& v) { f.module = v; }},
          {"--config.file", [](ProbeFlags& f, const std::string& v) { f.config_file = v; }},
          {"--protocol",
           [](ProbeFlags& f, const std::string& v) {
             f.protocol = config::parse_protocol(v);
             if (!f.protocol) {
               throw FlagError("--protocol: want one of " + config::protocol_names() + ", got \"" +
                               v + "\"");
             }
           }},
          {"--server-name", [](ProbeFlags& f, const std::string& v) { f.server_name = v; }},
          {"--ca-file", [](ProbeFlags& f, const std::string& v) { f.ca_file = v; }},
          {"--mta-sts.ca-file", [](ProbeFlags& f, const std::string& v) { f.mta_sts_ca_file = v; }},
          {"--ehlo-name", [](ProbeFlags& f, const std::string& v) { f.ehlo_name = v; }},
          {"--certificate-file",
           [](ProbeFlags& f, const std::string& v) { f.certificate_file = v; }},
          {"--timeout",
           [](ProbeFlags& f, const std::string& v) {
             f.timeout = parse_duration(v);
             if (!f.timeout || f.timeout->count() <= 0) {
               throw FlagError("--timeout: want a positive duration such as 10s, got \"" + v +
                               "\"");
             }
           }},
          {"--output", set_output},
          {"--dns.resolver",
           [](ProbeFlags& f, const std::string& v) {
             std::string problem;
             const auto address = net::parse_target_address(v, problem);
             if (!address) throw FlagError("--dns.resolver: " + problem);
             f.dns_resolvers.push_back(
                 {address->address, address->port_given ? address->port : std::uint16_t{53}});
           }},
          {"--service",
           [](ProbeFlags& f, const std::string& v) {
             f.service = config::parse_service(v);
             if (!f.service) {
               throw FlagError("--service: want one of " + config::service_names() + ", got \"" +
                               v + "\"");
             }
           }},
          {"--dns.trust-anchor-file",
           [](ProbeFlags& f, const std::string& v) { f.trust_anchor_file = v; }},
          {"--dns.allowed-reserved-cidr",
           [](ProbeFlags& f, const std::string& v) {
             std::string problem;
             auto network = config::parse_ip_network(v, problem);
             if (!network) throw FlagError("--dns.allowed-reserved-cidr: " + problem);
             f.allowed_reserved.push_back(std::move(*network));
           }},
      },
      {
          {"--implicit-tls", &ProbeFlags::implicit_tls},
          {"--host", &ProbeFlags::host},
          {"--help", &ProbeFlags::help},
          {"-h", &ProbeFlags::help},
      }};
  return table;
}

/// What to probe, from the flags; throws SetupError, config::ConfigError or tls::TlsError.
report::ProbeRequest build_request(const ProbeFlags& flags) {
  std::string problem;
  const auto target = net::parse_target_address(flags.target, problem);
  if (!target) throw SetupError(problem);
  std::optional<config::Config> config;
  const config::Module module = probe_module(flags, config);
  report::ProbeRequest request;
  request.module = flags.module.empty() ? "(flags)" : flags.module;
  request.timeout = module.timeout;
  request.spec.address = target->address;
  request.spec.port =
      target->port_given ? target->port : config::default_port(module.protocol, module.tls.mode);
  prober::apply_module(request.spec, module);
  request.spec.trust = probe_trust(flags, module, config);
  request.spec.record_transcript = true;
  if (flags.server_name && !flags.server_name->empty()) {
    if (const auto why = net::server_name_problem(*flags.server_name)) {
      throw SetupError("--server-name: " + *why);
    }
  }
  request.spec.server_name = flags.server_name.value_or("");
  return request;
}

/// Runs the probe through a scheduler on its own engine thread, as /probe does.
ProbeResult run(const report::ProbeRequest& request) {
  store::ResultStore store;
  runtime::EngineThread engine;
  scheduler::Scheduler scheduler(engine.io(), store, prober::run_probe, 1);
  engine.start();
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto future = scheduler.probe_now(request.spec, deadline);
  const bool answered = future.wait_until(deadline + kAnswerSlack) == std::future_status::ready;
  scheduler.stop();
  engine.shutdown(std::chrono::milliseconds(800));
  if (!answered) throw std::runtime_error("the probe did not finish");
  return future.get();
}

struct DomainTarget {
  std::string name;
  std::uint16_t port = 25;
  bool port_given = false;
};

/// "example.com" or "example.com:2525" (not an IP literal): the domain form.
std::optional<DomainTarget> domain_target(const std::string& text) {
  std::string problem;
  if (net::parse_target_address(text, problem)) return std::nullopt;
  DomainTarget target;
  target.name = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    const auto port = net::parse_port(std::string_view(text).substr(colon + 1));
    if (!port) return std::nullopt;
    target = {text.substr(0, colon), *port, true};
  }
  target.name = net::normalise_domain_name(target.name);
  if (!net::is_dns_name(target.name) || net::ends_in_numeric_label(target.name))
    return std::nullopt;
  return target;
}

}  // namespace

ProbeFlags parse_probe_flags(const std::vector<std::string>& args) {
  ProbeFlags flags;
  parse_args(args, probe_flag_table(), flags, [&flags](const std::string& arg) {
    if (!flags.target.empty()) throw FlagError("more than one target: " + arg);
    flags.target = arg;
  });
  if (!flags.help && flags.target.empty()) throw FlagError("missing ADDRESS[:PORT]");
  if (!flags.config_file.empty() && flags.module.empty()) {
    throw FlagError("--config.file: only used with --module");
  }
  if (flags.service && flags.host) throw FlagError("--service and --host: one or the other");
  return flags;
}

int probe_command(const std::vector<std::string>& args) {
  ProbeFlags flags;
  try {
    flags = parse_probe_flags(args);
  } catch (const FlagError& e) {
    std::cerr << "starttls_exporter probe: " << e.what() << "\n\n" << probe_usage();
    return 2;
  }
  if (flags.help) {
    std::cout << probe_usage();
    return 0;
  }
  const auto domain = domain_target(flags.target);
  if (!domain && (flags.service || flags.host)) {
    std::cerr << "starttls_exporter probe: --service and --host need a name, not an address\n";
    return 2;
  }
  if (domain) {
    return probe_domain_command(flags, domain->name, domain->port, domain->port_given,
                                flags.output == ReportFormat::text && ::isatty(STDOUT_FILENO) == 1);
  }
  try {
    const report::ProbeRequest request = build_request(flags);
    const ProbeResult result = run(request);
    const auto now = std::chrono::system_clock::now();
    std::cout << (flags.output == ReportFormat::json
                      ? report::json_report(request, result, now)
                      : report::text_report(request, result, now, ::isatty(STDOUT_FILENO) == 1));
    return result.success ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "starttls_exporter probe: " << e.what() << "\n";
    return 2;
  }
}

std::string probe_usage() {
  return "usage: starttls_exporter probe ADDRESS[:PORT] [flags]\n"
         "       starttls_exporter probe DOMAIN[:PORT] [flags]\n"
         "\n"
         "Probes one mail server now, with the exporter's own prober and verification, and\n"
         "prints what happened. ADDRESS is an IP address (IPv6 as [ADDRESS]:PORT). A DOMAIN is\n"
         "resolved as configured domains are (MX in preference order, A/AAAA, DNSSEC validated\n"
         "by the exporter) and every address probed with its MX host's name. The port defaults\n"
         "to the protocol's (smtp 25, submission 587, imap 143, pop3 110, sieve 4190, lmtp 24;\n"
         "with --implicit-tls 465, 993, 995).\n"
         "\n"
         "Flags (--name=VALUE or --name VALUE):\n"
         "  --module=NAME          take protocol, TLS mode, EHLO name, CA file and timeout from\n"
         "                         this module of the configuration file; flags override them\n"
         "  --config.file=PATH     the configuration file of --module (default \"" +
         std::string(kDefaultConfigFile) +
         "\")\n"
         "  --protocol=NAME        smtp, submission, lmtp, imap, pop3 or sieve (default smtp)\n"
         "  --implicit-tls         TLS right after connect instead of STARTTLS\n"
         "  --server-name=NAME     SNI and the name the certificate must match (default: none,\n"
         "                         no SNI and no name check)\n"
         "  --ca-file=PATH         trust these CAs (PEM) instead of the system store; a\n"
         "                         DOMAIN's MTA-STS policy host too, unless:\n"
         "  --mta-sts.ca-file=PATH DOMAIN: trust these CAs (PEM) for the MTA-STS policy host\n"
         "                         (default: --ca-file, else the module's config\n"
         "                         mta_sts.ca_file, else the system store)\n"
         "  --ehlo-name=NAME       the EHLO/LHLO argument (default \"localhost\")\n"
         "  --certificate-file=PATH  the PEM file (or glob) the server is meant to serve:\n"
         "                         compared with the certificate served and, where DANE\n"
         "                         applies, judged against the TLSA records (default: the\n"
         "                         module's certificate_file, else none)\n"
         "  --timeout=DURATION     deadline of the whole probe (default 10s)\n"
         "  --output=FORMAT        text (default; colour on a terminal) or json\n"
         "  --dns.resolver=IP[:PORT]  DOMAIN: where lookups go; repeatable (default: the\n"
         "                         nameservers of /etc/resolv.conf)\n"
         "  --dns.trust-anchor-file=PATH  DOMAIN: DNSSEC trust anchor (default\n"
         "                         \"/usr/share/dns/root.key\")\n"
         "  --dns.allowed-reserved-cidr=CIDR  DOMAIN: probe reserved addresses inside (loopback,\n"
         "                         RFC 1918, ...); repeatable; others are reported, not probed\n"
         "  --service=NAME         DOMAIN: the service found by SRV instead of the MX hosts:\n"
         "                         submissions, submission, imaps, imap, pop3s or pop3 (its\n"
         "                         protocol and TLS mode; each target on its SRV port)\n"
         "  --host                 DOMAIN is a host: its own addresses, TLSA at _PORT._tcp.NAME\n"
         "                         (as a hosts: entry)\n"
         "  -h, --help             print this help and exit\n"
         "\n"
         "Exit status: 0 the probe succeeded (a domain: fully deliverable), 1 it ran and\n"
         "failed, 2 usage, configuration or internal error.\n";
}

}  // namespace starttls_exporter::app
