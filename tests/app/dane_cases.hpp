#pragma once
/// \file
/// The DANE test cases of dane_test.cpp: certificates, the TLSA records computed from them,
/// one SMTP server per MX host (all on one port, each on its own 127.0.3.x address), and the
/// zone lines that publish them under secure.sxt (and, for TLSA CNAMEs, insecure.sxt and
/// bogus.sxt).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smtp_test_server.hpp"
#include "test_pki.hpp"

namespace starttls_exporter::testing {

/// "U S M HEX": the TLSA rdata for the (first) certificate in `pem`.
std::string tlsa(int usage, int selector, int matching, const std::string& pem);

struct DaneCase {
  std::string domain;   ///< c-NAME.secure.sxt
  std::string mx;       ///< the MX host as published
  std::string address;  ///< where its server listens
  std::size_t usable = 0;
  bool expect_success = false;
  std::string expect_failure;  ///< probe_dane_failure_info reason, "" for none
  std::optional<bool> expect_rollover;
  std::optional<std::size_t> expect_unmatched;
  bool tlsa_secure = true;  ///< the TLSA answer validates (false: insecure or bogus)
  /// Probed with module "k" (tls.handshake_per_key_type) instead of "m": the server holds an
  /// ECDSA and an RSA certificate; these are what each key type's DANE match must be.
  std::optional<bool> expect_ecdsa_match = std::nullopt;
  std::optional<bool> expect_rsa_match = std::nullopt;
  std::string leaf_record = {};  ///< "3 1 1 HEX" of the (ECDSA) leaf its server presents
  std::string module() const { return expect_ecdsa_match ? "k" : "m"; }
};

class DaneCases {
 public:
  DaneCases();
  /// Appends the cases' records to ZONE_DIR/zones/*.zone and re-signs and reloads
  /// it with INSTANCE (tests/dns/dns_zone_instance.sh).
  void publish(const std::string& zone_dir, const std::string& instance) const;
  const std::vector<DaneCase>& all() const { return cases_; }
  const DaneCase& get(const std::string& name) const;
  std::uint16_t port() const { return port_; }
  /// {target="ADDRESS:PORT",module="m",mx="MX"}
  std::string labels(const DaneCase& c) const;

 private:
  void add(DaneCase c, const IssuedCert& cert, const std::vector<std::string>& records,
           TlsServerOptions tls = {});
  void add_alias(const std::string& name, const std::string& target_case);
  /// c-NAME's TLSA RRset is a CNAME into ZONE (insecure.sxt or bogus.sxt), which holds RECORD.
  void add_tlsa_in(const std::string& zone, DaneCase c, const IssuedCert& cert,
                   const std::string& record);
  std::string tlsa_owner(const std::string& host_label) const;

  TestCa ca_{"DANE Test Root"};
  std::uint16_t port_ = 0;
  int next_address_ = 1;
  std::vector<DaneCase> cases_;
  std::map<std::string, std::vector<std::string>> zone_lines_;  ///< by zone, e.g. secure.sxt
  std::vector<std::unique_ptr<SmtpTestServer>> servers_;
};

}  // namespace starttls_exporter::testing
