// Fuzz target for the MTA-STS policy parser (src/policy/sts_policy.cpp): the input is a policy
// body as an HTTPS server returns it; every pattern it yields is matched against MX names.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "starttls_exporter/policy/mta_sts.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto parsed = mta_sts::parse_policy(body);
  if (parsed.policy) {
    for (const auto& pattern : parsed.policy->mx) {
      mta_sts::mx_matches(pattern, "mx.example.com");
      mta_sts::mx_matches(pattern, "a.b.example.com.");
    }
  }
  return 0;
}
