#pragma once
/// \file
/// OCSP responses for the test PKI. GnuTLS (3.7) parses OCSP responses but cannot create them,
/// so the DER is assembled here and signed with GnuTLS' private-key API: a BasicOCSPResponse
/// (RFC 6960) with one SingleResponse, signed by the CA itself (responder ID by name).
/// Throws std::runtime_error on any GnuTLS failure (a test bug, not a case).

#include <chrono>
#include <optional>
#include <vector>

#include "test_pki.hpp"

namespace starttls_exporter::testing {

enum class OcspCertStatus { good, revoked, unknown };

struct OcspResponseSpec {
  OcspCertStatus status = OcspCertStatus::good;
  std::chrono::system_clock::time_point this_update =
      std::chrono::system_clock::now() - std::chrono::hours(1);
  /// nullopt: the response carries no nextUpdate.
  std::optional<std::chrono::system_clock::time_point> next_update =
      std::chrono::system_clock::now() + std::chrono::hours(24);
  std::chrono::system_clock::time_point revocation_time =
      std::chrono::system_clock::now() - std::chrono::hours(2);
};

/// DER OCSPResponse (status successful) about `leaf`, which `ca` must have issued directly.
std::vector<unsigned char> make_ocsp_response(const TestCa& ca, const IssuedCert& leaf,
                                              const OcspResponseSpec& spec = {});

}  // namespace starttls_exporter::testing
