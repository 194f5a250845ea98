// The ops configuration keys: global.scrape_timeout_margin, probe_allowed_cidrs, and the
// --web.config.file format.

#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/config/web_config.hpp"
#include "temp_dir.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::config;
using starttls_exporter::testing::TempDir;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("scrape_timeout_margin: default, zero allowed, garbage rejected") {
  CHECK(parse_config("targets: []\n", "c.yml").global.scrape_timeout_margin == 500ms);
  CHECK(parse_config("global: {scrape_timeout_margin: 0s}\ntargets: []\n", "c.yml")
            .global.scrape_timeout_margin == 0ms);
  CHECK(parse_config("global: {scrape_timeout_margin: 1s250ms}\ntargets: []\n", "c.yml")
            .global.scrape_timeout_margin == 1250ms);
  CHECK(error_of([] { load_config(TEST_DATA_DIR "/invalid-scrape-timeout-margin.yaml"); }) ==
        TEST_DATA_DIR
        "/invalid-scrape-timeout-margin.yaml:2:26: global.scrape_timeout_margin: "
        "\"half a second\" is not a duration (use units y, w, d, h, m, s, ms as in "
        "500ms)");
}

TEST_CASE("probe_allowed_cidrs: parsing and matching") {
  const Config config = parse_config(
      "targets: []\nprobe_allowed_cidrs: [127.0.0.0/8, \"2001:DB8::/32\", 192.0.2.7, 0.0.0.0/0]\n",
      "c.yml");
  REQUIRE(config.probe_allowed_cidrs.size() == 4);
  CHECK(config.probe_allowed_cidrs[1].text == "2001:db8::/32");
  CHECK(config.probe_allowed_cidrs[2].text == "192.0.2.7/32");
  struct Case {
    std::size_t network;
    const char* address;
    bool contained;
  };
  const Case cases[] = {
      {0, "127.0.0.1", true},    {0, "127.255.255.255", true},
      {0, "128.0.0.1", false},   {0, "::ffff:127.0.0.1", false},
      {0, "::1", false},         {0, "localhost", false},
      {1, "2001:db8::25", true}, {1, "2001:db9::25", false},
      {1, "127.0.0.1", false},   {2, "192.0.2.7", true},
      {2, "192.0.2.8", false},   {3, "203.0.113.9", true},
      {3, "2001:db8::1", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.address);
    CHECK(config.probe_allowed_cidrs[c.network].contains(c.address) == c.contained);
  }
  struct Bad {
    const char* text;
    const char* problem;
  };
  const Bad bad[] = {
      {"10.0.0.1/8", "\"10.0.0.1/8\" has host bits set (did you mean 10.0.0.0/8?)"},
      {"10.0.0.0/33", "\"10.0.0.0/33\" has an invalid prefix length (0 to 32)"},
      {"::/129", "\"::/129\" has an invalid prefix length (0 to 128)"},
      {"10.0.0.0/", "\"10.0.0.0/\" has an invalid prefix length (0 to 32)"},
      {"10.0.0.0/+8", "\"10.0.0.0/+8\" has an invalid prefix length (0 to 32)"},
      {"example.com/8",
       "\"example.com/8\" is not an IP network (write ADDRESS/PREFIX as in "
       "127.0.0.0/8 or 2001:db8::/32)"},
  };
  for (const auto& b : bad) {
    std::string problem;
    CHECK_FALSE(parse_ip_network(b.text, problem));
    CHECK(problem == b.problem);
  }
  CHECK(error_of([] { load_config(TEST_DATA_DIR "/invalid-probe-allowed-cidr.yaml"); }) ==
        TEST_DATA_DIR
        "/invalid-probe-allowed-cidr.yaml:4:5: probe_allowed_cidrs[1]: "
        "\"10.1.2.3/8\" has host bits set (did you mean 10.0.0.0/8?)");
}

TEST_CASE("web config: valid files and located errors") {
  TempDir dir;
  dir.file("server.crt", "cert");
  dir.file("server.key", "key");
  dir.file("clients.pem", "ca");  // the loader reads the files; the web layer parses them
  const std::string path = dir.file("web.yml", R"(
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_ca_file: clients.pem
  client_auth_type: RequireAndVerifyClientCert
basic_auth_users:
  prometheus: $2y$10$X0h9hA0L3zYcoqBNrDSqD.F/qZxY1T1Jc8dZpG2m5yqv0qcHnOZMa
)");
  const WebConfig web = load_web_config(path);
  REQUIRE(web.tls_server);
  CHECK(web.tls_server->cert.path == (dir.path / "server.crt").string());
  CHECK(web.tls_server->cert.bytes == "cert");
  CHECK(web.tls_server->key.bytes == "key");
  REQUIRE(web.tls_server->client_ca);
  CHECK(web.tls_server->client_ca->bytes == "ca");
  CHECK(web.tls_server->client_auth == ClientAuth::require_and_verify);
  CHECK(web.tls_server->min_version == TlsVersion::tls1_2);
  CHECK(web.tls_server->max_version == TlsVersion::tls1_3);
  CHECK(web.tls_server->location.line == 2);
  CHECK(web.basic_auth_users.at("prometheus").starts_with("$2y$10$"));
  CHECK(parse_web_config("", "empty.yml").basic_auth_users.empty());

  struct Case {
    const char* file;
    std::string message;  ///< after the path
  };
  const std::string d = TEST_DATA_DIR;
  const Case cases[] = {
      {"web-invalid-hash.yaml",
       ":3:10: basic_auth_users.admin: not a bcrypt hash (expected $2y$, $2b$ or $2a$, a cost and "
       "53 more characters, as htpasswd -nbBC 10 USER PASSWORD makes)"},
      {"web-invalid-unknown-key.yaml",
       ":2:1: basic_auth_user: unknown key (expected one of: tls_server_config, "
       "basic_auth_users)"},
      {"web-invalid-missing-cert.yaml",
       ":3:14: tls_server_config.cert_file: cannot read \"no-such-server.crt\" (resolved to \"" +
           d + "/no-such-server.crt\"): No such file or directory"},
      {"web-invalid-client-auth.yaml",
       ":5:21: tls_server_config.client_auth_type: unknown client auth type \"Always\" "
       "(expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
       "VerifyClientCertIfGiven or RequireAndVerifyClientCert)"},
      {"web-invalid-user-name.yaml",
       ":3:3: basic_auth_users.\"a:b\": invalid user name: use non-empty UTF-8 text without ':' "
       "or control characters"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    const std::string file = d + "/" + c.file;
    CHECK(error_of([&] { load_web_config(file); }) == file + c.message);
  }
}

TEST_CASE("services and hosts: entries of their own, derived and mapped modules") {
  TempDir dir;
  const auto anchor = dir.file("anchor.key", "sxt. IN DNSKEY 257 3 13 AAAA\n");
  const Config config = parse_config(
      "modules:\n  m: {ehlo_name: probe.example.com, timeout: 3s}\n"
      "  sub: {protocol: submission}\n  imaps: {protocol: imap, tls: {mode: implicit}}\n"
      "dns:\n  trust_anchor_file: " +
          anchor +
          "\n"
          "domains:\n  - {domain: example.com, module: m, services: [imaps, pop3]}\n"
          "  - {domain: example.org, module: m, services: {submission: sub, imaps: ~}}\n"
          "hosts:\n  - {name: IMAP.example.com, module: imaps}\n"
          "  - {name: pop.example.com, module: m/pop3, port: 1995}\n",
      (dir.path / "c.yml").string());
  REQUIRE(config.domains.size() == 8);
  CHECK(config.domains[0].kind == DomainKind::mx);
  CHECK(config.domains[1].kind == DomainKind::service);
  CHECK(config.domains[1].name == "example.com");
  CHECK(config.domains[1].service == "imaps");
  CHECK(config.domains[1].module == "m/imaps");
  CHECK_FALSE(config.domains[1].port);
  const Module& derived = config.modules.at("m/imaps");
  CHECK(derived.protocol == Protocol::imap);
  CHECK(derived.tls.mode == TlsMode::implicit);
  CHECK(derived.ehlo_name == "probe.example.com");  // the rest from the domain's module
  CHECK(derived.timeout == 3s);
  CHECK(config.modules.at("m/pop3").tls.mode == TlsMode::starttls);
  CHECK(config.domains[4].module == "sub");  // mapped
  CHECK(config.domains[4].service == "submission");
  CHECK(config.domains[5].module == "m/imaps");  // one derived module for both domains
  CHECK(config.domains[6].kind == DomainKind::host);
  CHECK(config.domains[6].name == "imap.example.com");
  CHECK(config.domains[6].port == 993);  // the module's protocol and mode
  CHECK(config.domains[7].port == 1995);
  CHECK(config.dns.trust_anchor.bytes == "sxt. IN DNSKEY 257 3 13 AAAA\n");
}

TEST_CASE("dns and domains: defaults, normalised names, located errors") {
  TempDir dir;
  const auto anchor = dir.file("anchor.key", "sxt. IN DNSKEY 257 3 13 AAAA\n");
  const std::string head = "modules:\n  m: {}\n";
  const Config config =
      parse_config(head +
                       "dns:\n  resolver: [127.0.0.1:5353, \"[::1]:53\", 127.0.0.2]\n"
                       "  trust_anchor_file: " +
                       anchor +
                       "\n"
                       "  allowed_reserved_cidrs: [127.0.0.0/8]\n"
                       "  address_family: ipv4\n"
                       "domains:\n  - {domain: Example.COM., module: m, port: 2525}\n",
                   (dir.path / "c.yml").string());
  REQUIRE(config.dns.resolvers.size() == 3);
  CHECK(config.dns.resolvers[0].port == 5353);
  CHECK(config.dns.resolvers[1].ip == "::1");
  CHECK(config.dns.resolvers[2].port == 53);
  CHECK(config.dns.trust_anchor.bytes == "sxt. IN DNSKEY 257 3 13 AAAA\n");
  CHECK(config.dns.address_family == AddressFamilies::ipv4);
  CHECK(config.dns.timeout == 5s);
  CHECK(config.dns.min_refresh == 60s);
  REQUIRE(config.domains.size() == 1);
  CHECK(config.domains[0].name == "example.com");
  CHECK(config.domains[0].port == 2525);
  CHECK(config.domains[0].interval == 60s);

  struct Case {
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      {"domains:\n  - {domain: 192.0.2.1, module: m}\n",
       "c.yml:4:14: domains[0].domain: \"192.0.2.1\" is an IP address: list it under targets "
       "instead"},
      {"domains:\n  - {domain: \"a b\", module: m}\n",
       "c.yml:4:14: domains[0].domain: \"a b\" is not a valid domain name"},
      {"domains:\n  - {domain: x.org, module: nope}\n",
       "c.yml:4:29: domains[0].module: unknown module"},
      {"dns:\n  resolver: mx.example.com\n",
       "c.yml:4:13: dns.resolver: \"mx.example.com\" is not a resolver address"},
      {"dns:\n  trust_anchor_file: missing.key\ndomains: []\n",
       "c.yml:4:22: dns.trust_anchor_file: cannot read \"missing.key\""},
      {"dns:\n  min_refresh: 2h\n",
       "c.yml:4:16: dns.min_refresh: must not be above dns.max_refresh"},
      {"dns:\n  address_family: ip5\n",
       "c.yml:4:19: dns.address_family: expected any, ipv4 or ipv6"},
      {"domains:\n  - {domain: x.org, module: m}\n  - {domain: X.org, module: m}\n",
       "c.yml:5:5: domains[1]: duplicate domain x.org with module m"},
      {"domains:\n  - {domain: x.org, module: m, services: [imaps, smtps]}\n",
       "c.yml:4:50: domains[0].services[1]: unknown service \"smtps\"; expected one of "
       "submissions, submission, imaps, imap, pop3s, pop3"},
      {"domains:\n  - {domain: x.org, module: m, services: {imaps: m}}\n",
       "c.yml:4:50: domains[0].services.imaps: module \"m\" speaks smtp with STARTTLS; the "
       "service imaps is imap over implicit TLS"},
      {"domains:\n  - {domain: x.org, module: m, services: [imap, imap]}\n",
       "c.yml:4:49: domains[0].services[1]: service listed twice"},
      {"hosts:\n  - {name: imap.x.org}\n", "c.yml:4:5: hosts[0].module: required key is missing"},
      {"hosts:\n  - {name: 192.0.2.1, module: m}\n",
       "c.yml:4:12: hosts[0].name: \"192.0.2.1\" is an IP address"},
      {"domains:\n  - {domain: x.org, module: m}\nhosts:\n  - {name: x.org, module: m}\n",
       "c.yml:6:5: hosts[0]: duplicate: x.org with module m is listed already"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    const std::string error =
        error_of([&] { parse_config(head + c.yaml, (dir.path / "c.yml").string()); });
    CHECK(error.find((dir.path / c.message).string()) == 0);
  }
}
