#pragma once
/// \file
/// GnuTLS error codes as std::error_code, keeping gnutls_strerror's text. Private to src/tls.

#include <string>
#include <system_error>

namespace starttls_exporter::tls {

/// The category of negative GnuTLS return codes ("gnutls"). Thread-safe, lives forever.
const std::error_category& gnutls_category() noexcept;

/// `rc` (a negative GNUTLS_E_* value) as an error_code in gnutls_category().
std::error_code make_gnutls_error(int rc) noexcept;

/// Throws TlsError with "<context>: <gnutls_strerror(rc)>" when rc < 0; returns rc otherwise.
int check_gnutls(int rc, const std::string& context);

}  // namespace starttls_exporter::tls
