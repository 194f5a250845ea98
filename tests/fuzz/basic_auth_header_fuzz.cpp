// Fuzz target for the web port's Authorization header parser (src/web/http/basic_auth.cpp):
// the input is the header's value as a client sent it. Invariant: a parsed name has no ':'
// (the first ':' of the decoded text separates it from the password).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "basic_auth.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto credentials = http::detail::parse_basic_credentials(header);
  if (credentials && credentials->first.find(':') != std::string::npos) std::abort();
  http::detail::constant_time_equal(header, header.substr(0, header.size() / 2));
  return 0;
}
