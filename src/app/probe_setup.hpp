#pragma once
/// \file
/// The probe command's setup from its flags: the module and the trust store. Shared by the
/// address and the domain forms of the command.

#include <memory>
#include <optional>
#include <stdexcept>

#include "probe_command.hpp"
#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"

namespace starttls_exporter::app {

/// Without --timeout or a module: the config's global.timeout default.
inline constexpr Duration kDefaultProbeTimeout = std::chrono::seconds(10);

/// A usage or setup error: exit code 2.
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The module the probe runs with: --module's from the config file (loaded into `config`),
/// else the defaults; then the flags on top. Throws SetupError or config::ConfigError.
config::Module probe_module(const ProbeFlags& flags, std::optional<config::Config>& config);

/// --ca-file's store, else the module's (the system's without a CA file). Throws
/// tls::TlsError or config::ConfigError.
std::shared_ptr<const tls::TrustStore> probe_trust(const ProbeFlags& flags,
                                                   const config::Module& module,
                                                   const std::optional<config::Config>& config);

}  // namespace starttls_exporter::app
