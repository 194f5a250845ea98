#include "probe_setup.hpp"

#include "flags.hpp"
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"

namespace starttls_exporter::app {

/// The module the probe runs with: --module's from the config file, else the defaults; then
/// the flags on top.
config::Module probe_module(const ProbeFlags& flags, std::optional<config::Config>& config) {
  config::Module module;
  module.name = "probe";
  module.timeout = kDefaultProbeTimeout;
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
  if (flags.certificate_file) module.certificate_file.pattern = *flags.certificate_file;
  return module;
}

std::shared_ptr<const tls::TrustStore> probe_trust(const ProbeFlags& flags,
                                                   const config::Module& module,
                                                   const std::optional<config::Config>& config) {
  if (!flags.ca_file.empty()) return tls::TrustStore::from_pem_file(flags.ca_file);
  runtime::TrustCache cache;
  return cache.get(module, config ? config->source_file : "");
}

}  // namespace starttls_exporter::app
