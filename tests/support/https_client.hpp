#pragma once
/// \file
/// A blocking HTTPS/1.0 GET for tests, made with the exporter's own TLS client (handshake,
/// then PKIX verification against `trust` and `server_name` before anything is sent).

#include <memory>
#include <string>

#include "starttls_exporter/tls_client/tls_client.hpp"

namespace starttls_exporter::testing {

/// GET `path` from 127.0.0.1:port over TLS, with a 10 s deadline. The raw answer (head and
/// body); "" when the handshake failed or the certificate did not verify (reported with
/// doctest's MESSAGE).
std::string https_get(int port, std::shared_ptr<const tls::TrustStore> trust,
                      const std::string& server_name, const std::string& path);

}  // namespace starttls_exporter::testing
