// Fuzz target for what /probe reads from the request line and headers: the query string
// (http::parse_query), the target address (net::parse_target_address), the server_name rule
// (net::server_name_problem) and the scrape timeout header (web::probe_timeout). The input is
// a query string; its first line, when there is one, doubles as the header value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "probe_handler.hpp"
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/web/http_server.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto query = http::parse_query(bytes);
  for (const auto& [key, value] : query) {
    std::string problem;
    const auto target = net::parse_target_address(value, problem);
    if (!target && problem.empty()) std::abort();  // a refusal always says why
    net::server_name_problem(value);
  }
  const std::string_view header = bytes.substr(0, bytes.find('\n'));
  const Duration timeout =
      web::probe_timeout(std::chrono::seconds(10), header, std::chrono::milliseconds(500));
  if (timeout < std::chrono::milliseconds(1) || timeout > std::chrono::seconds(10)) std::abort();
  return 0;
}
