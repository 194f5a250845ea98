#include <fstream>
#include <iterator>

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

std::shared_ptr<const TrustStore> TrustStore::from_pem(std::string_view pem,
                                                       const std::string& origin) {
  if (pem.size() > 0xffffffffu) throw TlsError(origin + ": too large");
  auto impl = std::make_unique<Impl>();
  impl->credentials = new_credentials(origin);
  const gnutls_datum_t data{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                            static_cast<unsigned>(pem.size())};
  const int count = check_gnutls(
      gnutls_certificate_set_x509_trust_mem(impl->credentials.get(), &data, GNUTLS_X509_FMT_PEM),
      origin);
  if (count == 0) throw TlsError(origin + ": no PEM certificate found");
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(impl)));
}

std::shared_ptr<const TrustStore> TrustStore::from_pem_file(const std::string& path) {
  const std::string origin = "CA file " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw TlsError(origin + ": cannot open");
  const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw TlsError(origin + ": cannot read");
  return from_pem(pem, origin);
}

std::string library_version() {
  return gnutls_check_version(nullptr);
}

}  // namespace starttls_exporter::tls
