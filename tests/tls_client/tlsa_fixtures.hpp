#pragma once
/// \file
/// TLSA expectations written as records ("3 1 1 HEX"), for the TLS client's DANE tests.

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "starttls_exporter/core/dane.hpp"

namespace starttls_exporter::testing {

/// A secure TLSA lookup holding `records` ("U S M HEX").
inline dane::DaneExpectation expecting(const std::vector<std::string>& records,
                                       std::vector<std::string> names = {"mx.test"}) {
  dane::DaneExpectation out;
  out.tlsa.status = dane::TlsaStatus::secure;
  out.tlsa.secure = true;
  out.tlsa.base_name = names.front();
  for (const auto& text : records) {
    dane::TlsaRecord r;
    unsigned u = 0, s = 0, m = 0;
    char hex[200] = {};
    REQUIRE(std::sscanf(text.c_str(), "%u %u %u %199s", &u, &s, &m, hex) == 4);
    r.usage = static_cast<std::uint8_t>(u);
    r.selector = static_cast<std::uint8_t>(s);
    r.matching_type = static_cast<std::uint8_t>(m);
    for (std::size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
      r.data.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex + i, 2), nullptr, 16)));
    }
    out.tlsa.records.push_back(std::move(r));
  }
  out.reference_names = std::move(names);
  return out;
}

}  // namespace starttls_exporter::testing
