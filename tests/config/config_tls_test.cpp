// Module keys for TLS policy, addresses and series: tls.min_version, tls.legacy_probe,
// source_address, metrics, and IPv6 targets.
#include <doctest/doctest.h>

#include <string>

#include "starttls_exporter/config/config.hpp"
#include "temp_dir.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::config;

namespace {

// One module "m" with `module_body` (indented 4), one target with `address`.
std::string config_text(const std::string& module_body, const std::string& address = "192.0.2.1") {
  return "modules:\n"
         "  m:\n"
         "    protocol: smtp\n" +
         module_body +
         "targets:\n"
         "  - address: \"" +
         address + "\"\n    module: m\n";
}

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "cfg.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("tls.min_version takes the exporter toolkit's spellings") {
  struct Case {
    const char* text;
    TlsVersion want;
  };
  for (const Case c : {Case{"TLS10", TlsVersion::tls1_0}, Case{"TLS11", TlsVersion::tls1_1},
                       Case{"TLS12", TlsVersion::tls1_2}, Case{"TLS13", TlsVersion::tls1_3}}) {
    CAPTURE(c.text);
    const Config config =
        parse_config(config_text(std::string("    tls: {min_version: ") + c.text + "}\n"), "c");
    REQUIRE(config.modules.at("m").tls.min_version.has_value());
    CHECK(*config.modules.at("m").tls.min_version == c.want);
  }
  const Config plain = parse_config(config_text(""), "c");
  CHECK_FALSE(plain.modules.at("m").tls.min_version.has_value());
  CHECK_FALSE(plain.modules.at("m").tls.legacy_probe);
  CHECK(plain.modules.at("m").source_address.empty());
}

TEST_CASE("tls.legacy_probe is a boolean") {
  const Config on = parse_config(config_text("    tls: {legacy_probe: true}\n"), "c");
  CHECK(on.modules.at("m").tls.legacy_probe);
  const Config off = parse_config(config_text("    tls: {legacy_probe: false}\n"), "c");
  CHECK_FALSE(off.modules.at("m").tls.legacy_probe);
}

TEST_CASE("source_address is canonicalized and IPv6 targets are accepted") {
  const Config v4 = parse_config(config_text("    source_address: 127.0.0.2\n"), "c");
  CHECK(v4.modules.at("m").source_address == "127.0.0.2");
  const Config v6 = parse_config(config_text("    source_address: \"0:0::1\"\n", "::1"), "c");
  CHECK(v6.modules.at("m").source_address == "::1");
  REQUIRE(v6.targets.size() == 1);
  CHECK(v6.targets[0].address == "::1");
  CHECK(v6.targets[0].endpoint() == "[::1]:25");
}

TEST_CASE("bad TLS policy and address settings name file, line and key") {
  struct Case {
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {config_text("    tls: {min_version: \"1.2\"}\n"),
       "cfg.yaml:4:24: modules.m.tls.min_version: unknown TLS version \"1.2\" (supported: TLS10, "
       "TLS11, TLS12, TLS13)"},
      {config_text("    tls: {legacy_probe: yes}\n"),
       "cfg.yaml:4:25: modules.m.tls.legacy_probe: expected true or false, got \"yes\""},
      {config_text("    source_address: mx.example.com\n"),
       "cfg.yaml:4:21: modules.m.source_address: \"mx.example.com\" is not an IPv4 or IPv6 "
       "address"},
      {config_text("    source_address: 127.0.0.2\n", "2001:db8::25"),
       "cfg.yaml:6:14: targets[0].address: 2001:db8::25 is IPv6 but module m's source_address "
       "127.0.0.2 (cfg.yaml:4:21) is IPv4: a probe cannot bind one and connect to the other"},
      {config_text("    source_address: \"::1\"\n", "127.0.0.1"),
       "cfg.yaml:6:14: targets[0].address: 127.0.0.1 is IPv4 but module m's source_address ::1 "
       "(cfg.yaml:4:21) is IPv6: a probe cannot bind one and connect to the other"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(error_of(c.text) == c.want);
  }
}

TEST_CASE("metrics: optional series groups are off unless a module turns them on") {
  const MetricsSettings plain = parse_config(config_text(""), "c").modules.at("m").metrics;
  CHECK(plain == MetricsSettings{});
  CHECK_FALSE(plain.phase_durations);
  CHECK_FALSE(plain.chain_certificates);
  CHECK_FALSE(plain.tls_details);
  const MetricsSettings on =
      parse_config(config_text("    metrics:\n      phase_durations: true\n"
                               "      chain_certificates: true\n      tls_details: true\n"),
                   "c")
          .modules.at("m")
          .metrics;
  CHECK(on == MetricsSettings::all());
  const MetricsSettings one =
      parse_config(config_text("    metrics: {chain_certificates: true}\n"), "c")
          .modules.at("m")
          .metrics;
  CHECK(one == MetricsSettings{false, true, false});
  CHECK(parse_config(config_text("    metrics:\n"), "c").modules.at("m").metrics ==
        MetricsSettings{});
  CHECK(error_of(config_text("    metrics: {phase_durations: 1}\n")) ==
        "cfg.yaml:4:32: modules.m.metrics.phase_durations: expected true or false, got \"1\"");
  CHECK(error_of(config_text("    metrics: {chain: true}\n")) ==
        "cfg.yaml:4:15: modules.m.metrics.chain: unknown key (expected one of: phase_durations, "
        "chain_certificates, tls_details)");
}

TEST_CASE("certificate_file: a path or a glob, certificates only, the target's over the module's") {
  const testing::TempDir dir;
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  dir.file("fullchain.pem", pem);
  dir.file("imap.pem", pem);
  dir.file("combined.pem", pem +
                               "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC "
                               "PRIVATE KEY-----\n");
  dir.file("empty.pem", "");
  const std::string file = (dir.path / "cfg.yaml").string();
  const auto text = [](const std::string& module_file, const std::string& target_file) {
    return "modules:\n  m:\n    certificate_file: " + module_file +
           "\ntargets:\n  - {address: 192.0.2.1, module: m}\n"
           "  - {address: 192.0.2.2, module: m, certificate_file: " +
           target_file + "}\n";
  };
  const Config config = parse_config(text("fullchain.pem", "'i*.pem'"), file);
  CHECK(config.modules.at("m").certificate_file.pattern == (dir.path / "fullchain.pem").string());
  CHECK(config.targets[0].certificate_file.pattern == (dir.path / "fullchain.pem").string());
  CHECK(config.targets[1].certificate_file.pattern == (dir.path / "i*.pem").string());
  const auto error = [&](const std::string& yaml) {
    try {
      parse_config(yaml, file);
    } catch (const ConfigError& e) {
      return std::string(e.what()).substr(file.size());
    }
    return std::string("(no error)");
  };
  CHECK(error(text("combined.pem", "imap.pem")) ==
        ":3:23: modules.m.certificate_file: \"" + (dir.path / "combined.pem").string() +
            "\" holds a private key: the exporter reads certificates only; name the certificate "
            "file (fullchain.pem), not the key or a combined file");
  CHECK(error(text("fullchain.pem", "nothing-*.pem")) == ":6:55: targets[1].certificate_file: \"" +
                                                             (dir.path / "nothing-*.pem").string() +
                                                             "\" matches no file");
  CHECK(error(text("empty.pem", "imap.pem")) == ":3:23: modules.m.certificate_file: \"" +
                                                    (dir.path / "empty.pem").string() +
                                                    "\" holds no PEM certificate");
  CHECK(error(text("''", "imap.pem")) ==
        ":3:23: modules.m.certificate_file: must not be empty (leave it out when there is no "
        "file)");
}
