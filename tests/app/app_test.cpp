#include <doctest/doctest.h>

#include <stdlib.h>
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "flags.hpp"
#include "runtime.hpp"
#include "starttls_exporter/config.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::app;
using namespace std::chrono_literals;

namespace {

using starttls_exporter::testing::TempDir;

config::Config two_module_config(const std::string& ca_file) {
  return config::parse_config(R"(
global:
  interval: 30s
  timeout: 5s
modules:
  custom:
    timeout: 3s
    ehlo_name: probe.example.net
    tls:
      ca_file: )" + ca_file + R"(
  system:
    protocol: smtp
targets:
  - address: 127.0.0.1
    port: 2525
    module: custom
    server_name: mx.test
    interval: 10s
    labels: {site: a}
  - address: "::1"
    module: system
)",
                              "test.yml");
}

}  // namespace

TEST_CASE("flags: both value forms, switches and defaults") {
  struct Case {
    std::vector<std::string> args;
    std::string config_file, listen_address;
    bool check, version, help;
    log::Level level;
  };
  const Case cases[] = {
      {{}, kDefaultConfigFile, kDefaultListenAddress, false, false, false, log::Level::info},
      {{"--config.file=a.yml"}, "a.yml", ":9725", false, false, false, log::Level::info},
      {{"--config.file", "b.yml", "--config.check"},
       "b.yml",
       ":9725",
       true,
       false,
       false,
       log::Level::info},
      {{"--web.listen-address=127.0.0.1:0", "--log.level", "debug"},
       kDefaultConfigFile,
       "127.0.0.1:0",
       false,
       false,
       false,
       log::Level::debug},
      {{"--web.listen-address", "[::1]:9725", "--version"},
       kDefaultConfigFile,
       "[::1]:9725",
       false,
       true,
       false,
       log::Level::info},
      {{"-h"}, kDefaultConfigFile, ":9725", false, false, true, log::Level::info},
      {{"--help", "--log.level=error"},
       kDefaultConfigFile,
       ":9725",
       false,
       false,
       true,
       log::Level::error},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args.size());
    const Flags flags = parse_flags(c.args);
    CHECK(flags.config_file == c.config_file);
    CHECK(flags.listen_address == c.listen_address);
    CHECK(flags.config_check == c.check);
    CHECK(flags.version == c.version);
    CHECK(flags.help == c.help);
    CHECK(flags.log_level == c.level);
  }
}

TEST_CASE("flags: unknown flags and missing or bad values are errors") {
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus"},
      {"config.yml"},
      {"--config.file"},
      {"--config.file="},
      {"--log.level=verbose"},
      {"--version=yes"},
      {"--web.listen-address"},
  };
  for (const auto& args : bad) {
    CAPTURE(args.front());
    CHECK_THROWS_AS(parse_flags(args), FlagError);
  }
  CHECK(usage().find("--config.file") != std::string::npos);
  CHECK(usage().find(kDefaultConfigFile) != std::string::npos);
}

TEST_CASE("build_targets maps the configuration to scheduled targets") {
  TempDir dir;
  testing::TestCa ca;
  const auto ca_file = dir.file("ca.pem", ca.cert_pem());
  const auto config = two_module_config(ca_file);
  TrustCache trust;
  const auto targets = build_targets(config, trust);
  REQUIRE(targets.size() == 2);
  const auto& custom = targets[0];
  CHECK(custom.info.key == config.targets[0].key());
  CHECK(custom.info.endpoint == "127.0.0.1:2525");
  CHECK(custom.info.module == "custom");
  CHECK(custom.info.labels.at("site") == "a");
  CHECK(custom.spec.address == "127.0.0.1");
  CHECK(custom.spec.port == 2525);
  CHECK(custom.spec.server_name == "mx.test");
  CHECK(custom.spec.ehlo_name == "probe.example.net");
  CHECK(custom.interval == 10s);
  CHECK(custom.timeout == 3s);
  const auto& system = targets[1];
  CHECK(system.info.endpoint == "[::1]:25");
  CHECK(system.interval == 30s);
  CHECK(system.timeout == 5s);
  REQUIRE(custom.spec.trust != nullptr);
  REQUIRE(system.spec.trust != nullptr);
  CHECK(custom.spec.trust != system.spec.trust);  // one store per distinct ca_file
}

TEST_CASE("TrustCache reuses a store while its file's bytes are unchanged") {
  TempDir dir;
  testing::TestCa first("First CA");
  testing::TestCa second("Second CA");
  const auto ca_file = dir.file("ca.pem", first.cert_pem());
  TrustCache trust;
  const auto a = build_targets(two_module_config(ca_file), trust);
  const auto b = build_targets(two_module_config(ca_file), trust);
  CHECK(a[0].spec.trust == b[0].spec.trust);  // a reload keeps the target unchanged
  CHECK(a[1].spec.trust == b[1].spec.trust);  // the system store is built once
  dir.file("ca.pem", second.cert_pem());
  const auto c = build_targets(two_module_config(ca_file), trust);
  CHECK(c[0].spec.trust != a[0].spec.trust);  // new bytes, new store
}

TEST_CASE("a CA file that is not PEM is reported at its config location") {
  TempDir dir;
  const auto ca_file = dir.file("garbage.pem", "this is not a certificate\n");
  const auto config = two_module_config(ca_file);
  TrustCache trust;
  try {
    build_targets(config, trust);
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    CHECK(e.key() == "modules.custom.tls.ca_file");
    CHECK(e.where().file == "test.yml");
    CHECK(e.where().line == 10);
    CHECK(std::string(e.what()).rfind("test.yml:10:", 0) == 0);
    CHECK(std::string(e.what()).find("modules.custom.tls.ca_file: ") != std::string::npos);
  }
}
