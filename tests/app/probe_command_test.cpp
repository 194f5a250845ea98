// The one-shot probe command against the in-process SMTP test server: exit codes, the text
// report, the JSON object, flags. (tests/integration/probe_command_test.sh runs the binary
// against a real Postfix and parses the JSON key by key.)
#include <doctest/doctest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "command_run.hpp"
#include "flags.hpp"
#include "probe_command.hpp"
#include "smtp_test_server.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;

namespace {

using Run = CommandRun;

Run run(const std::vector<std::string>& args) {
  return run_probe_command(args);
}

struct Fixture {
  TempDir dir;
  TestCa ca;
  SmtpTestServer server{[this] {
    SmtpServerOptions o;
    o.cert = ca.issue({});
    return o;
  }()};
  std::string ca_file = dir.file("ca.pem", ca.cert_pem());
  std::string target = "127.0.0.1:" + std::to_string(server.port());
};

}  // namespace

TEST_CASE("probe: success prints every section and exits 0") {
  Fixture f;
  const Run r = run({f.target, "--server-name", "mx.test", "--ca-file", f.ca_file});
  CHECK(r.code == 0);
  CAPTURE(r.out);
  CHECK(r.out.starts_with("Probe of " + f.target + " (smtp, starttls), server name mx.test"));
  CHECK(r.out.find("Result: SUCCESS\n") != std::string::npos);  // no colour: not a terminal
  CHECK(r.out.find("\x1b[") == std::string::npos);
  for (const char* part : {"\nPhases:\n  connect", "tls_handshake", "\nDialogue:\n", "C: EHLO",
                           "TLS: TLS 1.3", "Key: ECDSA", "Chain as sent (", "SANs: mx.test",
                           "days left)", "OCSP: not stapled", "Verification: verified"}) {
    CHECK_MESSAGE(r.out.find(part) != std::string::npos, part);
  }
}

TEST_CASE("probe: a wrong name exits 1 and still prints the certificate facts") {
  Fixture f;
  const Run r = run({f.target, "--server-name=other.test", "--ca-file=" + f.ca_file});
  CHECK(r.code == 1);
  CHECK(r.out.find("Result: FAILURE in phase verify: cert_hostname_mismatch") != std::string::npos);
  CHECK(r.out.find("SANs: mx.test") != std::string::npos);
  CHECK(r.out.find("Verification: failed: cert_hostname_mismatch") != std::string::npos);
}

TEST_CASE("probe: refused connections exit 1 with the reason; bad input exits 2") {
  Fixture f;
  const Run refused = run({"127.0.0.1:1"});
  CHECK(refused.code == 1);
  CHECK(refused.out.find("connect: connection_refused") != std::string::npos);
  CHECK(run({f.target, "--bogus"}).code == 2);
  CHECK(run({}).code == 2);
  CHECK(run({"no_such..name"}).code == 2);  // neither an address nor a domain
  // A domain without --dns.resolver would ask /etc/resolv.conf's servers, which are not on
  // loopback: the test environment forbids it (tests/meson.build), so nothing is sent.
  CHECK(run({"example.com"}).code == 2);
  CHECK(run({f.target, "--server-name", "mail.123"}).code == 2);
  CHECK(run({f.target, "--ehlo-name", "a\r\nRSET"}).code == 2);
  CHECK(run({f.target, "--timeout", "0s"}).code == 2);
  CHECK(run({f.target, "--module", "m", "--config.file", "/nonexistent.yml"}).code == 2);
  CHECK(run({"--help"}).code == 0);
}

TEST_CASE("probe: --output json has the facts under stable keys") {
  Fixture f;
  const Run r = run({f.target, "--server-name", "mx.test", "--ca-file", f.ca_file, "--output",
                     "json", "--timeout", "5s"});
  CHECK(r.code == 0);
  CAPTURE(r.out);
  CHECK(r.out.starts_with("{\"target\":\"" + f.target + "\",\"address\":\"127.0.0.1\""));
  CHECK(r.out.ends_with("}\n"));
  for (const char* part :
       {"\"protocol\":\"smtp\"", "\"tls_mode\":\"starttls\"", "\"server_name\":\"mx.test\"",
        "\"timeout_seconds\":5", "\"success\":true", "\"failure\":null",
        "\"starttls_advertised\":true", "\"phases\":[{\"phase\":\"connect\"",
        "\"version\":\"TLS 1.3\"", "\"dns_names\":[\"mx.test\"]", "\"chain_complete\":true",
        "\"verification\":{\"verified\":true,\"reasons\":[]}", "\"legacy\":null"}) {
    CHECK_MESSAGE(r.out.find(part) != std::string::npos, part);
  }
}

TEST_CASE("probe: --module takes the module's settings; flags override them") {
  Fixture f;
  const auto config = f.dir.file("exporter.yml",
                                 "modules:\n  pop:\n    protocol: pop3\n"
                                 "    timeout: 3s\n    tls: {ca_file: ca.pem}\n");
  const auto flags = app::parse_probe_flags({f.target, "--module", "pop", "--config.file", config,
                                             "--protocol", "smtp", "--output", "json"});
  CHECK(flags.module == "pop");
  REQUIRE(flags.protocol);
  const Run r = run({f.target, "--module", "pop", "--config.file", config, "--protocol", "smtp",
                     "--server-name", "mx.test", "--output", "json"});
  CHECK(r.code == 0);  // the module's CA file verifies the server
  CHECK(r.out.find("\"module\":\"pop\"") != std::string::npos);
  CHECK(r.out.find("\"protocol\":\"smtp\"") != std::string::npos);
  CHECK(r.out.find("\"timeout_seconds\":3") != std::string::npos);
  CHECK_THROWS_AS(app::parse_probe_flags({f.target, "--config.file", config}), app::FlagError);
}
