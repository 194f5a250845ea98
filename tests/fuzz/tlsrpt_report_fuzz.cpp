// Fuzz target for the TLS-RPT report parser (src/tlsrpt/report_parse.cpp): the input is a
// report body as a sender POSTs or mails it (gzip decided by its magic bytes). Small limits
// keep each run fast; every bound is still reached.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "starttls_exporter/tlsrpt/report.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tlsrpt::Limits limits;
  limits.max_decompressed_bytes = 1 << 20;
  limits.max_policies = 16;
  limits.max_failure_details = 64;
  const auto parsed =
      tlsrpt::decode_and_parse(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (parsed.report) {
    for (const auto& policy : parsed.report->policies) {
      for (const auto& failure : policy.failures) {
        if (tlsrpt::normalise_result_type(failure.result_type) != failure.result_type)
          __builtin_trap();
      }
    }
  }
  return 0;
}
