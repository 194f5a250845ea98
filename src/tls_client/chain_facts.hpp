#pragma once
/// \file
/// Facts about the certificates a server sent that need the session or the trust store: the
/// parsed peer chain, whether it is complete and in order, and the stapled OCSP response.
/// Private to src/tls; every function is read-only on the session and never throws.

#include <optional>
#include <vector>

#include "handles.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::tls {

/// The certificates the server sent, parsed, in the order sent. Stops at the first one that
/// does not parse (the rest cannot be judged against it). Empty before a handshake.
std::vector<CrtPtr> peer_certificates(gnutls_session_t session) noexcept;

/// TlsFacts::chain_complete for `chain` (see probe_result.hpp): each certificate issued by the
/// next by name and key identifier, the last self-issued or issued by a trust-store certificate.
/// `sent` is how many certificates the server sent; a chain cut short by a certificate that
/// does not parse is incomplete.
bool chain_complete(const std::vector<CrtPtr>& chain, unsigned sent,
                    gnutls_certificate_credentials_t trust) noexcept;

/// The OCSP response stapled for the leaf (`leaf` may be null: then no entry can match and
/// status stays unset); nullopt when the server stapled none.
std::optional<OcspStaple> stapled_ocsp(gnutls_session_t session, gnutls_x509_crt_t leaf) noexcept;

}  // namespace starttls_exporter::tls
