// Fuzz target for the `_mta-sts` and `_smtp._tls` TXT record parsers
// (src/policy/txt_records.cpp): the input's lines are the TXT records a resolver returned.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "starttls_exporter/policy/mta_sts.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> records;
  for (std::size_t at = 0; at <= input.size();) {
    const auto lf = input.find('\n', at);
    records.push_back(input.substr(at, lf == std::string::npos ? std::string::npos : lf - at));
    if (lf == std::string::npos) break;
    at = lf + 1;
  }
  mta_sts::parse_sts_records(records);
  mta_sts::parse_tlsrpt_records(records);
  return 0;
}
