// Fuzz target for the web config file (--web.config.file, config::parse_web_config). The
// contract: it returns a WebConfig or throws ConfigError naming the file — any other
// exception, crash or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/config/web_config.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const config::WebConfig web = config::parse_web_config(text, "/nonexistent/web.yml");
    for (const auto& [user, hash] : web.basic_auth_users) {
      if (user.empty() || user.find(':') != std::string::npos) std::abort();
    }
  } catch (const config::ConfigError& e) {
    if (std::string(e.what()).find("web.yml") == std::string::npos) std::abort();
  }
  return 0;
}
