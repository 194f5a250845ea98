// certificate_facts_from_der on good and hostile input; TrustStore loading; library_version.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "starttls_exporter/tls_client/tls_client.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;

namespace {

std::optional<CertificateFacts> facts_of(const std::vector<unsigned char>& der) {
  return tls::certificate_facts_from_der(der);
}

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path =
      std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".pem");
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

}  // namespace

TEST_CASE("certificate facts from DER") {
  const TestCa ca("Facts CA");
  CertSpec spec;
  spec.common_name = "mail.example.test";
  spec.dns_names = {"mail.example.test", "mx2.example.test"};
  spec.ip_addresses = {"192.0.2.7", "2001:db8::1"};
  const auto cert = ca.issue(spec);
  const auto facts = facts_of(pem_to_der(cert.cert_pem));
  REQUIRE(facts.has_value());
  CHECK(facts->subject == "CN=mail.example.test");
  CHECK(facts->issuer == "CN=Facts CA");
  CHECK(facts->dns_names == std::vector<std::string>{"mail.example.test", "mx2.example.test",
                                                     "192.0.2.7", "2001:db8::1"});
  CHECK(facts->serial_hex == cert.serial_hex);
  CHECK(facts->sha256_hex == sha256_hex_of_pem(cert.cert_pem));
  CHECK(facts->not_after == std::chrono::floor<std::chrono::seconds>(spec.not_after));
}

TEST_CASE("a certificate without subjectAltName has no names") {
  CertSpec spec;
  spec.dns_names.clear();
  const auto facts = facts_of(pem_to_der(make_self_signed(spec).cert_pem));
  REQUIRE(facts.has_value());
  CHECK(facts->dns_names.empty());
  CHECK(facts->subject == facts->issuer);
}

TEST_CASE("garbage is not a certificate") {
  const auto der = pem_to_der(make_self_signed({}).cert_pem);
  std::vector<unsigned char> flipped = der;
  flipped[1] ^= 0xff;  // the outer length
  const std::vector<std::vector<unsigned char>> inputs = {
      {},
      {0x30},
      {0x30, 0x82, 0xff, 0xff},
      std::vector<unsigned char>(der.begin(), der.begin() + der.size() / 2),
      flipped,
      std::vector<unsigned char>(1000, 0x41),
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    CAPTURE(i);
    CHECK_FALSE(facts_of(inputs[i]).has_value());
  }
}

TEST_CASE("trust store loading") {
  const TestCa ca;
  const auto good = temp_file("tls_test_good", ca.cert_pem());
  const auto empty = temp_file("tls_test_empty", "no certificates in here\n");
  CHECK(tls::TrustStore::from_pem_file(good) != nullptr);
  CHECK_THROWS_WITH_AS(tls::TrustStore::from_pem_file(empty), doctest::Contains(empty.c_str()),
                       tls::TlsError);
  CHECK_THROWS_WITH_AS(tls::TrustStore::from_pem_file("/nonexistent/ca.pem"),
                       doctest::Contains("/nonexistent/ca.pem"), tls::TlsError);
  CHECK(tls::TrustStore::system() != nullptr);
  std::filesystem::remove(good);
  std::filesystem::remove(empty);
}

TEST_CASE("library_version names the GnuTLS runtime") {
  const auto version = tls::library_version();
  CHECK(version.rfind("3.", 0) == 0);
}
