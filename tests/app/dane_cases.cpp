#include "dane_cases.hpp"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace starttls_exporter::testing {
namespace {

using Bytes = std::vector<unsigned char>;
constexpr const char* kBegin = "-----BEGIN CERTIFICATE-----";

/// The PEM certificates of `pem`, in order.
std::vector<std::string> split_pem(const std::string& pem) {
  std::vector<std::string> out;
  for (auto at = pem.find(kBegin); at != std::string::npos;) {
    const auto next = pem.find(kBegin, at + 1);
    out.push_back(pem.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  return out;
}

/// The SubjectPublicKeyInfo (DER) of the certificate in `pem`.
Bytes spki_of(const std::string& pem) {
  const Bytes der = pem_to_der(pem);
  gnutls_x509_crt_t crt = nullptr;
  gnutls_pubkey_t key = nullptr;
  gnutls_datum_t in{const_cast<unsigned char*>(der.data()), static_cast<unsigned>(der.size())};
  gnutls_datum_t out{};
  const bool ok = gnutls_x509_crt_init(&crt) == 0 &&
                  gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_DER) == 0 &&
                  gnutls_pubkey_init(&key) == 0 && gnutls_pubkey_import_x509(key, crt, 0) == 0 &&
                  gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &out) == 0;
  Bytes spki = ok ? Bytes(out.data, out.data + out.size) : Bytes{};
  gnutls_free(out.data);
  if (key) gnutls_pubkey_deinit(key);
  if (crt) gnutls_x509_crt_deinit(crt);
  if (!ok) throw std::runtime_error("cannot read a test certificate's key");
  return spki;
}

std::string hex(const Bytes& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace

std::string tlsa(int usage, int selector, int matching, const std::string& pem) {
  const Bytes input = selector == 0 ? pem_to_der(pem) : spki_of(pem);
  Bytes data = input;
  if (matching == 1 || matching == 2) {
    const auto algorithm = matching == 1 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512;
    data.assign(gnutls_hash_get_len(algorithm), 0);
    gnutls_hash_fast(algorithm, input.data(), input.size(), data.data());
  }
  return std::to_string(usage) + " " + std::to_string(selector) + " " + std::to_string(matching) +
         " " + hex(data);
}

namespace {

CertSpec named(const std::string& host) {
  CertSpec spec;
  spec.common_name = host;
  spec.dns_names = {host};
  return spec;
}

CertSpec expired(CertSpec spec) {
  spec.not_before = std::chrono::system_clock::now() - std::chrono::hours(24 * 10);
  spec.not_after = std::chrono::system_clock::now() - std::chrono::hours(24);
  return spec;
}

std::string host_of(const std::string& name) {
  return "h-" + name + ".secure.sxt";
}

}  // namespace

DaneCases::DaneCases() {
  const TestCa other_ca("Other DANE Root");
  // Every usage x selector x matching type that a sender uses, matching.
  for (int u : {2, 3}) {
    for (int s : {0, 1}) {
      for (int m : {0, 1, 2}) {
        const std::string name =
            "u" + std::to_string(u) + "s" + std::to_string(s) + "m" + std::to_string(m);
        const std::string host = host_of(name);
        DaneCase c{"c-" + name + ".secure.sxt", host, "", 1, true, "", u == 2, 0};
        // Not matching: the same parameters over a certificate the server does not have.
        DaneCase bad{"c-" + name + "bad.secure.sxt",
                     host_of(name + "bad"),
                     "",
                     1,
                     false,
                     u == 3 ? "no_match" : "ta_not_presented",
                     false,
                     1};
        if (u == 3) {  // DANE-EE ignores dates and names: an expired self-signed leaf
          const auto cert = make_self_signed(expired(named(host)));
          add(c, cert, {tlsa(3, s, m, cert.cert_pem)});
          add(bad, make_self_signed(named(bad.mx)), {tlsa(3, s, m, cert.cert_pem)});
        } else {  // DANE-TA: the intermediate the server sends is the anchor
          const auto cert = ca_.issue_with_intermediates(named(host), 1);
          add(c, cert, {tlsa(2, s, m, split_pem(cert.chain_pem).at(1))});
          add(bad, other_ca.issue_with_intermediates(named(bad.mx), 1),
              {tlsa(2, s, m, split_pem(cert.chain_pem).at(1))});
        }
      }
    }
  }
  const auto self = [](const std::string& name) { return make_self_signed(named(host_of(name))); };
  const auto other = make_self_signed(named("other.test"));
  const auto named_case = [&](const std::string& name, DaneCase c, const IssuedCert& cert,
                              const std::vector<std::string>& records, TlsServerOptions tls = {}) {
    c.domain = "c-" + name + ".secure.sxt";
    c.mx = host_of(name);
    add(c, cert, records, std::move(tls));
  };
  // A renewal with a new key while the TLSA record stayed: the commonest DANE outage.
  named_case("eebad", {"", "", "", 1, false, "no_match", false, 1}, self("eebad"),
             {tlsa(3, 1, 1, other.cert_pem)});
  {  // a stale or next DANE-EE record beside the current one: ready for a key change
    const auto cert = self("rollover");
    named_case("rollover", {"", "", "", 2, true, "", true, 1}, cert,
               {tlsa(3, 1, 1, cert.cert_pem), tlsa(3, 1, 1, other.cert_pem)});
  }
  {  // RFC 7671 §9: SHA2-512 outranks SHA2-256 for the same usage and selector
    const auto cert = self("agility");
    named_case("agility", {"", "", "", 1, false, "no_match", false, 1}, cert,
               {tlsa(3, 1, 1, cert.cert_pem), tlsa(3, 1, 2, other.cert_pem)});
  }
  {  // PKIX-TA, PKIX-EE and an unknown matching type are unusable: DANE does not apply
    const auto cert = self("unusable");
    named_case("unusable", {"", "", "", 0, false, "", std::nullopt, std::nullopt}, cert,
               {tlsa(0, 0, 1, cert.cert_pem), tlsa(1, 1, 1, cert.cert_pem), "3 1 9 00112233"});
  }
  {  // the leaf does not name the MX host (RFC 7672 §3.2.2)
    const auto cert = ca_.issue_with_intermediates(named("other.test"), 1);
    named_case("taname", {"", "", "", 1, false, "ta_name_mismatch", std::nullopt, 0}, cert,
               {tlsa(2, 0, 1, split_pem(cert.chain_pem).at(1))});
  }
  {  // the anchor's certificate is not sent; with "2 1 0" its key still authenticates
    const auto cert = ca_.issue(named(host_of("tanotsent")));
    named_case("tanotsent", {"", "", "", 1, false, "ta_not_presented", std::nullopt, 1}, cert,
               {tlsa(2, 0, 1, ca_.cert_pem())});
    const auto keyed = ca_.issue(named(host_of("takey")));
    named_case("takey", {"", "", "", 1, true, "", true, 0}, keyed, {tlsa(2, 1, 0, ca_.cert_pem())});
  }
  {  // DANE-TA keeps validity dates
    const auto cert = ca_.issue_with_intermediates(expired(named(host_of("taexpired"))), 1);
    named_case("taexpired", {"", "", "", 1, false, "ta_expired", std::nullopt, 0}, cert,
               {tlsa(2, 0, 1, split_pem(cert.chain_pem).at(1))});
  }
  {  // the anchor is sent, but the leaf was not issued under it: the chain must verify
    const auto cert = ca_.issue_with_intermediates(named(host_of("tachain")), 1);
    const auto foreign = other_ca.issue_with_intermediates(named("other.test"), 1);
    IssuedCert sent = cert;
    sent.chain_pem = cert.cert_pem + split_pem(foreign.chain_pem).at(1);
    TlsServerOptions verbatim;
    verbatim.chain_verbatim = true;
    named_case("tachain", {"", "", "", 1, false, "ta_chain_invalid", std::nullopt, 0}, sent,
               {tlsa(2, 0, 1, split_pem(foreign.chain_pem).at(1))}, verbatim);
  }
  {  // TLSA records a sender cannot authenticate: ignored when insecure, fatal when bogus
    const auto cert = self("tlsainsecure");
    add_tlsa_in("insecure.sxt",
                {"c-tlsainsecure.secure.sxt", host_of("tlsainsecure"), "", 0, false, "",
                 std::nullopt, std::nullopt, false},
                cert, tlsa(3, 1, 1, cert.cert_pem));
    const auto bogus = self("tlsabogus");
    add_tlsa_in("bogus.sxt",
                {"c-tlsabogus.secure.sxt", host_of("tlsabogus"), "", 0, false, "tlsa_bogus",
                 std::nullopt, std::nullopt, false},
                bogus, tlsa(3, 1, 1, bogus.cert_pem));
  }
  {  // a server with an ECDSA and an RSA certificate, and TLSA records for one or both
    CertSpec rsa_spec = named(host_of("dualone"));
    rsa_spec.rsa_key = true;
    const auto ecdsa = self("dualone");
    const auto rsa = make_self_signed(rsa_spec);
    TlsServerOptions dual;
    dual.second_cert = rsa;
    DaneCase one{"", "", "", 1, false, "key_type_no_match", false, 0};
    one.expect_ecdsa_match = true;
    one.expect_rsa_match = false;
    named_case("dualone", one, ecdsa, {tlsa(3, 1, 1, ecdsa.cert_pem)}, dual);
    rsa_spec = named(host_of("dualboth"));
    rsa_spec.rsa_key = true;
    const auto ecdsa_both = self("dualboth");
    dual.second_cert = make_self_signed(rsa_spec);
    DaneCase both{"", "", "", 2, true, "", true, 1};  // the RSA record: unmatched by ECDSA
    both.expect_ecdsa_match = true;
    both.expect_rsa_match = true;
    named_case("dualboth", both, ecdsa_both,
               {tlsa(3, 1, 1, ecdsa_both.cert_pem), tlsa(3, 1, 1, dual.second_cert->cert_pem)},
               dual);
  }
  add_alias("cname", "u2s0m1");
}

std::string DaneCases::tlsa_owner(const std::string& host_label) const {
  return "_" + std::to_string(port_) + "._tcp." + host_label;
}

void DaneCases::add_tlsa_in(const std::string& zone, DaneCase c, const IssuedCert& cert,
                            const std::string& record) {
  add(c, cert, {});
  const std::string label = c.mx.substr(0, c.mx.find('.'));
  zone_lines_["secure.sxt"].push_back(tlsa_owner(label) + " IN CNAME " + tlsa_owner(label) + "." +
                                      zone + ".");
  zone_lines_[zone].push_back(tlsa_owner(label) + " IN TLSA " + record);
}

void DaneCases::add(DaneCase c, const IssuedCert& cert, const std::vector<std::string>& records,
                    TlsServerOptions tls) {
  c.address = "127.0.3." + std::to_string(next_address_++);
  c.leaf_record = tlsa(3, 1, 1, cert.cert_pem);
  SmtpServerOptions options;
  options.cert = cert;
  options.tls = std::move(tls);
  options.address = c.address;
  options.port = port_;
  servers_.push_back(std::make_unique<SmtpTestServer>(options));
  port_ = servers_.back()->port();
  const std::string label = c.mx.substr(0, c.mx.find('.'));
  auto& lines = zone_lines_["secure.sxt"];
  lines.push_back(c.domain.substr(0, c.domain.find('.')) + " IN MX 10 " + label);
  lines.push_back(label + " IN A " + c.address);
  for (const auto& record : records) lines.push_back(tlsa_owner(label) + " IN TLSA " + record);
  cases_.push_back(std::move(c));
}

/// c-NAME's MX host is a CNAME to TARGET's host: TLSA at the expanded name (RFC 7672 §2.2.3).
void DaneCases::add_alias(const std::string& name, const std::string& target_case) {
  DaneCase c = get("c-" + target_case);
  c.domain = "c-" + name + ".secure.sxt";
  c.mx = host_of(name);
  zone_lines_["secure.sxt"].push_back("c-" + name + " IN MX 10 h-" + name);
  zone_lines_["secure.sxt"].push_back("h-" + name + " IN CNAME h-" + target_case);
  cases_.push_back(std::move(c));
}

const DaneCase& DaneCases::get(const std::string& name) const {
  for (const auto& c : cases_) {
    if (c.domain == name || c.domain.starts_with(name + ".")) return c;
  }
  throw std::runtime_error("no DANE case " + name);
}

std::string DaneCases::labels(const DaneCase& c) const {
  return "{target=\"" + c.address + ":" + std::to_string(port_) + "\",module=\"" + c.module() +
         "\",mx=\"" + c.mx + "\"}";
}

void DaneCases::publish(const std::string& zone_dir, const std::string& instance) const {
  for (const auto& [name, lines] : zone_lines_) {
    std::ofstream zone(zone_dir + "/zones/" + name + ".zone", std::ios::app);
    for (const auto& line : lines) zone << line << "\n";
    if (!zone) throw std::runtime_error("cannot extend the test zone " + name);
  }
  const std::string reload = instance + " reload " + zone_dir;
  if (std::system(reload.c_str()) != 0) throw std::runtime_error("cannot reload the test zone");
}

}  // namespace starttls_exporter::testing
