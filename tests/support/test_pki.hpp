#pragma once
/// \file
/// A throw-away PKI for tests: certificates made in-process with GnuTLS' x509 API (ECDSA P-256
/// keys unless CertSpec::rsa_key, SHA-256 signatures). Every object is immutable after construction
/// and may be shared across threads. Failures inside GnuTLS throw std::runtime_error (a test bug,
/// not a case).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace starttls_exporter::testing {

struct CertSpec {
  std::string common_name = "mx.test";
  std::vector<std::string> dns_names = {"mx.test"};
  std::vector<std::string> ip_addresses;  ///< iPAddress SANs as text ("127.0.0.1")
  std::chrono::system_clock::time_point not_before =
      std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point not_after =
      std::chrono::system_clock::now() + std::chrono::hours(24 * 30);
  /// Size of an extra opaque, non-critical extension; makes very large certificates cheaply.
  std::size_t padding_extension_bytes = 0;
  /// Sign with SHA-1 instead of SHA-256 (an algorithm verifiers reject as insecure).
  bool sha1_signature = false;
  /// The certificate's own key is RSA 2048 instead of ECDSA P-256 (its issuer's is unchanged).
  bool rsa_key = false;
};

struct IssuedCert {
  std::string cert_pem;    ///< the leaf
  std::string key_pem;     ///< the leaf's private key (PKCS#8 PEM)
  std::string chain_pem;   ///< leaf followed by intermediates, as a server sends it
  std::string serial_hex;  ///< the leaf's serial number, lower-case hex, no separators
};

/// A self-signed root CA with its own key.
class TestCa {
 public:
  explicit TestCa(std::string common_name = "Test Root CA");
  ~TestCa();
  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;

  const std::string& cert_pem() const;
  /// The CA's private key (PKCS#8 PEM), for signing test artefacts such as OCSP responses.
  const std::string& private_key_pem() const;
  /// Writes cert_pem() to `path` (for a module's ca_file). Throws std::runtime_error.
  void write_cert_pem(const std::string& path) const;
  /// A leaf signed by this CA directly.
  IssuedCert issue(const CertSpec& spec) const;
  /// A leaf under `intermediates` intermediate CAs (root -> int1 -> ... -> intN -> leaf).
  IssuedCert issue_with_intermediates(const CertSpec& spec, int intermediates) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// A leaf signed by its own key (subject == issuer).
IssuedCert make_self_signed(const CertSpec& spec);

/// DER bytes of the first certificate in `pem`. Throws std::runtime_error.
std::vector<unsigned char> pem_to_der(const std::string& pem);

/// Lower-case hex SHA-256 of the DER form of the first certificate in `pem`.
std::string sha256_hex_of_pem(const std::string& pem);

}  // namespace starttls_exporter::testing
