#include <doctest/doctest.h>

#include <stdlib.h>
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::runtime;
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
    metrics: {phase_durations: true}
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

TEST_CASE("prepare maps the configuration to scheduled targets") {
  TempDir dir;
  testing::TestCa ca;
  const auto ca_file = dir.file("ca.pem", ca.cert_pem());
  const auto config = two_module_config(ca_file);
  TrustCache trust;
  const auto targets = prepare(config, trust).targets;
  REQUIRE(targets.size() == 2);
  const auto& custom = *targets[0];
  CHECK(custom.info.key == config.targets[0].key());
  CHECK(custom.info.endpoint == "127.0.0.1:2525");
  CHECK(custom.info.module == "custom");
  CHECK(custom.info.labels.at("site") == "a");
  CHECK(custom.info.series == config::MetricsSettings{});
  CHECK(custom.spec.address == "127.0.0.1");
  CHECK(custom.spec.port == 2525);
  CHECK(custom.spec.server_name == "mx.test");
  CHECK(custom.spec.ehlo_name == "probe.example.net");
  CHECK(custom.interval == 10s);
  CHECK(custom.timeout == 3s);
  const auto& system = *targets[1];
  CHECK(system.info.endpoint == "[::1]:25");
  CHECK(system.info.series == config::MetricsSettings{true, false, false});
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
  const auto a = prepare(two_module_config(ca_file), trust).targets;
  const auto b = prepare(two_module_config(ca_file), trust).targets;
  CHECK(a[0]->spec.trust == b[0]->spec.trust);  // a reload keeps the target unchanged
  CHECK(a[1]->spec.trust == b[1]->spec.trust);  // the system store is built once
  dir.file("ca.pem", second.cert_pem());
  const auto c = prepare(two_module_config(ca_file), trust).targets;
  CHECK(c[0]->spec.trust != a[0]->spec.trust);  // new bytes, new store
}

TEST_CASE("a CA file that is not PEM is reported at its config location") {
  TempDir dir;
  const auto ca_file = dir.file("garbage.pem", "this is not a certificate\n");
  const auto config = two_module_config(ca_file);
  TrustCache trust;
  try {
    prepare(config, trust);
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    CHECK(e.key() == "modules.custom.tls.ca_file");
    CHECK(e.where().file == "test.yml");
    CHECK(e.where().line == 10);
    CHECK(std::string(e.what()).rfind("test.yml:10:", 0) == 0);
    CHECK(std::string(e.what()).find("modules.custom.tls.ca_file: ") != std::string::npos);
  }
}

TEST_CASE("a CA file is read once, by the loader: the store is built from those bytes") {
  TempDir dir;
  testing::TestCa ca;
  const auto ca_file = dir.file("ca.pem", ca.cert_pem());
  const auto config = two_module_config(ca_file);
  CHECK(config.modules.at("custom").tls.ca_pem == ca.cert_pem());
  std::filesystem::remove(ca_file);  // gone after the load: nothing may open it again
  TrustCache trust;
  const auto loaded = prepare(config, trust);
  REQUIRE(loaded.targets.size() == 2);
  CHECK(loaded.targets[0]->spec.trust != nullptr);
  CHECK(loaded.trust_by_module.at("custom") == loaded.targets[0]->spec.trust);
}

TEST_CASE("the parsed text is the text /config serves") {
  TempDir dir;
  const std::string text = "# comment kept\ntargets: []\n";
  const auto path = dir.file("exporter.yml", text);
  TrustCache trust;
  CHECK(load(path, trust).config.source_text == text);
}

TEST_CASE("a reload through a TargetCache hands on the running objects of unchanged targets") {
  TempDir dir;
  testing::TestCa ca;
  const auto ca_file = dir.file("ca.pem", ca.cert_pem());
  TrustCache trust;
  TargetCache cache;
  const auto first = prepare(two_module_config(ca_file), trust, {}, &cache).targets;
  const auto same = prepare(two_module_config(ca_file), trust, {}, &cache).targets;
  REQUIRE(same.size() == 2);
  CHECK(same[0].get() == first[0].get());  // one object in memory, not a copy per load
  CHECK(same[1].get() == first[1].get());

  // A changed label is a new object (the scheduler keeps the slot: same schedule), and so is a
  // changed interval; the unchanged second target stays shared.
  auto changed = two_module_config(ca_file);
  changed.targets[0].labels["site"] = "b";
  const auto relabelled = prepare(changed, trust, {}, &cache).targets;
  CHECK(relabelled[0].get() != same[0].get());
  CHECK(relabelled[0]->info.labels.at("site") == "b");
  CHECK(relabelled[1].get() == same[1].get());
  changed.targets[1].interval = 20s;
  const auto retimed = prepare(changed, trust, {}, &cache).targets;
  CHECK(retimed[0].get() == relabelled[0].get());
  CHECK(retimed[1].get() != relabelled[1].get());
  CHECK(retimed[1]->interval == 20s);

  // Without a cache every load builds its own objects.
  const auto uncached = prepare(two_module_config(ca_file), trust).targets;
  CHECK(uncached[0].get() != first[0].get());
}
