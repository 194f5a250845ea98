// Hand-assembled DER for one OCSP response; see test_ocsp.hpp.
#include "test_ocsp.hpp"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include <ctime>
#include <stdexcept>
#include <string>

namespace starttls_exporter::testing {
namespace {

using Bytes = std::string;  // DER octets

void check(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string(what) + ": " + gnutls_strerror(rc));
}

gnutls_datum_t datum_of(const std::string& text) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
          static_cast<unsigned>(text.size())};
}

Bytes take(gnutls_datum_t& d) {
  Bytes out(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  d.data = nullptr;
  return out;
}

// One DER element: tag, definite length, content.
Bytes tlv(unsigned char tag, const Bytes& content) {
  Bytes out(1, static_cast<char>(tag));
  if (content.size() < 0x80) {
    out += static_cast<char>(content.size());
  } else {
    Bytes len;
    for (std::size_t s = content.size(); s != 0; s >>= 8)
      len.insert(len.begin(), static_cast<char>(s & 0xff));
    out += static_cast<char>(0x80 | len.size());
    out += len;
  }
  return out + content;
}

Bytes seq(const Bytes& content) {
  return tlv(0x30, content);
}

Bytes generalized_time(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm);
  return tlv(0x18, text);
}

// AlgorithmIdentifiers, as DER.
const Bytes kSha1 = seq(Bytes("\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00", 9));
const Bytes kEcdsaSha256 = seq(Bytes("\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10));
const Bytes kOcspBasic = Bytes("\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01", 11);

struct CertId {
  Bytes der;        // the CertID SEQUENCE
  Bytes issuer_dn;  // the issuer's DER subject: the responder ID (byName), which is how a
                    // verifier holding only a trust list finds the signer
};

// GnuTLS computes the CertID hashes for an OCSP request; the response must carry the same.
CertId cert_id(const TestCa& ca, const IssuedCert& leaf) {
  gnutls_x509_crt_t issuer = nullptr, cert = nullptr;
  gnutls_ocsp_req_t req = nullptr;
  check(gnutls_x509_crt_init(&issuer), "crt_init");
  check(gnutls_x509_crt_init(&cert), "crt_init");
  check(gnutls_ocsp_req_init(&req), "ocsp_req_init");
  const auto ca_pem = datum_of(ca.cert_pem()), leaf_pem = datum_of(leaf.cert_pem);
  int rc = gnutls_x509_crt_import(issuer, &ca_pem, GNUTLS_X509_FMT_PEM);
  if (rc >= 0) rc = gnutls_x509_crt_import(cert, &leaf_pem, GNUTLS_X509_FMT_PEM);
  if (rc >= 0) rc = gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1, issuer, cert);
  gnutls_datum_t name_hash{}, key_hash{}, serial{}, dn{};
  if (rc >= 0) rc = gnutls_ocsp_req_get_cert_id(req, 0, nullptr, &name_hash, &key_hash, &serial);
  if (rc >= 0) rc = gnutls_x509_crt_get_raw_dn(issuer, &dn);
  gnutls_ocsp_req_deinit(req);
  gnutls_x509_crt_deinit(cert);
  gnutls_x509_crt_deinit(issuer);
  check(rc, "OCSP cert ID");
  CertId id;
  id.issuer_dn = take(dn);
  id.der =
      seq(kSha1 + tlv(0x04, take(name_hash)) + tlv(0x04, take(key_hash)) + tlv(0x02, take(serial)));
  return id;
}

Bytes cert_status(const OcspResponseSpec& spec) {
  switch (spec.status) {
    case OcspCertStatus::good:
      return Bytes("\x80\x00", 2);  // [0] IMPLICIT NULL
    case OcspCertStatus::revoked:
      return tlv(0xa1, generalized_time(spec.revocation_time));  // [1] RevokedInfo
    case OcspCertStatus::unknown:
      break;
  }
  return Bytes("\x82\x00", 2);  // [2] IMPLICIT NULL
}

// ECDSA-with-SHA256 signature (DER Ecdsa-Sig-Value) by the CA's key over `data`.
Bytes sign(const TestCa& ca, const Bytes& data) {
  gnutls_privkey_t key = nullptr;
  check(gnutls_privkey_init(&key), "privkey_init");
  const auto key_pem = datum_of(ca.private_key_pem());
  int rc = gnutls_privkey_import_x509_raw(key, &key_pem, GNUTLS_X509_FMT_PEM, nullptr, 0);
  const gnutls_datum_t tbs = datum_of(data);
  gnutls_datum_t signature{};
  if (rc >= 0) rc = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &tbs, &signature);
  gnutls_privkey_deinit(key);
  check(rc, "sign OCSP response");
  return take(signature);
}

}  // namespace

std::vector<unsigned char> make_ocsp_response(const TestCa& ca, const IssuedCert& leaf,
                                              const OcspResponseSpec& spec) {
  const CertId id = cert_id(ca, leaf);
  Bytes single = id.der + cert_status(spec) + generalized_time(spec.this_update);
  if (spec.next_update) single += tlv(0xa0, generalized_time(*spec.next_update));
  const Bytes tbs = seq(tlv(0xa1, id.issuer_dn) +  // responderID byName
                        generalized_time(std::chrono::system_clock::now()) + seq(seq(single)));
  const Bytes basic =
      seq(tbs + kEcdsaSha256 + tlv(0x03, Bytes(1, '\0') + sign(ca, tbs)));  // BIT STRING
  const Bytes response = seq(Bytes("\x0a\x01\x00", 3) +  // responseStatus successful
                             tlv(0xa0, seq(kOcspBasic + tlv(0x04, basic))));
  return {response.begin(), response.end()};
}

}  // namespace starttls_exporter::testing
