// Mail domains end to end: app::Exporter resolves domains through a real nsd serving a zone
// tree signed at test time (run by tests/dns/with_dns_zone.sh), probes every MX address on
// loopback with the MX host's name, and serves the domain series. Loopback only.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <iostream>
#include <sstream>

#include "command_run.hpp"
#include "env.hpp"
#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "probe_command.hpp"
#include "silent_udp.hpp"
#include "smtp_test_server.hpp"
#include "starttls_exporter/core/unique_fd.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

/// SMTP servers on the addresses the zone tree's MX hosts point at, all on one port.
struct MailServers {
  TestCa ca;
  std::uint16_t port = 0;
  std::vector<std::unique_ptr<SmtpTestServer>> servers;
  MailServers() {
    CertSpec spec;
    spec.common_name = "mx1.secure.sxt";
    spec.dns_names = {"mx1.secure.sxt", "mx2.secure.sxt", "mx.insecure.sxt", "alias.secure.sxt"};
    const auto cert = ca.issue(spec);
    for (const char* address : {"127.0.0.11", "127.0.0.12", "127.0.0.21"}) {
      SmtpServerOptions options;
      options.cert = cert;
      options.address = address;
      options.port = port;
      servers.push_back(std::make_unique<SmtpTestServer>(options));
      port = servers.back()->port();
    }
  }
};

std::string config_text(const TempDir& dir, const MailServers& mail, const std::string& domains) {
  return "global:\n  interval: 1h\n  timeout: 3s\n"
         "modules:\n  m:\n    tls: {ca_file: " +
         dir.file("ca.pem", mail.ca.cert_pem()) +
         "}\n"
         "dns:\n  resolver: 127.0.0.1:" +
         dns_zone_env("DNS_TEST_PORT") +
         "\n  trust_anchor_file: " + dns_zone_env("DNS_TEST_TRUST_ANCHOR") +
         "\n  allowed_reserved_cidrs: [127.0.0.0/8]\n  address_family: ipv4\n"
         "domains:\n" +
         domains;
}

std::string domain_entry(const std::string& name, const MailServers& mail) {
  return "  - {domain: " + name + ", module: m, port: " + std::to_string(mail.port) +
         ", labels: {team: mail}}\n";
}

std::string scrape(int port) {
  return get(port, "/metrics").body;
}

}  // namespace

TEST_CASE("domains: MX hosts resolved with DNSSEC, every address probed with its MX name") {
  TempDir dir;
  MailServers mail;
  std::string domains;
  for (const char* name : {"secure.sxt", "insecure.sxt", "shared-a.secure.sxt",
                           "shared-b.secure.sxt", "nullmx.secure.sxt", "bogus.sxt",
                           "reserved.secure.sxt", "nothing.sxt", "unserved.example"}) {
    domains += domain_entry(name, mail);
  }
  const auto path = dir.file("exporter.yml", config_text(dir, mail, domains));
  app::Exporter exporter(local_exporter(path));
  const std::string secure = "{domain=\"secure.sxt\",module=\"m\",team=\"mail\"}";
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = scrape(exporter.port());
        return sample(page, "probe_domain_success" + secure) == 1.0 &&
               sample(page,
                      "probe_domain_success{domain=\"insecure.sxt\",module=\"m\",team=\"mail\"}") ==
                   1.0;
      },
      kSettleDeadline));
  CAPTURE(page);
  CHECK(sample(page, "probe_domain_dnssec_secure" + secure) == 1.0);
  CHECK(sample(page, "probe_domain_mx_hosts" + secure) == 2.0);
  CHECK(sample(page, "probe_domain_addresses" + secure) == 2.0);
  CHECK(sample(page, "probe_domain_addresses_failing" + secure) == 0.0);
  CHECK(sample(page,
               "probe_domain_mx_info{domain=\"secure.sxt\",module=\"m\",team=\"mail\",mx=\"mx1."
               "secure.sxt\",preference=\"10\"}") == 1.0);
  CHECK(sample(page, "probe_dnssec_signature_expiry_timestamp_seconds" + secure) > 0);
  CHECK(sample(page, "probe_domain_ssl_earliest_cert_expiry" + secure) > 0);
  CHECK(sample(page,
               "probe_domain_mx_distinct_certificates{domain=\"secure.sxt\",module=\"m\",team="
               "\"mail\",mx=\"mx1.secure.sxt\"}") == 1.0);
  CHECK(sample(page,
               "probe_domain_dnssec_secure{domain=\"insecure.sxt\",module=\"m\",team=\"mail\"}") ==
        0.0);

  // Per address: the existing probe_* series with target, module and mx; verified as the MX.
  const std::string mx1 = "{target=\"127.0.0.11:" + std::to_string(mail.port) +
                          "\",module=\"m\",mx=\"mx1.secure.sxt\"}";
  CHECK(sample(page, "probe_success" + mx1) == 1.0);
  CHECK(sample(page, "probe_ssl_cert_verified" + mx1) == 1.0);
  // mx1 serves secure.sxt, shared-a and shared-b: probed once.
  std::size_t series = 0;
  for (std::size_t at = page.find("probe_success" + mx1); at != std::string::npos;
       at = page.find("probe_success" + mx1, at + 1)) {
    ++series;
  }
  CHECK(series == 1);

  const auto reason = [&](const std::string& domain, const std::string& why) {
    return sample(page, "probe_domain_failure_info{domain=\"" + domain +
                            "\",module=\"m\",team=\"mail\",reason=\"" + why + "\"}");
  };
  CHECK(reason("nullmx.secure.sxt", "null_mx") == 1.0);
  CHECK(reason("bogus.sxt", "dns_bogus") == 1.0);
  CHECK(reason("nothing.sxt", "nxdomain") == 1.0);
  CHECK(reason("reserved.secure.sxt", "address_reserved") == 1.0);
  // nsd refuses names outside its zones, so the resolver answers SERVFAIL: a failure, and
  // neither "insecure" nor "no such domain".
  CHECK(reason("unserved.example", "mx_lookup_failed") == 1.0);
  CHECK(sample(page, "starttls_exporter_dns_lookups_total{result=\"servfail\"}") > 0);
  CHECK(sample(page, "probe_domain_success{domain=\"bogus.sxt\",module=\"m\",team=\"mail\"}") ==
        0.0);
  CHECK(sample(page, "starttls_exporter_dns_lookups_total{result=\"bogus\"}") > 0);

  // The MTA-STS and TLS-RPT records (RFC 8461 §3.1, RFC 8460 §3), as a sender reads them.
  const auto of = [&](const std::string& family, const std::string& domain,
                      const std::string& extra = "") {
    return sample(page,
                  family + "{domain=\"" + domain + "\",module=\"m\",team=\"mail\"" + extra + "}");
  };
  CHECK(of("probe_mta_sts_record_info", "secure.sxt", ",id=\"2026120201\"") == 1.0);
  CHECK(of("probe_mta_sts_record_dnssec_secure", "secure.sxt") == 1.0);
  // Its policy host mta-sts.secure.sxt has no address: the fetch fails (tests/app/mta_sts_test
  // has real policy servers).
  CHECK(of("probe_mta_sts_failure_info", "secure.sxt", ",reason=\"fetch_failed\"") == 1.0);
  CHECK(of("probe_mta_sts_policy_valid", "secure.sxt") == 0.0);
  CHECK(of("probe_tlsrpt_record_valid", "secure.sxt") == 1.0);
  CHECK(of("probe_mta_sts_record_info", "shared-b.secure.sxt", ",id=\"split1\"") == 1.0);
  CHECK(of("probe_mta_sts_failure_info", "shared-a.secure.sxt", ",reason=\"no_record\"") == 1.0);
  CHECK(of("probe_tlsrpt_record_valid", "shared-a.secure.sxt") == 0.0);
  CHECK(of("probe_tlsrpt_failure_info", "shared-a.secure.sxt", ",reason=\"no_record\"") == 1.0);
  CHECK(of("probe_mta_sts_failure_info", "insecure.sxt", ",reason=\"multiple_records\"") == 1.0);
  CHECK(of("probe_mta_sts_failure_info", "reserved.secure.sxt", ",reason=\"record_invalid\"") ==
        1.0);  // "v=STSv1;" without an id
  CHECK(of("probe_mta_sts_record_dnssec_secure", "insecure.sxt") == 0.0);
  CHECK(of("probe_tlsrpt_failure_info", "insecure.sxt", ",reason=\"record_invalid\"") == 1.0);
  // No MTA-STS lookup for a domain that accepts no mail (null MX) or did not resolve.
  CHECK_FALSE(of("probe_tlsrpt_record_valid", "nullmx.secure.sxt"));
  CHECK_FALSE(of("probe_tlsrpt_record_valid", "bogus.sxt"));

  // /probe?domain=: a configured domain now, its series and its addresses'; others refused.
  const HttpReply now = get(exporter.port(), "/probe?domain=secure.sxt&module=m");
  CHECK(now.status == 200);
  CAPTURE(now.body);
  CHECK(sample(now.body, "probe_domain_success" + secure) == 1.0);
  CHECK(sample(now.body, "probe_success" + mx1) == 1.0);
  CHECK(now.body.find("starttls_exporter_build_info") == std::string::npos);
  CHECK(get(exporter.port(), "/probe?domain=mail.test&module=m").status == 403);
  CHECK(get(exporter.port(), "/probe?domain=secure.sxt").status == 400);

  // A reload removing a domain removes its series and its addresses' series.
  dir.file("exporter.yml", config_text(dir, mail, domain_entry("secure.sxt", mail)));
  REQUIRE(exporter.reloader().reload("test").ok);
  REQUIRE(eventually(
      [&] {
        page = scrape(exporter.port());
        return page.find("domain=\"insecure.sxt\"") == std::string::npos;
      },
      kSettleDeadline));
  CHECK(page.find("127.0.0.21") == std::string::npos);
  CHECK(sample(page, "probe_domain_success" + secure) == 1.0);  // kept its state

  // A reload adding domains resolves and probes them: the CNAME'd MX host's address is probed
  // with the name as published.
  dir.file("exporter.yml",
           config_text(dir, mail,
                       domain_entry("secure.sxt", mail) + domain_entry("insecure.sxt", mail) +
                           domain_entry("cname.secure.sxt", mail)));
  REQUIRE(exporter.reloader().reload("test").ok);
  const std::string cname = "{domain=\"cname.secure.sxt\",module=\"m\",team=\"mail\"}";
  REQUIRE(eventually(
      [&] {
        page = scrape(exporter.port());
        return sample(page, "probe_domain_success" + cname) == 1.0 &&
               sample(page, "probe_success{target=\"127.0.0.21:" + std::to_string(mail.port) +
                                "\",module=\"m\",mx=\"mx.insecure.sxt\"}") == 1.0;
      },
      kSettleDeadline));
  CHECK(sample(page,
               "probe_domain_mx_info{domain=\"cname.secure.sxt\",module=\"m\",team="
               "\"mail\",mx=\"alias.secure.sxt\",preference=\"10\"}") == 1.0);
  CHECK(sample(page, "probe_success{target=\"127.0.0.11:" + std::to_string(mail.port) +
                         "\",module=\"m\",mx=\"alias.secure.sxt\"}") == 1.0);
  CHECK(sample(page,
               "probe_domain_mx_cname_info{domain=\"cname.secure.sxt\",module=\"m\","
               "team=\"mail\",mx=\"alias.secure.sxt\",canonical=\"mx1.secure.sxt\"}") == 1.0);
}

TEST_CASE("domains: a trust anchor libunbound refuses is a config error with its location") {
  TempDir dir;
  MailServers mail;
  const auto bad = dir.file("bad.key", "sxt. IN DS 1 2 3 not-hex\n");
  const auto text =
      "modules:\n  m: {}\ndns:\n  resolver: 127.0.0.1:" + dns_zone_env("DNS_TEST_PORT") +
      "\n  trust_anchor_file: " + bad + "\ndomains:\n" + domain_entry("secure.sxt", mail);
  CHECK_THROWS_WITH_AS(app::Exporter(local_exporter(dir.file("exporter.yml", text))),
                       doctest::Contains("exporter.yml:5:22: dns: trust anchor"),
                       config::ConfigError);
}

TEST_CASE("domains: the probe command resolves any domain and probes each MX address") {
  TempDir dir;
  MailServers mail;
  const auto ca = dir.file("ca.pem", mail.ca.cert_pem());
  const auto run = [&](const std::string& domain, std::vector<std::string> extra) {
    std::vector<std::string> args{domain + ":" + std::to_string(mail.port),
                                  "--ca-file",
                                  ca,
                                  "--dns.resolver",
                                  "127.0.0.1:" + dns_zone_env("DNS_TEST_PORT"),
                                  "--dns.trust-anchor-file",
                                  dns_zone_env("DNS_TEST_TRUST_ANCHOR"),
                                  "--dns.allowed-reserved-cidr",
                                  "127.0.0.0/8",
                                  "--dns.allowed-reserved-cidr",
                                  "::1",
                                  "--timeout",
                                  "3s"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandRun command = run_probe_command(args);
    return std::pair{command.code, command.out};
  };
  const auto [code, text] = run("insecure.sxt", {});
  CAPTURE(text);
  CHECK(code == 0);
  CHECK(text.find("Mail domain insecure.sxt") == 0);
  CHECK(text.find("DNSSEC: not secure") != std::string::npos);
  CHECK(text.find("MX 10 mx.insecure.sxt: 127.0.0.21") != std::string::npos);
  CHECK(text.find("server name mx.insecure.sxt") != std::string::npos);
  CHECK(text.find("Result: SUCCESS") != std::string::npos);

  const auto [json_code, json] = run("secure.sxt", {"--output", "json"});
  CAPTURE(json);
  CHECK(json_code == 1);  // mx2's ::1 has no server: that address fails
  CHECK(json.find("\"domain\":\"secure.sxt\"") != std::string::npos);
  CHECK(json.find("\"dnssec_secure\":true") != std::string::npos);
  CHECK(json.find("\"host\":\"mx1.secure.sxt\",\"preference\":10") != std::string::npos);
  CHECK(json.find("\"addresses\":[{\"target\":\"127.0.0.11:") != std::string::npos);

  CHECK(run("nullmx.secure.sxt", {}).first == 1);
  CHECK(run("bogus.sxt", {}).first == 1);
}

TEST_CASE("domains: the zone changes and is re-served; addresses come and go within a refresh") {
  TempDir dir;
  MailServers mail;
  std::string text = config_text(dir, mail, domain_entry("insecure.sxt", mail));
  text.replace(text.find("  address_family"), 0, "  min_refresh: 1s\n  max_refresh: 2s\n");
  app::Exporter exporter(local_exporter(dir.file("exporter.yml", text)));
  const std::string port = std::to_string(mail.port);
  const auto has = [&](const std::string& address) {
    return sample(scrape(exporter.port()), "probe_success{target=\"" + address + ":" + port +
                                               "\",module=\"m\",mx=\"mx.insecure.sxt\"}")
        .has_value();
  };
  REQUIRE(eventually([&] { return has("127.0.0.21"); }, kSettleDeadline));
  // mx.insecure.sxt moves from 127.0.0.21 to 127.0.0.22.
  const std::string zone = dns_zone_env("DNS_TEST_ZONE_DIR") + "/zones/insecure.sxt.zone";
  std::string edit = "sed -i 's/^mx IN A 127.0.0.21$/mx IN A 127.0.0.22/' " + zone + " && " +
                     dns_zone_env("DNS_ZONE_INSTANCE") + " reload " +
                     dns_zone_env("DNS_TEST_ZONE_DIR");
  REQUIRE(std::system(edit.c_str()) == 0);
  CHECK(eventually([&] { return has("127.0.0.22") && !has("127.0.0.21"); }, kSettleDeadline));
}

TEST_CASE("domains: a DNS server that never answers costs the domain, not the other probes") {
  TempDir dir;
  MailServers mail;
  const testing::SilentUdpSocket silent;
  std::string text = config_text(dir, mail, domain_entry("secure.sxt", mail));
  text.replace(text.find("127.0.0.1:" + dns_zone_env("DNS_TEST_PORT")),
               10 + dns_zone_env("DNS_TEST_PORT").size(),
               "127.0.0.1:" + std::to_string(silent.port));
  text.replace(text.find("  address_family"), 0, "  timeout: 500ms\n");
  text += "targets:\n  - {address: 127.0.0.11, port: " + std::to_string(mail.port) +
          ", module: m, server_name: mx1.secure.sxt}\n";
  app::Exporter exporter(local_exporter(dir.file("exporter.yml", text)));
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = scrape(exporter.port());
        return sample(page,
                      "probe_domain_failure_info{domain=\"secure.sxt\",module=\"m\",team="
                      "\"mail\",reason=\"dns_timeout\"}") == 1.0;
      },
      kSettleDeadline));
  CHECK(sample(page, "probe_success{target=\"127.0.0.11:" + std::to_string(mail.port) +
                         "\",module=\"m\"}") == 1.0);
  CHECK(sample(page, "probe_domain_success{domain=\"secure.sxt\",module=\"m\",team=\"mail\"}") ==
        0.0);
  CHECK(sample(page, "starttls_exporter_dns_lookups_total{result=\"timeout\"}") >= 1.0);
}
