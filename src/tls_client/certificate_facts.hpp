#pragma once
/// \file
/// Certificate facts from a certificate already parsed, for callers that hold one (the
/// session's peer chain), so that each certificate a server sends is parsed once per probe.
/// Private to src/tls.

#include <span>

#include "handles.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::tls {

/// The facts of `crt`, which was imported from `der` (hashed for the fingerprint). Fields
/// GnuTLS cannot render stay empty. May throw std::bad_alloc.
CertificateFacts certificate_facts_of(gnutls_x509_crt_t crt, std::span<const unsigned char> der);

}  // namespace starttls_exporter::tls
