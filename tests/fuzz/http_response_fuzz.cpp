// Fuzz target for the policy fetch's HTTP/1.x reply reader (src/prober/http_response.cpp):
// the input is everything an HTTPS server sent, read with the real and with a tiny body bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http_response.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const std::size_t bound : {std::size_t{64 * 1024}, std::size_t{3}}) {
    const auto parsed = prober::parse_http_response(bytes, bound);
    if (parsed.response) prober::is_text_plain(parsed.response->content_type);
  }
  return 0;
}
