// Mail services and hosts end to end on the signed zone of tests/dns/with_dns_zone.sh: SRV
// records (RFC 6186) for a secure and an insecure service, priority and weight order, the "."
// target, and TLSA usages 0 and 1 on a non-SMTP port (RFC 7671, RFC 7673), judged by the
// scheduled probes and by `probe --service` / `probe --host` alike. Each IMAPS server listens
// on its own 127.0.8.x address, all on one port. Loopback only.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "command_run.hpp"
#include "dane_cases.hpp"
#include "env.hpp"
#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "line_protocol_scripts.hpp"
#include "smtp_test_server.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;

namespace {

/// The issuer of a chain's leaf: the second certificate of `chain_pem`.
std::string issuer_pem(const std::string& chain_pem) {
  const std::string begin = "-----BEGIN CERTIFICATE-----";
  return chain_pem.substr(chain_pem.find(begin, begin.size()));
}

CertSpec named(const std::string& host) {
  CertSpec spec;
  spec.common_name = host;
  spec.dns_names = {host};
  return spec;
}

/// One IMAPS server per host, each on its own address, all on the first one's port.
struct Servers {
  TestCa ca{"Services CA"};
  TestCa stranger{"Unrelated CA"};
  std::vector<std::unique_ptr<SmtpTestServer>> running;
  std::uint16_t port = 0;
  std::vector<std::string> secure_lines, insecure_lines;
  std::map<std::string, std::string> records;  ///< host label -> its TLSA record

  void start(const std::string& address, const IssuedCert& cert) {
    SmtpServerOptions options;
    options.script = line_script(implicit_steps("imap"), true);
    options.cert = cert;
    options.address = address;
    options.port = port;
    running.push_back(std::make_unique<SmtpTestServer>(options));
    port = running.back()->port();
  }
  std::string tlsa_owner(const std::string& host) const {
    return "_" + std::to_string(port) + "._tcp." + host;
  }
  void publish() const {
    const std::string dir = dns_zone_env("DNS_TEST_ZONE_DIR");
    std::ofstream secure(dir + "/zones/secure.sxt.zone", std::ios::app);
    for (const auto& line : secure_lines) secure << line << "\n";
    std::ofstream insecure(dir + "/zones/insecure.sxt.zone", std::ios::app);
    for (const auto& line : insecure_lines) insecure << line << "\n";
    secure.close();
    insecure.close();
    REQUIRE(secure);
    REQUIRE(insecure);
    const std::string reload = dns_zone_env("DNS_ZONE_INSTANCE") + " reload " + dir;
    REQUIRE(std::system(reload.c_str()) == 0);
  }
};

/// The zone and the servers:
///   _imaps._tcp.srv.secure.sxt  SRV 0 5 imap-b, SRV 0 10 imap-a, SRV 10 0 imap-c (secure)
///     imap-a: DANE-EE "3 1 1" of its leaf (from an unrelated CA: DANE alone authenticates)
///     imap-b: PKIX-EE "1 1 1" of its leaf, issued by the module's CA
///     imap-c: PKIX-TA "0 1 1" of the intermediate it sends, under the module's CA
///   _pop3s._tcp.srv.secure.sxt  SRV 0 0 0 . (not offered)
///   _imaps._tcp.insecure.sxt    SRV 0 0 imap-x.secure.sxt (insecure), whose secure TLSA
///     matches nothing: a client must not look it up, and PKIX decides (RFC 7673 §3.1)
///   bad.srv.secure.sxt          PKIX-EE of its leaf, but the leaf is from an unrelated CA
Servers start_servers() {
  Servers s;
  const auto a = s.stranger.issue(named("imap-a.srv.secure.sxt"));
  const auto b = s.ca.issue(named("imap-b.srv.secure.sxt"));
  const auto c = s.ca.issue_with_intermediates(named("imap-c.srv.secure.sxt"), 1);
  const auto x = s.ca.issue(named("imap-x.secure.sxt"));
  const auto bad = s.stranger.issue(named("bad.srv.secure.sxt"));
  s.start("127.0.8.1", a);
  s.start("127.0.8.2", b);
  s.start("127.0.8.3", c);
  s.start("127.0.8.5", x);
  s.start("127.0.8.6", bad);
  const std::string p = std::to_string(s.port);
  s.secure_lines = {
      "_imaps._tcp.srv IN SRV 0 5 " + p + " imap-b.srv",
      "_imaps._tcp.srv IN SRV 0 10 " + p + " imap-a.srv",
      "_imaps._tcp.srv IN SRV 10 0 " + p + " imap-c.srv",
      "_pop3s._tcp.srv IN SRV 0 0 0 .",
      "imap-a.srv IN A 127.0.8.1",
      "imap-b.srv IN A 127.0.8.2",
      "imap-c.srv IN A 127.0.8.3",
      "imap-x IN A 127.0.8.5",
      "bad.srv IN A 127.0.8.6",
      s.tlsa_owner("imap-a.srv") + " IN TLSA " + tlsa(3, 1, 1, a.cert_pem),
      s.tlsa_owner("imap-b.srv") + " IN TLSA " + tlsa(1, 1, 1, b.cert_pem),
      s.tlsa_owner("imap-c.srv") + " IN TLSA " + tlsa(0, 1, 1, issuer_pem(c.chain_pem)),
      s.tlsa_owner("imap-x") + " IN TLSA " + tlsa(3, 1, 1, bad.cert_pem),
      s.tlsa_owner("bad.srv") + " IN TLSA " + tlsa(1, 1, 1, bad.cert_pem),
  };
  s.records = {{"imap-b", tlsa(1, 1, 1, b.cert_pem)},
               {"imap-c", tlsa(0, 1, 1, issuer_pem(c.chain_pem))},
               {"bad", tlsa(1, 1, 1, bad.cert_pem)}};
  s.insecure_lines = {"_imaps._tcp IN SRV 0 0 " + p + " imap-x.secure.sxt."};
  return s;
}

std::string config_text(const TempDir& dir, const Servers& s) {
  const std::string ca = dir.file("ca.pem", s.ca.cert_pem());
  const std::string p = std::to_string(s.port);
  return "global:\n  interval: 1h\n  timeout: 3s\n"
         "modules:\n  m:\n    tls: {ca_file: " +
         ca + "}\n  imaps:\n    protocol: imap\n    tls: {mode: implicit, ca_file: " + ca +
         "}\n"
         "dns:\n  resolver: 127.0.0.1:" +
         dns_zone_env("DNS_TEST_PORT") +
         "\n  trust_anchor_file: " + dns_zone_env("DNS_TEST_TRUST_ANCHOR") +
         "\n  allowed_reserved_cidrs: [127.0.0.0/8]\n  address_family: ipv4\n"
         "  min_refresh: 1s\n  max_refresh: 2s\n"
         "domains:\n"
         "  - {domain: srv.secure.sxt, module: m, services: [imaps, pop3s]}\n"
         "  - {domain: insecure.sxt, module: m, services: {imaps: imaps}}\n"
         "hosts:\n"
         "  - {name: imap-b.srv.secure.sxt, module: imaps, port: " +
         p + "}\n  - {name: imap-c.srv.secure.sxt, module: imaps, port: " + p +
         "}\n  - {name: bad.srv.secure.sxt, module: imaps, port: " + p + "}\n";
}

std::string at(const Servers& s, const std::string& address, const std::string& module,
               const std::string& host) {
  return "{target=\"" + address + ":" + std::to_string(s.port) + "\",module=\"" + module +
         "\",mx=\"" + host + "\"}";
}

std::string with(const std::string& labels, const std::string& extra) {
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

std::vector<std::string> probe_args(const TempDir& dir, const Servers& s,
                                    std::vector<std::string> args) {
  for (const std::string& flag :
       {"--ca-file=" + dir.file("ca.pem", s.ca.cert_pem()),
        "--dns.resolver=127.0.0.1:" + dns_zone_env("DNS_TEST_PORT"),
        "--dns.trust-anchor-file=" + dns_zone_env("DNS_TEST_TRUST_ANCHOR"),
        std::string("--dns.allowed-reserved-cidr=127.0.0.0/8"), std::string("--timeout=5s"),
        std::string("--output=json")}) {
    args.push_back(flag);
  }
  return args;
}

/// The independent judge: OpenSSL's own DANE client (RFC 7671 usages with PKIX for 0 and 1)
/// connecting to `address` with `record` as the TLSA RRset. True when it verified.
bool openssl_accepts(const Servers& s, const std::string& address, const std::string& name,
                     const std::string& record, const std::string& ca_file) {
  const std::string command = "timeout 10 openssl s_client -brief -connect " + address + ":" +
                              std::to_string(s.port) + " -servername " + name + " -CAfile " +
                              ca_file + " -dane_tlsa_domain " + name + " -dane_tlsa_rrdata '" +
                              record + "' -verify_return_error </dev/null 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  CAPTURE(out);
  return out.find("Verification: OK") != std::string::npos;
}

}  // namespace

TEST_CASE("services by SRV and hosts: order, '.', insecure SRV, TLSA usages 0 and 1") {
  Servers s = start_servers();
  s.publish();
  TempDir dir;
  app::Exporter exporter(local_exporter(dir.file("exporter.yml", config_text(dir, s))));
  const std::string a = at(s, "127.0.8.1", "m/imaps", "imap-a.srv.secure.sxt");
  const std::string b = at(s, "127.0.8.2", "m/imaps", "imap-b.srv.secure.sxt");
  const std::string c = at(s, "127.0.8.3", "m/imaps", "imap-c.srv.secure.sxt");
  const std::string x = at(s, "127.0.8.5", "imaps", "imap-x.secure.sxt");
  const std::string host_b = at(s, "127.0.8.2", "imaps", "imap-b.srv.secure.sxt");
  const std::string host_bad = at(s, "127.0.8.6", "imaps", "bad.srv.secure.sxt");
  const std::string host_c = at(s, "127.0.8.3", "imaps", "imap-c.srv.secure.sxt");
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = get(exporter.port(), "/metrics").body;
        for (const auto* labels : {&a, &b, &c, &x, &host_b, &host_c, &host_bad}) {
          if (!sample(page, "probe_success" + *labels)) return false;
        }
        return true;
      },
      kSettleDeadline));

  // The secure SRV service: every target on its SRV port, DANE under RFC 7671's rules.
  for (const auto* labels : {&a, &b, &c}) {
    CAPTURE(*labels);
    CHECK(sample(page, "probe_success" + *labels) == 1.0);
    CHECK(sample(page, "probe_verification_policy_info" + with(*labels, "policy=\"dane\"")) == 1.0);
    CHECK(sample(page, "probe_dane_match" + *labels) == 1.0);
  }
  CHECK(sample(page, "probe_dane_matched_record_info" +
                         with(b, "usage=\"1\",selector=\"1\",matching_type=\"1\"")) == 1.0);
  CHECK(sample(page, "probe_dane_matched_record_info" +
                         with(c, "usage=\"0\",selector=\"1\",matching_type=\"1\"")) == 1.0);
  const std::string imaps = "{domain=\"srv.secure.sxt\",module=\"m/imaps\"";
  CHECK(sample(page, "probe_domain_success" + imaps + "}") == 1.0);
  CHECK(sample(page, "probe_domain_addresses" + imaps + "}") == 3.0);
  CHECK(sample(page, "probe_domain_mx_info" + imaps +
                         ",mx=\"imap-c.srv.secure.sxt\",preference=\"10\"}") == 1.0);
  // The "." target: not offered, nothing probed.
  CHECK(sample(page,
               "probe_domain_failure_info{domain=\"srv.secure.sxt\",module=\"m/pop3s\","
               "reason=\"service_not_offered\"}") == 1.0);

  // The insecure SRV answer: its target's (secure, mismatching) TLSA is not looked up; PKIX
  // with the target's name decides.
  CHECK(sample(page, "probe_success" + x) == 1.0);
  CHECK(sample(page, "probe_verification_policy_info" + with(x, "policy=\"pkix\"")) == 1.0);
  CHECK(sample(page, "probe_domain_dnssec_secure{domain=\"insecure.sxt\",module=\"imaps\"}") ==
        0.0);

  // Hosts: PKIX-EE and PKIX-TA with a chain that passes PKIX, and one whose chain does not.
  CHECK(sample(page, "probe_success" + host_b) == 1.0);
  CHECK(sample(page, "probe_success" + host_c) == 1.0);
  CHECK(sample(page, "probe_dane_matched_record_info" +
                         with(host_c, "usage=\"0\",selector=\"1\",matching_type=\"1\"")) == 1.0);
  CHECK(sample(page, "probe_success" + host_bad) == 0.0);
  CHECK(sample(page, "probe_dane_failure_info" + with(host_bad, "reason=\"pkix_invalid\"")) == 1.0);
  CHECK(sample(page,
               "probe_domain_failure_info{domain=\"bad.srv.secure.sxt\",module=\"imaps\","
               "reason=\"dane_failed\"}") == 1.0);

  // /probe?domain= resolves and probes a configured service now, the same way.
  const HttpReply now = get(exporter.port(), "/probe?domain=srv.secure.sxt&module=m%2Fimaps");
  REQUIRE(now.status == 200);
  CHECK(sample(now.body, "probe_success" + b) == 1.0);
  CHECK(sample(now.body, "probe_dane_matched_record_info" +
                             with(c, "usage=\"0\",selector=\"1\",matching_type=\"1\"")) == 1.0);
  CHECK(sample(now.body, "probe_domain_success" + imaps + "}") == 1.0);

  // OpenSSL's DANE client agrees on the PKIX-EE, PKIX-TA and failing cases.
  const std::string ca = dir.file("ca.pem", s.ca.cert_pem());
  CHECK(openssl_accepts(s, "127.0.8.2", "imap-b.srv.secure.sxt", s.records.at("imap-b"), ca));
  CHECK(openssl_accepts(s, "127.0.8.3", "imap-c.srv.secure.sxt", s.records.at("imap-c"), ca));
  CHECK_FALSE(openssl_accepts(s, "127.0.8.6", "bad.srv.secure.sxt", s.records.at("bad"), ca));

  // The probe command, the same rounds: the targets in the order a client tries them.
  const CommandRun service =
      run_probe_command(probe_args(dir, s, {"srv.secure.sxt", "--service=imaps"}));
  CAPTURE(service.out);
  CHECK(service.code == 0);
  const auto a_at = service.out.find("\"host\":\"imap-a.srv.secure.sxt\"");
  const auto b_at = service.out.find("\"host\":\"imap-b.srv.secure.sxt\"");
  const auto c_at = service.out.find("\"host\":\"imap-c.srv.secure.sxt\"");
  CHECK(a_at < b_at);  // weight 10 before weight 5
  CHECK(b_at < c_at);  // priority 0 before 10
  CHECK(c_at != std::string::npos);
  CHECK(service.out.find("\"kind\":\"service\"") != std::string::npos);
  const CommandRun bad =
      run_probe_command(probe_args(dir, s,
                                   {"bad.srv.secure.sxt:" + std::to_string(s.port), "--host",
                                    "--protocol=imap", "--implicit-tls"}));
  CAPTURE(bad.out);
  CHECK(bad.code == 1);
  CHECK(bad.out.find("pkix_invalid") != std::string::npos);
  const CommandRun none =
      run_probe_command(probe_args(dir, s, {"srv.secure.sxt", "--service=pop3s"}));
  CHECK(none.code == 1);
  CHECK(none.out.find("service_not_offered") != std::string::npos);
}
