#pragma once
/// \file
/// Environment set by a test's wrapper script (tests/dns/with_dns_zone.sh and friends).

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

namespace starttls_exporter::testing {

/// The variable's value; fails the test, naming the wrapper to run it through, when unset.
inline std::string required_env(const char* name, const char* wrapper) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE(value != nullptr, name << " is not set: run through " << wrapper);
  return value;
}

/// A variable set by tests/dns/with_dns_zone.sh (DNS_TEST_PORT, DNS_TEST_TRUST_ANCHOR, ...).
inline std::string dns_zone_env(const char* name) {
  return required_env(name, "tests/dns/with_dns_zone.sh");
}

}  // namespace starttls_exporter::testing
