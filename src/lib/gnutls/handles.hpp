#pragma once
/// \file
/// Owning wrappers for GnuTLS handles, so every C handle is released exactly once. Private to
/// src/tls. A null handle is never passed to a deinit function.

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include <memory>
#include <type_traits>

namespace starttls_exporter::tls {

struct SessionDeleter {
  void operator()(gnutls_session_t s) const noexcept { gnutls_deinit(s); }
};
struct CredentialsDeleter {
  void operator()(gnutls_certificate_credentials_t c) const noexcept {
    gnutls_certificate_free_credentials(c);
  }
};
struct CrtDeleter {
  void operator()(gnutls_x509_crt_t c) const noexcept { gnutls_x509_crt_deinit(c); }
};
struct SanDeleter {
  void operator()(gnutls_subject_alt_names_t s) const noexcept {
    gnutls_subject_alt_names_deinit(s);
  }
};
struct OcspRespDeleter {
  void operator()(gnutls_ocsp_resp_t r) const noexcept { gnutls_ocsp_resp_deinit(r); }
};
struct PubkeyDeleter {
  void operator()(gnutls_pubkey_t k) const noexcept { gnutls_pubkey_deinit(k); }
};
/// Frees the list only: certificates added with gnutls_x509_trust_list_add_cas stay owned by
/// whoever added them (their CrtPtr).
struct TrustListDeleter {
  void operator()(gnutls_x509_trust_list_t l) const noexcept {
    gnutls_x509_trust_list_deinit(l, 0);
  }
};
struct PriorityDeleter {
  void operator()(gnutls_priority_t p) const noexcept { gnutls_priority_deinit(p); }
};
/// Memory GnuTLS allocated for us (gnutls_datum_t::data from *_get_*3 / export2 calls).
struct GnutlsFree {
  void operator()(unsigned char* p) const noexcept { gnutls_free(p); }
};

using SessionPtr = std::unique_ptr<std::remove_pointer_t<gnutls_session_t>, SessionDeleter>;
using CredentialsPtr =
    std::unique_ptr<std::remove_pointer_t<gnutls_certificate_credentials_t>, CredentialsDeleter>;
using CrtPtr = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, CrtDeleter>;
using SanPtr = std::unique_ptr<std::remove_pointer_t<gnutls_subject_alt_names_t>, SanDeleter>;
using OcspRespPtr = std::unique_ptr<std::remove_pointer_t<gnutls_ocsp_resp_t>, OcspRespDeleter>;
using PriorityPtr = std::unique_ptr<std::remove_pointer_t<gnutls_priority_t>, PriorityDeleter>;
using PubkeyPtr = std::unique_ptr<std::remove_pointer_t<gnutls_pubkey_t>, PubkeyDeleter>;
using TrustListPtr =
    std::unique_ptr<std::remove_pointer_t<gnutls_x509_trust_list_t>, TrustListDeleter>;
using GnutlsBytes = std::unique_ptr<unsigned char, GnutlsFree>;

}  // namespace starttls_exporter::tls
