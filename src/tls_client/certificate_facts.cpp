// certificate_facts_from_der: parsing of untrusted certificates.
#include <arpa/inet.h>

#include <array>

#include "certificate_facts.hpp"
#include "handles.hpp"
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"
#include "starttls_exporter/tls_client/tls_client.hpp"

namespace starttls_exporter::tls {
namespace {

// A DN in RFC 4514 form, "" when GnuTLS cannot render it.
template <class GetDn>
std::string dn_text(gnutls_x509_crt_t crt, GetDn get) {
  gnutls_datum_t d{};
  if (get(crt, &d, 0) < 0) return {};
  GnutlsBytes owned(d.data);
  return std::string(reinterpret_cast<const char*>(d.data), d.size);
}

// iPAddress SAN bytes as text; "" for a length that is neither IPv4 nor IPv6.
std::string ip_text(const gnutls_datum_t& raw) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = raw.size == 4 ? AF_INET : raw.size == 16 ? AF_INET6 : -1;
  if (family < 0 || inet_ntop(family, raw.data, text, sizeof text) == nullptr) return {};
  return text;
}

// dNSName and iPAddress entries in order; other kinds are skipped. No extension: empty.
std::vector<std::string> alt_names(gnutls_x509_crt_t crt) {
  std::vector<std::string> names;
  gnutls_datum_t ext{};
  if (gnutls_x509_crt_get_extension_by_oid2(crt, GNUTLS_X509EXT_OID_SAN, 0, &ext, nullptr) < 0) {
    return names;
  }
  GnutlsBytes owned_ext(ext.data);
  gnutls_subject_alt_names_t raw = nullptr;
  if (gnutls_subject_alt_names_init(&raw) < 0) return names;
  SanPtr sans(raw);
  if (gnutls_x509_ext_import_subject_alt_names(&ext, raw, 0) < 0) return names;
  for (unsigned i = 0;; ++i) {
    unsigned type = 0;
    gnutls_datum_t value{};
    if (gnutls_subject_alt_names_get(raw, i, &type, &value, nullptr) < 0) break;
    if (type == GNUTLS_SAN_DNSNAME) {
      names.emplace_back(reinterpret_cast<const char*>(value.data), value.size);
    } else if (type == GNUTLS_SAN_IPADDRESS) {
      if (auto text = ip_text(value); !text.empty()) names.push_back(std::move(text));
    }
  }
  return names;
}

// Serial as lower-case hex without DER's sign-padding zero bytes ("00" for a zero serial).
std::string serial_hex(gnutls_x509_crt_t crt) {
  std::vector<unsigned char> buf(64);
  size_t size = buf.size();
  int rc = gnutls_x509_crt_get_serial(crt, buf.data(), &size);
  if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER) {
    buf.resize(size);
    rc = gnutls_x509_crt_get_serial(crt, buf.data(), &size);
  }
  if (rc < 0) return {};
  std::size_t start = 0;
  while (start + 1 < size && buf[start] == 0) ++start;
  return text::to_hex(std::span(buf.data() + start, size - start));
}

// Short conventional names for the common key types; GnuTLS' own name for the rest.
std::string public_key_name(gnutls_pk_algorithm_t algorithm) {
  switch (algorithm) {
    case GNUTLS_PK_RSA:
      return "RSA";
    case GNUTLS_PK_RSA_PSS:
      return "RSA-PSS";
    case GNUTLS_PK_DSA:
      return "DSA";
    case GNUTLS_PK_ECDSA:
      return "ECDSA";
    case GNUTLS_PK_EDDSA_ED25519:
      return "Ed25519";
    case GNUTLS_PK_EDDSA_ED448:
      return "Ed448";
    default: {
      const char* name = gnutls_pk_get_name(algorithm);
      return name ? name : "";
    }
  }
}

void add_algorithms(gnutls_x509_crt_t crt, CertificateFacts& facts) {
  unsigned bits = 0;
  const int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
  if (pk > 0) {
    facts.public_key_algorithm = public_key_name(static_cast<gnutls_pk_algorithm_t>(pk));
    facts.public_key_bits = bits;
  }
  const int sign = gnutls_x509_crt_get_signature_algorithm(crt);
  if (sign > 0) {
    const char* name = gnutls_sign_get_name(static_cast<gnutls_sign_algorithm_t>(sign));
    if (name) facts.signature_algorithm = name;
  }
}

}  // namespace

CertificateFacts certificate_facts_of(gnutls_x509_crt_t crt, std::span<const unsigned char> der) {
  CertificateFacts facts;
  facts.subject = dn_text(crt, gnutls_x509_crt_get_dn3);
  facts.issuer = dn_text(crt, gnutls_x509_crt_get_issuer_dn3);
  facts.dns_names = alt_names(crt);
  facts.serial_hex = serial_hex(crt);
  add_algorithms(crt, facts);
  facts.sha256_hex = sha256_hex(der);
  if (const time_t t = gnutls_x509_crt_get_activation_time(crt); t != static_cast<time_t>(-1)) {
    facts.not_before = std::chrono::system_clock::from_time_t(t);
  }
  if (const time_t t = gnutls_x509_crt_get_expiration_time(crt); t != static_cast<time_t>(-1)) {
    facts.not_after = std::chrono::system_clock::from_time_t(t);
  }
  return facts;
}

std::optional<CertificateFacts> certificate_facts_from_der(std::span<const unsigned char> der) {
  try {
    gnutls_x509_crt_t raw = nullptr;
    if (gnutls_x509_crt_init(&raw) < 0) return std::nullopt;
    CrtPtr crt(raw);
    const gnutls_datum_t in{const_cast<unsigned char*>(der.data()),
                            static_cast<unsigned>(der.size())};
    if (der.size() > 0xffffffffu || gnutls_x509_crt_import(raw, &in, GNUTLS_X509_FMT_DER) < 0) {
      return std::nullopt;
    }
    return certificate_facts_of(raw, der);
  } catch (...) {  // std::bad_alloc: the contract is "never throws"
    return std::nullopt;
  }
}

}  // namespace starttls_exporter::tls
