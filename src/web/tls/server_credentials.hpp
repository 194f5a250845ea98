#pragma once
/// \file
/// The server side's GnuTLS credentials and per-session setup, built once per web port.
/// Private to src/web/tls.

#include <string>

#include "handles.hpp"
#include "server_stream.hpp"

namespace starttls_exporter::tls {

/// Immutable after build_server_credentials(); shared by every connection (GnuTLS allows one
/// credentials object and one priority cache to serve many sessions at once).
struct ServerCredentials {
  CredentialsPtr credentials;
  PriorityPtr priorities;  ///< the allowed versions, parsed once
  ClientAuth client_auth = ClientAuth::none;
};

/// Hands the bytes of cert, key and client_ca to GnuTLS. Throws TlsError naming the file that
/// fails.
ServerCredentials build_server_credentials(const ServerSettings& settings);

/// A new non-blocking server session with the credentials, versions and client certificate
/// request of `creds`, which must outlive the session; its transport is the caller's to set.
/// Throws TlsError.
SessionPtr make_server_session(const ServerCredentials& creds);

}  // namespace starttls_exporter::tls
