// Fuzz target for the gzip layer of TLS-RPT intake (src/tlsrpt/gzip.cpp): any bytes, inflated
// within a bound that the output must respect.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "starttls_exporter/tlsrpt/report.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMax = 256 * 1024;
  const auto out =
      tlsrpt::gunzip(std::string_view(reinterpret_cast<const char*>(data), size), kMax);
  if (out && out->size() > kMax) __builtin_trap();
  return 0;
}
