// Server credentials: certificate and key, client CAs, the client certificate policy of the
// exporter toolkit mapped onto GnuTLS, and the protocol versions.
#include "server_credentials.hpp"

#include "gnutls_error.hpp"
#include "starttls_exporter/log/log.hpp"

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

gnutls_datum_t datum_of(const std::string& bytes) {
  if (bytes.size() > 0xffffffffu) throw TlsError("PEM file too large");
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())),
          static_cast<unsigned>(bytes.size())};
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
  if (creds == nullptr || !config::verifies_client_certs(creds->client_auth)) return 0;
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
  gnutls_priority_t priorities = nullptr;
  check_gnutls(gnutls_priority_init2(&priorities, priorities_for(settings).c_str(), nullptr, 0),
               "priorities");
  out.priorities.reset(priorities);
  out.client_auth = settings.client_auth;
  gnutls_certificate_credentials_t raw = nullptr;
  check_gnutls(gnutls_certificate_allocate_credentials(&raw), "allocating credentials");
  out.credentials.reset(raw);
  const gnutls_datum_t cert = datum_of(settings.cert.bytes);
  const gnutls_datum_t key = datum_of(settings.key.bytes);
  check_gnutls(
      gnutls_certificate_set_x509_key_mem2(raw, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0),
      "cannot load cert_file " + settings.cert.path + " with key_file " + settings.key.path +
          " (want a PEM certificate and its unencrypted PEM key)");
  if (config::verifies_client_certs(settings.client_auth) && !settings.client_ca) {
    throw TlsError("client_ca_file is required to verify client certificates");
  }
  if (settings.client_ca) {
    const std::string origin = "client_ca_file " + settings.client_ca->path;
    const gnutls_datum_t ca = datum_of(settings.client_ca->bytes);
    const int n =
        check_gnutls(gnutls_certificate_set_x509_trust_mem(raw, &ca, GNUTLS_X509_FMT_PEM), origin);
    if (n == 0) throw TlsError(origin + ": no certificate");
  }
  gnutls_certificate_set_verify_function(raw, verify_client);
  return out;
}

SessionPtr make_server_session(const ServerCredentials& creds) {
  gnutls_session_t raw = nullptr;
  check_gnutls(gnutls_init(&raw, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL),
               "gnutls_init");
  SessionPtr session(raw);
  check_gnutls(gnutls_priority_set(raw, creds.priorities.get()), "priorities");
  check_gnutls(gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, creds.credentials.get()),
               "credentials");
  gnutls_certificate_server_set_request(raw, request_of(creds.client_auth));
  gnutls_session_set_ptr(raw, const_cast<ServerCredentials*>(&creds));
  return session;
}

}  // namespace starttls_exporter::tls
