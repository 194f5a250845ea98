#pragma once
/// \file
/// The server side's GnuTLS credentials and per-session setup, built once per Terminator.
/// Private to src/web/tls.

#include <string>

#include "handles.hpp"
#include "terminator.hpp"

namespace starttls_exporter::tls {

/// Immutable after build_server_credentials(); shared by every connection thread (GnuTLS allows
/// one credentials object to serve many sessions at once).
struct ServerCredentials {
  CredentialsPtr credentials;
  std::string priorities;  ///< gnutls_priority_set_direct string for the allowed versions
  ClientAuth client_auth = ClientAuth::none;
};

/// Hands the bytes of cert, key and client_ca to GnuTLS. Throws TlsError naming the file that
/// fails.
ServerCredentials build_server_credentials(const ServerSettings& settings);

/// A new server session bound to descriptor `fd` (non-blocking), with the credentials,
/// versions and client certificate request of `creds`, which must outlive the session.
/// Throws TlsError.
SessionPtr make_server_session(const ServerCredentials& creds, int fd);

}  // namespace starttls_exporter::tls
