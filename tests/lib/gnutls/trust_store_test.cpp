// The shared GnuTLS layer: trust stores from memory (the bytes the config loader read once).
#include <doctest/doctest.h>

#include <string>

#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;

TEST_CASE("a trust store is built from PEM bytes in memory") {
  const testing::TestCa first("First CA");
  const testing::TestCa second("Second CA");
  CHECK(tls::TrustStore::from_pem(first.cert_pem(), "CA file a.pem") != nullptr);
  CHECK(tls::TrustStore::from_pem(first.cert_pem() + second.cert_pem(), "bundle") != nullptr);
  CHECK_THROWS_WITH_AS(tls::TrustStore::from_pem("not a certificate\n", "CA file x.pem"),
                       "CA file x.pem: no PEM certificate found", tls::TlsError);
  CHECK_THROWS_WITH_AS(tls::TrustStore::from_pem("", "CA file empty.pem"),
                       doctest::Contains("CA file empty.pem"), tls::TlsError);
}

TEST_CASE("from_pem_file names the file it cannot open") {
  testing::TempDir dir;
  const testing::TestCa ca;
  CHECK(tls::TrustStore::from_pem_file(dir.file("ca.pem", ca.cert_pem())) != nullptr);
  const std::string missing = (dir.path / "missing.pem").string();
  CHECK_THROWS_WITH_AS(tls::TrustStore::from_pem_file(missing),
                       ("CA file " + missing + ": cannot open").c_str(), tls::TlsError);
}

TEST_CASE("library_version is GnuTLS' runtime version") {
  CHECK(tls::library_version().starts_with("3."));
}
