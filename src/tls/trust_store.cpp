#include <fstream>

#include "gnutls_error.hpp"
#include "trust_store_impl.hpp"

namespace starttls_exporter::tls {
namespace {

// Longest chain verify() follows. GnuTLS' default (16) is below what a 30-certificate chain
// needs; the work stays bounded because every signature is checked at most once.
constexpr unsigned kMaxVerifyDepth = 40;
// Largest public key verify() accepts, in bits (GnuTLS' default).
constexpr unsigned kMaxVerifyBits = 16384;

CredentialsPtr new_credentials(const std::string& what) {
  gnutls_certificate_credentials_t raw = nullptr;
  check_gnutls(gnutls_certificate_allocate_credentials(&raw), what);
  CredentialsPtr credentials(raw);
  gnutls_certificate_set_verify_limits(raw, kMaxVerifyBits, kMaxVerifyDepth);
  return credentials;
}

}  // namespace

TrustStore::TrustStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrustStore::~TrustStore() = default;

std::shared_ptr<const TrustStore> TrustStore::system() {
  auto impl = std::make_unique<Impl>();
  impl->credentials = new_credentials("system trust store");
  const int count = check_gnutls(gnutls_certificate_set_x509_system_trust(impl->credentials.get()),
                                 "loading the system trust store");
  if (count == 0) throw TlsError("loading the system trust store: it holds no certificates");
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(impl)));
}

std::shared_ptr<const TrustStore> TrustStore::from_pem_file(const std::string& path) {
  const std::string context = "CA file " + path;
  // Checked first so an unreadable file is reported as such, not as GnuTLS' "file error".
  if (!std::ifstream(path, std::ios::binary).is_open()) throw TlsError(context + ": cannot open");
  auto impl = std::make_unique<Impl>();
  impl->credentials = new_credentials(context);
  const int count = check_gnutls(gnutls_certificate_set_x509_trust_file(
                                     impl->credentials.get(), path.c_str(), GNUTLS_X509_FMT_PEM),
                                 context);
  if (count == 0) throw TlsError(context + ": no PEM certificate found");
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(impl)));
}

}  // namespace starttls_exporter::tls
