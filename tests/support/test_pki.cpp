#include "test_pki.hpp"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace starttls_exporter::testing {
namespace {

// Arbitrary OID under a private arc, for the opaque padding extension.
constexpr const char* kPaddingOid = "1.3.6.1.4.1.55555.7.1";

void check(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string(what) + ": " + gnutls_strerror(rc));
}

struct KeyDeleter {
  void operator()(gnutls_x509_privkey_t k) const { gnutls_x509_privkey_deinit(k); }
};
struct CrtDeleter {
  void operator()(gnutls_x509_crt_t c) const { gnutls_x509_crt_deinit(c); }
};
using Key = std::unique_ptr<std::remove_pointer_t<gnutls_x509_privkey_t>, KeyDeleter>;
using Crt = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, CrtDeleter>;

// Takes ownership of a gnutls-allocated datum and copies it into a string.
std::string take_datum(gnutls_datum_t& d) {
  std::string out(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  d.data = nullptr;
  return out;
}

Key make_key(bool rsa = false) {
  gnutls_x509_privkey_t raw = nullptr;
  check(gnutls_x509_privkey_init(&raw), "privkey_init");
  Key key(raw);
  check(rsa ? gnutls_x509_privkey_generate(raw, GNUTLS_PK_RSA, 2048, 0)
            : gnutls_x509_privkey_generate(raw, GNUTLS_PK_ECDSA,
                                           GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
        "privkey_generate");
  return key;
}

std::string key_pem(gnutls_x509_privkey_t key) {
  gnutls_datum_t d{};
  check(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, nullptr, GNUTLS_PKCS_PLAIN, &d),
        "privkey_export");
  return take_datum(d);
}

std::string crt_pem(gnutls_x509_crt_t crt) {
  gnutls_datum_t d{};
  check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), "crt_export");
  return take_datum(d);
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

// Unique, positive serials: a process-wide counter behind 8 random bytes.
std::string set_serial(gnutls_x509_crt_t crt) {
  static std::atomic<std::uint32_t> counter{1};
  unsigned char serial[12];
  check(gnutls_rnd(GNUTLS_RND_NONCE, serial, 8), "rnd");
  serial[0] = static_cast<unsigned char>((serial[0] & 0x7f) | 0x10);
  const std::uint32_t n = counter++;
  for (int i = 0; i < 4; ++i) serial[8 + i] = static_cast<unsigned char>(n >> (24 - 8 * i));
  check(gnutls_x509_crt_set_serial(crt, serial, sizeof serial), "set_serial");
  return to_hex(serial, sizeof serial);
}

// DER OCTET STRING of `size` filler bytes.
std::string padding_value(std::size_t size) {
  std::string der(1, '\x04');
  if (size < 0x80) {
    der += static_cast<char>(size);
  } else {
    std::string len;
    for (std::size_t s = size; s != 0; s >>= 8)
      len.insert(len.begin(), static_cast<char>(s & 0xff));
    der += static_cast<char>(0x80 | len.size());
    der += len;
  }
  der.append(size, 'P');
  return der;
}

void add_names(gnutls_x509_crt_t crt, const CertSpec& spec) {
  for (const auto& name : spec.dns_names) {
    check(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name.data(),
                                               static_cast<unsigned>(name.size()),
                                               GNUTLS_FSAN_APPEND),
          "set SAN dns");
  }
  for (const auto& ip : spec.ip_addresses) {
    unsigned char raw[16];
    unsigned size = 4;
    if (inet_pton(AF_INET, ip.c_str(), raw) != 1) {
      if (inet_pton(AF_INET6, ip.c_str(), raw) != 1) throw std::runtime_error("bad IP " + ip);
      size = 16;
    }
    check(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, raw, size,
                                               GNUTLS_FSAN_APPEND),
          "set SAN ip");
  }
}

// Builds and signs one certificate. `issuer`/`issuer_key` null means self-signed.
Crt make_cert(const CertSpec& spec, gnutls_x509_privkey_t key, bool is_ca, gnutls_x509_crt_t issuer,
              gnutls_x509_privkey_t issuer_key, std::string* serial_hex = nullptr) {
  gnutls_x509_crt_t raw = nullptr;
  check(gnutls_x509_crt_init(&raw), "crt_init");
  Crt crt(raw);
  check(gnutls_x509_crt_set_version(raw, 3), "set_version");
  check(gnutls_x509_crt_set_key(raw, key), "set_key");
  const std::string serial = set_serial(raw);
  if (serial_hex != nullptr) *serial_hex = serial;
  check(gnutls_x509_crt_set_dn_by_oid(raw, GNUTLS_OID_X520_COMMON_NAME, 0, spec.common_name.data(),
                                      static_cast<unsigned>(spec.common_name.size())),
        "set_dn");
  check(gnutls_x509_crt_set_activation_time(raw,
                                            std::chrono::system_clock::to_time_t(spec.not_before)),
        "set_activation_time");
  check(gnutls_x509_crt_set_expiration_time(raw,
                                            std::chrono::system_clock::to_time_t(spec.not_after)),
        "set_expiration_time");
  check(gnutls_x509_crt_set_basic_constraints(raw, is_ca ? 1 : 0, -1), "set_basic_constraints");
  check(gnutls_x509_crt_set_key_usage(raw, is_ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
                                                 : GNUTLS_KEY_DIGITAL_SIGNATURE),
        "set_key_usage");
  if (!is_ca) {
    check(gnutls_x509_crt_set_key_purpose_oid(raw, GNUTLS_KP_TLS_WWW_SERVER, 0), "set_purpose");
  }
  add_names(raw, spec);
  unsigned char id[64];
  size_t id_size = sizeof id;
  check(gnutls_x509_crt_get_key_id(raw, 0, id, &id_size), "get_key_id");
  check(gnutls_x509_crt_set_subject_key_id(raw, id, id_size), "set_subject_key_id");
  if (issuer != nullptr) {
    id_size = sizeof id;
    check(gnutls_x509_crt_get_subject_key_id(issuer, id, &id_size, nullptr), "issuer key id");
    check(gnutls_x509_crt_set_authority_key_id(raw, id, id_size), "set_authority_key_id");
  }
  if (spec.padding_extension_bytes > 0) {
    const std::string value = padding_value(spec.padding_extension_bytes);
    check(gnutls_x509_crt_set_extension_by_oid(raw, kPaddingOid, value.data(), value.size(), 0),
          "set padding extension");
  }
  check(gnutls_x509_crt_sign2(raw, issuer ? issuer : raw, issuer ? issuer_key : key,
                              spec.sha1_signature ? GNUTLS_DIG_SHA1 : GNUTLS_DIG_SHA256, 0),
        "sign");
  return crt;
}

CertSpec ca_spec(std::string common_name) {
  CertSpec spec;
  spec.common_name = std::move(common_name);
  spec.dns_names.clear();
  spec.not_before = std::chrono::system_clock::now() - std::chrono::hours(24);
  spec.not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 365);
  return spec;
}

}  // namespace

struct TestCa::Impl {
  Key key;
  Crt crt;
  std::string pem;
  std::string key_pem;
};

TestCa::TestCa(std::string common_name) : impl_(std::make_unique<Impl>()) {
  impl_->key = make_key();
  impl_->crt = make_cert(ca_spec(std::move(common_name)), impl_->key.get(), true, nullptr, nullptr);
  impl_->pem = crt_pem(impl_->crt.get());
  impl_->key_pem = key_pem(impl_->key.get());
}

TestCa::~TestCa() = default;
TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;

const std::string& TestCa::cert_pem() const {
  return impl_->pem;
}

const std::string& TestCa::private_key_pem() const {
  return impl_->key_pem;
}

void TestCa::write_cert_pem(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << impl_->pem;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

IssuedCert TestCa::issue(const CertSpec& spec) const {
  return issue_with_intermediates(spec, 0);
}

IssuedCert TestCa::issue_with_intermediates(const CertSpec& spec, int intermediates) const {
  std::vector<std::pair<Key, Crt>> cas;  // intermediates, root side first
  gnutls_x509_crt_t issuer = impl_->crt.get();
  gnutls_x509_privkey_t issuer_key = impl_->key.get();
  for (int i = 1; i <= intermediates; ++i) {
    Key key = make_key();
    Crt crt = make_cert(ca_spec("Test Intermediate CA " + std::to_string(i)), key.get(), true,
                        issuer, issuer_key);
    issuer = crt.get();
    issuer_key = key.get();
    cas.emplace_back(std::move(key), std::move(crt));
  }
  Key key = make_key(spec.rsa_key);
  std::string serial;
  Crt leaf = make_cert(spec, key.get(), false, issuer, issuer_key, &serial);
  IssuedCert out{crt_pem(leaf.get()), key_pem(key.get()), {}, serial};
  out.chain_pem = out.cert_pem;
  for (auto it = cas.rbegin(); it != cas.rend(); ++it) out.chain_pem += crt_pem(it->second.get());
  return out;
}

IssuedCert make_self_signed(const CertSpec& spec) {
  Key key = make_key(spec.rsa_key);
  std::string serial;
  Crt crt = make_cert(spec, key.get(), false, nullptr, nullptr, &serial);
  IssuedCert out{crt_pem(crt.get()), key_pem(key.get()), {}, serial};
  out.chain_pem = out.cert_pem;
  return out;
}

std::vector<unsigned char> pem_to_der(const std::string& pem) {
  gnutls_x509_crt_t raw = nullptr;
  check(gnutls_x509_crt_init(&raw), "crt_init");
  Crt crt(raw);
  const gnutls_datum_t in{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                          static_cast<unsigned>(pem.size())};
  check(gnutls_x509_crt_import(raw, &in, GNUTLS_X509_FMT_PEM), "crt_import");
  gnutls_datum_t d{};
  check(gnutls_x509_crt_export2(raw, GNUTLS_X509_FMT_DER, &d), "crt_export");
  const std::string der = take_datum(d);
  return {der.begin(), der.end()};
}

std::string sha256_hex_of_pem(const std::string& pem) {
  const auto der = pem_to_der(pem);
  unsigned char digest[32];
  check(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data(), der.size(), digest), "hash");
  return to_hex(digest, sizeof digest);
}

}  // namespace starttls_exporter::testing
