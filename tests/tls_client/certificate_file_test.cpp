// certificate_file: read certificates only, re-read on change, the file chosen by name and age,
// its leaf beside the served one, its chain by DANE before any daemon serves it.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "starttls_exporter/tls_client/certificate_file.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"
#include "tlsa_fixtures.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

const SystemTime kNow = std::chrono::system_clock::now();

CertSpec issued(std::chrono::hours ago, std::vector<std::string> names = {"mx.test"}) {
  CertSpec spec;
  spec.common_name = names.front();
  spec.dns_names = std::move(names);
  spec.not_before = kNow - ago;
  spec.not_after = kNow + 24h * 60;
  return spec;
}

/// The file's chain by DANE with no records: the "3 1 1" record that would match its leaf.
std::string record_of(const tls::CertificateFileSet& files) {
  return tls::check_certificate_file(files, "", "mx.test", nullptr, nullptr, kNow).leaf_record;
}

}  // namespace

TEST_CASE("a file holding a private key is refused, whatever else it holds") {
  const TestCa ca;
  const TempDir dir;
  const IssuedCert leaf = ca.issue(issued(1h));
  const auto path = dir.file("combined.pem", leaf.chain_pem + leaf.key_pem);
  const auto files = tls::read_certificate_files(path);
  REQUIRE(files.size() == 1);
  CHECK(files[0].problem.find("private key") != std::string::npos);
  CHECK(files[0].der.empty());
  const auto check = tls::check_certificate_file(files, path, "mx.test", nullptr, nullptr, kNow);
  CHECK(check.status == CertificateFileStatus::unreadable);
  CHECK(check.detail.find("private key") != std::string::npos);
  CHECK_FALSE(check.leaf);
}

TEST_CASE("missing, empty and garbled files are unreadable, each saying why") {
  const TempDir dir;
  dir.file("empty.pem", "");
  dir.file("garbled.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  const auto none = (dir.path / "none-*.pem").string();
  auto check = tls::check_certificate_file(tls::read_certificate_files(none), none, "mx.test",
                                           nullptr, nullptr, kNow);
  CHECK(check.status == CertificateFileStatus::unreadable);
  CHECK(check.detail == "no file matches " + none);
  const auto all = (dir.path / "*.pem").string();
  check = tls::check_certificate_file(tls::read_certificate_files(all), all, "mx.test", nullptr,
                                      nullptr, kNow);
  CHECK(check.status == CertificateFileStatus::unreadable);
  CHECK(check.detail.find("empty.pem: holds no PEM certificate") != std::string::npos);
  CHECK(check.detail.find("garbled.pem: certificate 1 does not parse") != std::string::npos);
}

TEST_CASE("of a glob's files, the one naming the server, issued last, is judged") {
  const TestCa ca;
  const TempDir dir;
  const IssuedCert old_leaf = ca.issue(issued(48h));
  const IssuedCert new_leaf = ca.issue(issued(2h));
  const IssuedCert other = ca.issue(issued(1h, {"other.test"}));  // newest, another name
  dir.file("a-old.pem", old_leaf.chain_pem);
  dir.file("b-new.pem", new_leaf.chain_pem);
  dir.file("c-other.pem", other.chain_pem);
  dir.file("d-key.pem", new_leaf.key_pem);  // unreadable, never chosen
  const auto pattern = (dir.path / "*.pem").string();
  const auto files = tls::read_certificate_files(pattern);
  REQUIRE(files.size() == 4);
  auto check = tls::check_certificate_file(files, pattern, "mx.test", nullptr, nullptr, kNow);
  CHECK(check.path == (dir.path / "b-new.pem").string());
  CHECK(check.leaf->sha256_hex == sha256_hex_of_pem(new_leaf.cert_pem));
  CHECK_FALSE(check.status);  // nothing served to compare with
  CHECK_FALSE(check.served_matches);
  check = tls::check_certificate_file(files, pattern, "nowhere.test", nullptr, nullptr, kNow);
  CHECK(check.path == (dir.path / "c-other.pem").string());  // no file names it: the newest
}

TEST_CASE("the file's leaf beside the served one: current, renewed, older, different") {
  const TestCa ca;
  const TempDir dir;
  const IssuedCert served = ca.issue(issued(24h));
  const IssuedCert renewed = ca.issue(issued(1h));
  const IssuedCert older = ca.issue(issued(72h));
  const IssuedCert other = ca.issue(issued(1h, {"other.test"}));
  const auto served_files = tls::read_certificate_files(dir.file("served.pem", served.chain_pem));
  const CertificateChain& served_chain = served_files.at(0).chain;
  struct Case {
    const IssuedCert* file;
    CertificateFileStatus want;
  };
  for (const Case& c : {Case{&served, CertificateFileStatus::current},
                        Case{&renewed, CertificateFileStatus::renewed_not_served},
                        Case{&older, CertificateFileStatus::file_older},
                        Case{&other, CertificateFileStatus::different}}) {
    const auto path = dir.file("file.pem", c.file->chain_pem);
    const auto check = tls::check_certificate_file(tls::read_certificate_files(path), path,
                                                   "mx.test", &served_chain, nullptr, kNow);
    CAPTURE(to_string(c.want));
    CHECK(check.status == c.want);
    CHECK(check.served_matches == (c.want == CertificateFileStatus::current));
    CHECK(check.leaf->not_after == served_chain.front().not_after);
    CHECK_FALSE(check.dane_match);  // no DANE expectation: not judged
  }
}

TEST_CASE("DANE judges the file's chain: a new key on disk breaks the old record") {
  const TestCa ca;
  const TempDir dir;
  const auto old_files =
      tls::read_certificate_files(dir.file("old.pem", ca.issue(issued(24h)).chain_pem));
  const auto new_files =
      tls::read_certificate_files(dir.file("new.pem", ca.issue(issued(1h)).chain_pem));
  const std::string old_record = record_of(old_files);
  const std::string new_record = record_of(new_files);
  REQUIRE(old_record.rfind("3 1 1 ", 0) == 0);
  REQUIRE(old_record != new_record);  // a new key each issue
  const auto published = expecting({old_record});
  auto check =
      tls::check_certificate_file(old_files, "old.pem", "mx.test", nullptr, &published, kNow);
  CHECK(check.dane_match == true);
  check = tls::check_certificate_file(new_files, "new.pem", "mx.test", nullptr, &published, kNow);
  CHECK(check.dane_match == false);
  CHECK(check.leaf_record == new_record);  // what to publish before the reload
  const auto both = expecting({old_record, new_record});
  check = tls::check_certificate_file(new_files, "new.pem", "mx.test", nullptr, &both, kNow);
  CHECK(check.dane_match == true);
  dane::DaneExpectation insecure = published;
  insecure.tlsa.status = dane::TlsaStatus::insecure;
  check = tls::check_certificate_file(new_files, "new.pem", "mx.test", nullptr, &insecure, kNow);
  CHECK_FALSE(check.dane_match);  // DANE does not apply: not judged
}

TEST_CASE("CertificateFiles re-reads a file replaced by rename, and only after the poll") {
  const TestCa ca;
  const TempDir dir;
  const IssuedCert first = ca.issue(issued(24h));
  const IssuedCert second = ca.issue(issued(1h));
  const auto path = dir.file("fullchain.pem", first.chain_pem);
  tls::CertificateFiles slow(std::chrono::hours(1));
  tls::CertificateFiles every_time(std::chrono::seconds(0));
  const auto leaf_of = [&](tls::CertificateFiles& files) {
    return files.current(path)->at(0).chain.front().sha256_hex;
  };
  CHECK(leaf_of(slow) == sha256_hex_of_pem(first.cert_pem));
  const auto before = every_time.current(path);
  CHECK(every_time.current(path) == before);  // unchanged: the same object, not re-read
  dir.file("fullchain.pem.new", second.chain_pem);
  std::filesystem::rename(dir.path / "fullchain.pem.new", path);
  CHECK(leaf_of(every_time) == sha256_hex_of_pem(second.cert_pem));
  CHECK(leaf_of(slow) == sha256_hex_of_pem(first.cert_pem));  // looked at within the poll
}
