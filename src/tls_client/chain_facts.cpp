// The peer chain's order and completeness, and the stapled OCSP response for the leaf.
#include "chain_facts.hpp"

#include <chrono>
#include <ctime>

namespace starttls_exporter::tls {
namespace {

std::optional<SystemTime> time_of(time_t t) {
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

// Whether a certificate of the trust store issued `crt` (by name and key identifier).
bool trust_store_issued(gnutls_certificate_credentials_t trust, gnutls_x509_crt_t crt) {
  gnutls_x509_trust_list_t list = nullptr;
  if (trust == nullptr) return false;
  gnutls_certificate_get_trust_list(trust, &list);
  gnutls_x509_crt_t issuer = nullptr;
  if (list == nullptr ||
      gnutls_x509_trust_list_get_issuer(list, crt, &issuer, GNUTLS_TL_GET_COPY) < 0) {
    return false;
  }
  CrtPtr owned(issuer);
  return true;
}

OcspStaple::Status status_of(unsigned cert_status) {
  switch (cert_status) {
    case GNUTLS_OCSP_CERT_GOOD:
      return OcspStaple::Status::good;
    case GNUTLS_OCSP_CERT_REVOKED:
      return OcspStaple::Status::revoked;
    default:
      return OcspStaple::Status::unknown;
  }
}

// Fills `staple` from the response's entry for `leaf`, if it has one.
void read_leaf_entry(gnutls_ocsp_resp_t resp, gnutls_x509_crt_t leaf, OcspStaple& staple) {
  if (leaf == nullptr || gnutls_ocsp_resp_get_status(resp) != GNUTLS_OCSP_RESP_SUCCESSFUL) return;
  for (unsigned i = 0;; ++i) {
    unsigned cert_status = 0;
    time_t this_update = -1, next_update = -1, revoked_at = -1;
    const int rc =
        gnutls_ocsp_resp_get_single(resp, i, nullptr, nullptr, nullptr, nullptr, &cert_status,
                                    &this_update, &next_update, &revoked_at, nullptr);
    if (rc < 0) return;  // GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE after the last entry
    if (gnutls_ocsp_resp_check_crt(resp, i, leaf) != 0) continue;
    staple.status = status_of(cert_status);
    staple.this_update = time_of(this_update);
    staple.next_update = time_of(next_update);
    if (*staple.status == OcspStaple::Status::revoked) staple.revocation_time = time_of(revoked_at);
    return;
  }
}

}  // namespace

std::vector<CrtPtr> peer_certificates(gnutls_session_t session) noexcept {
  std::vector<CrtPtr> chain;
  try {
    unsigned count = 0;
    const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &count);
    for (unsigned i = 0; peers != nullptr && i < count; ++i) {
      gnutls_x509_crt_t raw = nullptr;
      if (gnutls_x509_crt_init(&raw) < 0) break;
      CrtPtr crt(raw);
      if (gnutls_x509_crt_import(raw, &peers[i], GNUTLS_X509_FMT_DER) < 0) break;
      chain.push_back(std::move(crt));
    }
  } catch (...) {  // std::bad_alloc: a shorter chain is judged incomplete, never a crash
  }
  return chain;
}

bool chain_complete(const std::vector<CrtPtr>& chain, unsigned sent,
                    gnutls_certificate_credentials_t trust) noexcept {
  if (chain.empty() || chain.size() != sent) return false;
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    if (gnutls_x509_crt_check_issuer(chain[i].get(), chain[i + 1].get()) != 1) return false;
  }
  gnutls_x509_crt_t last = chain.back().get();
  return gnutls_x509_crt_check_issuer(last, last) == 1 || trust_store_issued(trust, last);
}

std::optional<OcspStaple> stapled_ocsp(gnutls_session_t session, gnutls_x509_crt_t leaf) noexcept {
  gnutls_datum_t der{};
  // The datum belongs to the session; it stays valid while the session lives.
  if (gnutls_ocsp_status_request_get(session, &der) < 0 || der.size == 0) return std::nullopt;
  OcspStaple staple;
  gnutls_ocsp_resp_t raw = nullptr;
  if (gnutls_ocsp_resp_init(&raw) < 0) return staple;
  OcspRespPtr resp(raw);
  if (gnutls_ocsp_resp_import(raw, &der) == 0) read_leaf_entry(raw, leaf, staple);
  return staple;
}

}  // namespace starttls_exporter::tls
