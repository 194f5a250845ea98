// Fuzzes parse_config with arbitrary bytes. The contract: it returns a Config or throws
// ConfigError — any other exception, crash or sanitizer report is a bug. Returned configs and
// error messages are also checked against the invariants the rest of the exporter relies on.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "starttls_exporter/config/config.hpp"

namespace {

using starttls_exporter::config::Config;
using starttls_exporter::config::ConfigError;

constexpr std::string_view kFile = "fuzz.yaml";

void check(bool condition) {
  if (!condition) std::abort();
}

void check_config(const Config& config) {
  check(config.global.concurrency >= 1);
  for (const auto& [name, module] : config.modules) {
    check(name == module.name && module.timeout.count() > 0);
    check(module.ehlo_name.find_first_of(" \r\n") == std::string::npos);
  }
  for (const auto& target : config.targets) {
    const auto module = config.modules.find(target.module);
    check(module != config.modules.end());
    check(target.port != 0 && module->second.timeout < target.interval);
    check(!target.address.empty() && target.address.find('[') == std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check_config(starttls_exporter::config::parse_config(text, std::string(kFile)));
  } catch (const ConfigError& error) {
    // One line, starting with the file name: messages go to logs as they are.
    const std::string_view message = error.what();
    check(message.starts_with(kFile));
    check(message.find_first_of("\r\n") == std::string_view::npos);
  }
  return 0;
}
