#include "starttls_exporter/config/config_keys.hpp"

namespace starttls_exporter::config::keys {

std::vector<std::string> documented_paths() {
  std::vector<std::string> out;
  for (const auto key : kGlobal) out.push_back("global." + std::string(key));
  out.emplace_back("probe_allowed_cidrs");
  for (const auto key : kModule) {
    if (key != "tls" && key != "metrics") out.push_back("modules.NAME." + std::string(key));
  }
  for (const auto key : kModuleTls) out.push_back("modules.NAME.tls." + std::string(key));
  for (const auto key : kModuleMetrics) out.push_back("modules.NAME.metrics." + std::string(key));
  for (const auto key : kTarget) out.push_back("targets[]." + std::string(key));
  for (const auto key : kDns) out.push_back("dns." + std::string(key));
  for (const auto key : kDomain) out.push_back("domains[]." + std::string(key));
  for (const auto key : kHost) out.push_back("hosts[]." + std::string(key));
  for (const auto key : kMtaSts) out.push_back("mta_sts." + std::string(key));
  for (const auto key : kTlsrpt) out.push_back("tlsrpt." + std::string(key));
  return out;
}

}  // namespace starttls_exporter::config::keys
