#include "probe_command.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>

#include "flags.hpp"
#include "probe_report.hpp"
#include "starttls_exporter/engine_thread.hpp"
#include "starttls_exporter/loaded_config.hpp"
#include "starttls_exporter/net.hpp"
#include "starttls_exporter/prober.hpp"
#include "starttls_exporter/result_store.hpp"
#include "starttls_exporter/scheduler.hpp"

namespace starttls_exporter::app {
namespace {

/// Without --timeout or a module: the config's global.timeout default.
constexpr Duration kDefaultTimeout = std::chrono::seconds(10);
/// Beyond the deadline, how long to wait for the engine's answer (scheduling delay).
constexpr std::chrono::seconds kAnswerSlack{5};

/// A usage or setup error: exit code 2.
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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
          {"--ehlo-name", [](ProbeFlags& f, const std::string& v) { f.ehlo_name = v; }},
          {"--timeout",
           [](ProbeFlags& f, const std::string& v) {
             f.timeout = parse_duration(v);
             if (!f.timeout || f.timeout->count() <= 0) {
               throw FlagError("--timeout: want a positive duration such as 10s, got \"" + v +
                               "\"");
             }
           }},
          {"--output", set_output},
      },
      {
          {"--implicit-tls", &ProbeFlags::implicit_tls},
          {"--help", &ProbeFlags::help},
          {"-h", &ProbeFlags::help},
      }};
  return table;
}

/// The module the probe runs with: --module's from the config file, else the defaults; then
/// the flags on top.
config::Module probe_module(const ProbeFlags& flags, std::optional<config::Config>& config) {
  config::Module module;
  module.name = "probe";
  module.timeout = kDefaultTimeout;
  if (!flags.module.empty()) {
    config =
        config::load_config(flags.config_file.empty() ? kDefaultConfigFile : flags.config_file);
    const auto it = config->modules.find(flags.module);
    if (it == config->modules.end()) {
      throw SetupError("unknown module \"" + flags.module + "\" in " + config->source_file);
    }
    module = it->second;
  }
  if (flags.protocol) module.protocol = *flags.protocol;
  if (flags.implicit_tls) module.tls.mode = config::TlsMode::implicit;
  if (flags.ehlo_name) {
    if (const auto problem = net::ehlo_name_problem(*flags.ehlo_name)) {
      throw SetupError("--ehlo-name: " + *problem);
    }
    module.ehlo_name = *flags.ehlo_name;
  }
  if (flags.timeout) module.timeout = *flags.timeout;
  return module;
}

std::shared_ptr<const tls::TrustStore> probe_trust(const ProbeFlags& flags,
                                                   const config::Module& module,
                                                   const std::optional<config::Config>& config) {
  if (!flags.ca_file.empty()) return tls::TrustStore::from_pem_file(flags.ca_file);
  runtime::TrustCache cache;
  return cache.get(module, config ? config->source_file : "");
}

/// What to probe, from the flags; throws SetupError, config::ConfigError or tls::TlsError.
ProbeRequest build_request(const ProbeFlags& flags) {
  std::string problem;
  const auto target = net::parse_target_address(flags.target, problem);
  if (!target) throw SetupError(problem);
  std::optional<config::Config> config;
  const config::Module module = probe_module(flags, config);
  ProbeRequest request;
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
ProbeResult run(const ProbeRequest& request) {
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
  try {
    const ProbeRequest request = build_request(flags);
    const ProbeResult result = run(request);
    const auto now = std::chrono::system_clock::now();
    std::cout << (flags.output == ReportFormat::json
                      ? json_report(request, result, now)
                      : text_report(request, result, now, ::isatty(STDOUT_FILENO) == 1));
    return result.success ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "starttls_exporter probe: " << e.what() << "\n";
    return 2;
  }
}

std::string probe_usage() {
  return "usage: starttls_exporter probe ADDRESS[:PORT] [flags]\n"
         "\n"
         "Probes one mail server now, with the exporter's own prober and verification, and\n"
         "prints what happened. ADDRESS is an IP address (IPv6 as [ADDRESS]:PORT); names are\n"
         "not resolved. The port defaults to the protocol's (smtp 25, submission 587, imap 143,\n"
         "pop3 110, sieve 4190, lmtp 24; with --implicit-tls 465, 993, 995).\n"
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
         "  --ca-file=PATH         trust these CAs (PEM) instead of the system store\n"
         "  --ehlo-name=NAME       the EHLO/LHLO argument (default \"localhost\")\n"
         "  --timeout=DURATION     deadline of the whole probe (default 10s)\n"
         "  --output=FORMAT        text (default; colour on a terminal) or json\n"
         "  -h, --help             print this help and exit\n"
         "\n"
         "Exit status: 0 the probe succeeded, 1 it ran and failed, 2 usage, configuration or\n"
         "internal error.\n";
}

}  // namespace starttls_exporter::app
