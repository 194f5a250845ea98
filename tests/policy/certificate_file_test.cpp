// certificate_file_status: the file's leaf beside the served one, by fingerprint, names, age.
#include <doctest/doctest.h>

#include "starttls_exporter/policy/policy.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;

namespace {

CertificateFacts leaf(std::string sha256, SystemTime issued, std::vector<std::string> names) {
  CertificateFacts facts;
  facts.sha256_hex = std::move(sha256);
  facts.not_before = issued;
  facts.dns_names = std::move(names);
  return facts;
}

}  // namespace

TEST_CASE("certificate_file_status follows the fingerprint, then shared names, then age") {
  const SystemTime t = SystemTime{} + 1'700'000'000s;
  const auto served = leaf("aa", t, {"mx.example.com", "imap.example.com"});
  using S = CertificateFileStatus;
  CHECK(policy::certificate_file_status(leaf("aa", t - 1h, {}), served) == S::current);
  CHECK(policy::certificate_file_status(leaf("bb", t + 1s, {"imap.example.com"}), served) ==
        S::renewed_not_served);
  CHECK(policy::certificate_file_status(leaf("bb", t - 1s, {"mx.example.com"}), served) ==
        S::file_older);
  CHECK(policy::certificate_file_status(leaf("bb", t, {"mx.example.com"}), served) ==
        S::different);  // issued the same second: neither is the renewal of the other
  CHECK(policy::certificate_file_status(leaf("bb", t + 24h, {"www.example.com"}), served) ==
        S::different);  // another name's certificate, however new
}

TEST_CASE("every certificate-file status has its label") {
  std::vector<std::string> names;
  for (const auto status : all_certificate_file_statuses()) names.emplace_back(to_string(status));
  CHECK(names == std::vector<std::string>{"current", "renewed_not_served", "file_older",
                                          "different", "unreadable"});
}
