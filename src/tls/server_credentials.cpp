// Server credentials: certificate and key, client CAs, the client certificate policy of the
// exporter toolkit mapped onto GnuTLS, and the protocol versions.
#include "server_credentials.hpp"

#include "gnutls_error.hpp"
#include "starttls_exporter/log.hpp"

namespace starttls_exporter::tls {
namespace {

std::string version_token(TlsVersion v) {
  return v == TlsVersion::tls1_3 ? "+VERS-TLS1.3" : "+VERS-TLS1.2";
}

/// GnuTLS' defaults with only the versions in [min, max]; anything below TLS 1.2 is never on.
std::string priorities_for(const ServerSettings& s) {
  if (s.min_version != TlsVersion::tls1_2 && s.min_version != TlsVersion::tls1_3) {
    throw TlsError("min_version: only TLS 1.2 and TLS 1.3 are supported");
  }
  if (s.max_version != TlsVersion::tls1_2 && s.max_version != TlsVersion::tls1_3) {
    throw TlsError("max_version: only TLS 1.2 and TLS 1.3 are supported");
  }
  if (s.min_version > s.max_version) throw TlsError("min_version is above max_version");
  std::string p = "NORMAL:-VERS-ALL:" + version_token(s.max_version);
  if (s.min_version != s.max_version) p += ":" + version_token(s.min_version);
  return p;
}

bool verifies(ClientAuth a) {
  return a == ClientAuth::verify_if_given || a == ClientAuth::require_and_verify;
}

gnutls_certificate_request_t request_of(ClientAuth a) {
  switch (a) {
    case ClientAuth::none:
      return GNUTLS_CERT_IGNORE;
    case ClientAuth::request:
    case ClientAuth::verify_if_given:
      return GNUTLS_CERT_REQUEST;
    case ClientAuth::require_any:
    case ClientAuth::require_and_verify:
      return GNUTLS_CERT_REQUIRE;
  }
  return GNUTLS_CERT_IGNORE;
}

// Runs inside the handshake once the client's Certificate message is in. Non-zero fails the
// handshake with an alert. A client certificate must chain to client_ca_file and be meant for
// TLS client authentication, as Go's crypto/tls (and so the toolkit) requires.
int verify_client(gnutls_session_t session) {
  const auto* creds = static_cast<const ServerCredentials*>(gnutls_session_get_ptr(session));
  if (creds == nullptr || !verifies(creds->client_auth)) return 0;
  unsigned count = 0;
  if (gnutls_certificate_get_peers(session, &count) == nullptr || count == 0) {
    // GNUTLS_CERT_REQUIRE already refuses an empty certificate; this is the "if given" case.
    return creds->client_auth == ClientAuth::require_and_verify ? -1 : 0;
  }
  gnutls_typed_vdata_st purpose{
      GNUTLS_DT_KEY_PURPOSE_OID,
      reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT)), 0};
  unsigned status = 0;
  const int rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
  if (rc == 0 && status == 0) return 0;
  std::string why = rc < 0 ? gnutls_strerror(rc) : "unknown";
  gnutls_datum_t text{};
  if (rc == 0 &&
      gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
    const GnutlsBytes owned(text.data);
    why.assign(reinterpret_cast<const char*>(text.data), text.size);
  }
  log::warn("web TLS: client certificate rejected", {{"reason", why}});
  return -1;
}

}  // namespace

ServerCredentials build_server_credentials(const ServerSettings& settings) {
  ServerCredentials out;
  out.priorities = priorities_for(settings);
  out.client_auth = settings.client_auth;
  gnutls_certificate_credentials_t raw = nullptr;
  check_gnutls(gnutls_certificate_allocate_credentials(&raw), "allocating credentials");
  out.credentials.reset(raw);
  check_gnutls(gnutls_certificate_set_x509_key_file2(raw, settings.cert_file.c_str(),
                                                     settings.key_file.c_str(), GNUTLS_X509_FMT_PEM,
                                                     nullptr, 0),
               "cannot load cert_file " + settings.cert_file + " with key_file " +
                   settings.key_file + " (want a PEM certificate and its unencrypted PEM key)");
  if (verifies(settings.client_auth) && settings.client_ca_file.empty()) {
    throw TlsError("client_ca_file is required to verify client certificates");
  }
  if (!settings.client_ca_file.empty()) {
    const int n = check_gnutls(gnutls_certificate_set_x509_trust_file(
                                   raw, settings.client_ca_file.c_str(), GNUTLS_X509_FMT_PEM),
                               "client_ca_file " + settings.client_ca_file);
    if (n == 0) throw TlsError("client_ca_file " + settings.client_ca_file + ": no certificate");
  }
  gnutls_certificate_set_verify_function(raw, verify_client);
  return out;
}

SessionPtr make_server_session(const ServerCredentials& creds, int fd) {
  gnutls_session_t raw = nullptr;
  check_gnutls(gnutls_init(&raw, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL),
               "gnutls_init");
  SessionPtr session(raw);
  const char* bad = nullptr;
  check_gnutls(gnutls_priority_set_direct(raw, creds.priorities.c_str(), &bad), "priorities");
  check_gnutls(gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, creds.credentials.get()),
               "credentials");
  gnutls_certificate_server_set_request(raw, request_of(creds.client_auth));
  gnutls_session_set_ptr(raw, const_cast<ServerCredentials*>(&creds));
  gnutls_handshake_set_timeout(raw, 0);  // the connection's own deadline applies instead
  gnutls_transport_set_int(raw, fd);
  return session;
}

void check_server_settings(const ServerSettings& settings) {
  build_server_credentials(settings);
}

}  // namespace starttls_exporter::tls
