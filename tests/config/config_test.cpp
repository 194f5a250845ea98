// Invalid configurations: every tests/data/invalid-*.yaml file with its exact message, plus
// the errors that need no data file (unreadable files, error formatting).

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include "starttls_exporter/config/config.hpp"

using namespace starttls_exporter::config;

namespace {

struct InvalidCase {
  const char* file;
  const char* message;  ///< after "FILE:"; "{dir}" stands for TEST_DATA_DIR
};

// One row per file in tests/data named invalid-*.yaml (a test below checks none is missing).
const InvalidCase kInvalid[] = {
    {"invalid-address-sequence.yaml",
     R"x(4:14: targets[0].address: expected an IP address, got a sequence)x"},
    {"invalid-bad-duration.yaml",
     R"x(2:13: global.interval: "1 minute" is not a duration (use units y, w, d, h, m, s, ms as in 1m30s))x"},
    {"invalid-bad-ip.yaml",
     R"x(4:14: targets[0].address: "192.0.2.256" is not an IPv4 or IPv6 address (names are not resolved; put the certificate name in server_name))x"},
    {"invalid-bad-module-name.yaml",
     R"x(2:3: modules."smtp.starttls": invalid module name "smtp.starttls": use 1 to 64 letters, digits, '_' or '-')x"},
    {"invalid-bracketed-ipv6.yaml",
     R"x(4:14: targets[0].address: "[::1]" is not an IP address: write IPv6 addresses without brackets)x"},
    {"invalid-ca-file-directory.yaml",
     R"x(4:16: modules.smtp_starttls.tls.ca_file: cannot read "/": is a directory)x"},
    {"invalid-concurrency-huge.yaml",
     R"x(2:16: global.concurrency: "100001" is out of range (1 to 100000))x"},
    {"invalid-concurrency-zero.yaml",
     R"x(2:16: global.concurrency: "0" is out of range (1 to 100000))x"},
    {"invalid-duplicate-key.yaml", R"x(6:5: targets[0].address: duplicate key (first at line 4))x"},
    {"invalid-duplicate-target-ipv6.yaml",
     R"x(6:5: targets[1]: duplicate target [2001:db8::25]:25 with module smtp_starttls: same as targets[0] at line 4)x"},
    {"invalid-duplicate-target.yaml",
     R"x(8:5: targets[2]: duplicate target 127.0.0.1:25 with module smtp_starttls: same as targets[0] at line 4)x"},
    {"invalid-ehlo-name-bad-literal.yaml",
     R"x(3:16: modules.smtp_starttls.ehlo_name: "[IPv6:192.0.2.1]" must be a domain name or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1])x"},
    {"invalid-ehlo-name-crlf.yaml",
     R"x(3:16: modules.smtp_starttls.ehlo_name: "prober.example.net\x0d\x0aRSET" must be a domain name or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1])x"},
    {"invalid-ehlo-name-space.yaml",
     R"x(3:16: modules.smtp_starttls.ehlo_name: "prober example.net" must be a domain name or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1])x"},
    {"invalid-empty.yaml",
     R"x(1:1: the file is empty; write "targets: []" for a configuration without targets)x"},
    {"invalid-global-not-mapping.yaml", R"x(1:9: global: expected a mapping, got a scalar)x"},
    {"invalid-hostname-address.yaml",
     R"x(4:14: targets[0].address: "mx.example.com" is not an IPv4 or IPv6 address (names are not resolved; put the certificate name in server_name))x"},
    {"invalid-label-bad-name.yaml",
     R"x(7:7: targets[0].labels.1domain: invalid label name "1domain": must match [a-zA-Z_][a-zA-Z0-9_]*)x"},
    {"invalid-label-bad-utf8.yaml",
     R"x(7:15: targets[0].labels.domain: label value "ex\xe9mple" is not valid UTF-8)x"},
    {"invalid-label-dunder.yaml",
     R"x(7:7: targets[0].labels.__name__: invalid label name "__name__": names starting with "__" are reserved)x"},
    {"invalid-label-empty-value.yaml",
     R"x(7:15: targets[0].labels.domain: label value must not be empty (Prometheus treats it as no label))x"},
    {"invalid-label-reserved-le.yaml",
     R"x(7:7: targets[0].labels.le: label name "le" is reserved: the exporter sets it itself)x"},
    {"invalid-label-reserved.yaml",
     R"x(7:7: targets[0].labels.target: label name "target" is reserved: the exporter sets it itself)x"},
    {"invalid-label-value-mapping.yaml",
     R"x(7:15: targets[0].labels.domain: expected a label value, got a mapping)x"},
    {"invalid-labels-sequence.yaml",
     R"x(6:13: targets[0].labels: expected a mapping, got a sequence)x"},
    {"invalid-lone-comma.yaml", R"x(2:1: YAML syntax error: unexpected ",")x"},
    {"invalid-missing-address.yaml", R"x(4:5: targets[0].address: required key is missing)x"},
    {"invalid-missing-ca-file.yaml",
     R"x(4:16: modules.smtp_starttls.tls.ca_file: cannot read "does-not-exist.pem" (resolved to "{dir}/does-not-exist.pem"): No such file or directory)x"},
    {"invalid-missing-module.yaml", R"x(4:5: targets[0].module: required key is missing)x"},
    {"invalid-modules-sequence.yaml", R"x(2:3: modules: expected a mapping, got a sequence)x"},
    {"invalid-probe-allowed-cidr.yaml",
     R"x(4:5: probe_allowed_cidrs[1]: "10.1.2.3/8" has host bits set (did you mean 10.0.0.0/8?))x"},
    {"invalid-port-negative.yaml",
     R"x(6:11: targets[0].port: "-25" is not an integer (1 to 65535))x"},
    {"invalid-port-not-integer.yaml",
     R"x(6:11: targets[0].port: "smtp" is not an integer (1 to 65535))x"},
    {"invalid-port-too-large.yaml",
     R"x(6:11: targets[0].port: "65536" is out of range (1 to 65535))x"},
    {"invalid-port-zero.yaml", R"x(6:11: targets[0].port: "0" is out of range (1 to 65535))x"},
    {"invalid-protocol-sequence.yaml",
     R"x(3:15: modules.mail.protocol: expected a protocol name, got a sequence)x"},
    {"invalid-scrape-timeout-margin.yaml",
     R"x(2:26: global.scrape_timeout_margin: "half a second" is not a duration (use units y, w, d, h, m, s, ms as in 500ms))x"},
    {"invalid-server-name-invalid.yaml",
     R"x(6:18: targets[0].server_name: "mx_1.example.com" is not a valid DNS name)x"},
    {"invalid-server-name-ip.yaml",
     R"x(6:18: targets[0].server_name: "192.0.2.25" is an IP address; server_name must be a DNS name (leave it out for servers that are known by address only))x"},
    {"invalid-server-name-trailing-dot.yaml",
     R"x(6:18: targets[0].server_name: "mx.example.com." is not a valid DNS name)x"},
    {"invalid-syntax.yaml", R"x(3:11: YAML syntax error: end of sequence flow not found)x"},
    {"invalid-target-scalar.yaml", R"x(4:5: targets[0]: expected a mapping, got a scalar)x"},
    {"invalid-targets-mapping.yaml",
     R"x(4:3: targets: expected a sequence of targets, got a mapping)x"},
    {"invalid-timeout-not-below-global-interval.yaml",
     R"x(6:5: targets[0]: the timeout 10s (global.timeout) must be shorter than the interval 10s (global.interval))x"},
    {"invalid-timeout-not-below-interval.yaml",
     R"x(7:15: targets[0].interval: the timeout 30s (modules.smtp_starttls.timeout) must be shorter than the interval 30s)x"},
    {"invalid-top-level-sequence.yaml",
     R"x(1:1: the top level must be a mapping with the keys global, modules, targets, dns and domains, got a sequence)x"},
    {"invalid-two-documents.yaml", R"x(6:1: the file holds more than one YAML document)x"},
    {"invalid-unknown-global-key.yaml",
     R"x(2:3: global.intervall: unknown key (expected one of: interval, timeout, concurrency, scrape_timeout_margin))x"},
    {"invalid-unknown-module-key.yaml",
     R"x(3:5: modules.smtp_starttls.protocl: unknown key (expected one of: protocol, timeout, ehlo_name, tls, source_address, metrics, certificate_file))x"},
    {"invalid-unknown-module.yaml",
     R"x(5:13: targets[0].module: unknown module "smtp" (defined: smtp_starttls))x"},
    {"invalid-unknown-protocol.yaml",
     R"x(3:15: modules.smtp_starttls.protocol: unknown protocol "imap4" (supported: smtp, submission, lmtp, imap, pop3, sieve))x"},
    {"invalid-unknown-target-key.yaml",
     R"x(6:5: targets[0].sni: unknown key (expected one of: address, port, module, server_name, interval, labels, certificate_file))x"},
    {"invalid-unknown-tls-key.yaml",
     R"x(4:7: modules.smtp_starttls.tls.ca: unknown key (expected one of: ca_file, mode, min_version, legacy_probe, handshake_per_key_type))x"},
    {"invalid-unknown-tls-mode.yaml",
     R"x(5:13: modules.imaps.tls.mode: unknown TLS mode "ssl" (supported: starttls, implicit: TLS right after connect))x"},
    {"invalid-unknown-top-key.yaml",
     R"x(6:1: target: unknown key (expected one of: global, modules, targets, probe_allowed_cidrs, dns, domains, hosts, mta_sts, tlsrpt))x"},
    {"invalid-zero-interval.yaml", R"x(6:15: targets[0].interval: must be greater than zero)x"},
    {"invalid-zero-timeout.yaml",
     R"x(3:14: modules.smtp_starttls.timeout: must be greater than zero)x"},
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::string load_error(const std::string& path) {
  try {
    load_config(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("each invalid config fails with its exact message") {
  for (const auto& c : kInvalid) {
    const std::string path = std::string(TEST_DATA_DIR) + "/" + c.file;
    CAPTURE(path);
    CHECK(load_error(path) == path + ":" + replace_all(c.message, "{dir}", TEST_DATA_DIR));
  }
}

TEST_CASE("every invalid-*.yaml data file is in the table") {
  std::set<std::string> listed;
  for (const auto& c : kInvalid) listed.insert(c.file);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TEST_DATA_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("invalid-")) continue;
    ++files;
    CAPTURE(name);
    CHECK(listed.contains(name));
  }
  CHECK(files == listed.size());
}

TEST_CASE("ConfigError splits its message into location, key and problem") {
  try {
    parse_config("global:\n  timeout: soon\n", "cfg.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.where().file == "cfg.yaml");
    CHECK(e.where().line == 2);
    CHECK(e.where().column == 12);
    CHECK(e.key() == "global.timeout");
    CHECK(e.problem() == "\"soon\" is not a duration (use units y, w, d, h, m, s, ms as in 1m30s)");
  }
  CHECK(SourceLocation{"a.yaml", 3, 7}.to_string() == "a.yaml:3:7");
  CHECK(SourceLocation{"a.yaml", 0, 0}.to_string() == "a.yaml");
  CHECK(std::string(ConfigError({"a.yaml", 0, 0}, "", "gone").what()) == "a.yaml: gone");
  CHECK(std::string(ConfigError({"a.yaml", 1, 2}, "k.x", "bad").what()) == "a.yaml:1:2: k.x: bad");
}

TEST_CASE("an unreadable config file is an error at line 0") {
  const std::string missing = std::string(TEST_DATA_DIR) + "/no-such-file.yaml";
  CHECK(load_error(missing) ==
        missing + ": cannot read the configuration file: No such file or directory");
  CHECK(load_error(TEST_DATA_DIR) ==
        std::string(TEST_DATA_DIR) + ": cannot read the configuration file: is a directory");
  try {
    load_config(missing);
  } catch (const ConfigError& e) {
    CHECK(e.where().line == 0);
    CHECK(e.key().empty());
  }
}

TEST_CASE("hostile scalars are escaped in messages") {
  const std::string text =
      std::string("modules: {m: }\ntargets:\n- {address: \"1.2.3.4\\0x\", module: m}\n");
  std::string message;
  try {
    parse_config(text, "h.yaml");
  } catch (const ConfigError& e) {
    message = e.what();
  }
  CHECK(message.starts_with("h.yaml:3:13: targets[0].address: \"1.2.3.4\\x00x\" is not"));
  CHECK(message.find('\n') == std::string::npos);

  // yaml-cpp's own messages quote input bytes; they are escaped too.
  try {
    parse_config("global: {interval: \"\\\r\"}\n", "y.yaml");
  } catch (const ConfigError& e) {
    message = e.what();
  }
  CHECK(message == "y.yaml:1:23: YAML syntax error: unknown escape character: \\x0d");

  // Long values are cut.
  try {
    parse_config(
        "modules: {m: }\ntargets:\n- {address: " + std::string(300, 'a') + ", module: m}\n",
        "l.yaml");
  } catch (const ConfigError& e) {
    message = e.what();
  }
  CHECK(message.starts_with("l.yaml:3:13: targets[0].address: \"" + std::string(64, 'a') +
                            "\"... is not"));
}

TEST_CASE("names that look valid but are not") {
  struct Case {
    const char* server_name;
    bool valid;
  };
  const Case cases[] = {{"mx1.example.com", true},      {"localhost", true}, {"a-b.c", true},
                        {"-a.example.com", false},      {"a..b", false},     {"1.2.3.4", false},
                        {"mx.example.123", false},      {"::1", false},      {"a b", false},
                        {"xn--bcher-kva.example", true}};
  for (const auto& c : cases) {
    CAPTURE(c.server_name);
    const std::string text = std::string(
                                 "modules: {m: }\ntargets:\n- {address: 192.0.2.1, "
                                 "module: m, server_name: \"") +
                             c.server_name + "\"}\n";
    bool ok = true;
    try {
      parse_config(text, "n.yaml");
    } catch (const ConfigError& e) {
      ok = false;
      CHECK(e.key() == "targets[0].server_name");
    }
    CHECK(ok == c.valid);
  }
}
