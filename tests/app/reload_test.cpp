// POST /-/reload end to end: the target set changes at once, unchanged targets keep their
// state, an invalid file keeps the running configuration.

#include <doctest/doctest.h>

#include <string>

#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "smtp_test_server.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

std::string target_yaml(int port) {
  return "  - {address: 127.0.0.1, port: " + std::to_string(port) +
         ", module: smtp, interval: 2s}\n";
}

std::string config_yaml(std::initializer_list<int> ports) {
  std::string yaml = "modules:\n  smtp:\n    timeout: 1s\ntargets:\n";
  for (int port : ports) yaml += target_yaml(port);
  return yaml;
}

std::string series_of(int port) {
  return "probe_last_run_timestamp_seconds{target=\"127.0.0.1:" + std::to_string(port) + "\"";
}

testing::SmtpServerOptions no_starttls() {
  testing::SmtpServerOptions options;
  options.behaviour = testing::SmtpBehaviour::no_starttls;
  return options;
}

}  // namespace

TEST_CASE("POST /-/reload: removed targets vanish at once, unchanged ones keep their state") {
  TempDir dir;
  testing::SmtpTestServer keep{no_starttls()};
  testing::SmtpTestServer gone{no_starttls()};
  testing::SmtpTestServer added{no_starttls()};
  const std::string path = dir.file("config.yml", config_yaml({keep.port(), gone.port()}));
  app::Exporter exporter(local_exporter(path));
  const int port = exporter.port();

  // Both targets have a result; then wait for keep's next probe, so its following one is
  // about 2 s away and cannot land between the two scrapes compared below.
  std::string metrics;
  REQUIRE(eventually(
      [&] {
        metrics = get(port, "/metrics").body;
        return sample(metrics, series_of(keep.port())) && sample(metrics, series_of(gone.port()));
      },
      kSettleDeadline));
  const double first_run = *sample(metrics, series_of(keep.port()));
  REQUIRE(eventually(
      [&] {
        metrics = get(port, "/metrics").body;
        return sample(metrics, series_of(keep.port())) != first_run;
      },
      kSettleDeadline));
  const double last_run = *sample(metrics, series_of(keep.port()));
  CHECK(sample(metrics, "starttls_exporter_config_last_reload_successful") == 1.0);

  dir.file("config.yml", config_yaml({keep.port(), added.port()}));
  const auto reloaded = request(port, "POST", "/-/reload");
  CHECK(reloaded.status == 200);
  metrics = get(port, "/metrics").body;
  CHECK_FALSE(sample(metrics, series_of(gone.port())));
  CHECK(metrics.find(":" + std::to_string(gone.port()) + "\"") == std::string::npos);
  CHECK(sample(metrics, series_of(keep.port())) == last_run);  // state kept, not reset
  CHECK(sample(metrics, "starttls_exporter_targets") == 2.0);
  // The new target starts within its jitter (under one interval).
  CHECK(eventually([&] { return sample(get(port, "/metrics").body, series_of(added.port())); },
                   kSettleDeadline));
}

TEST_CASE("an invalid file keeps the running configuration and reports file:line") {
  TempDir dir;
  testing::SmtpTestServer keep{no_starttls()};
  const std::string path = dir.file("config.yml", config_yaml({keep.port()}));
  app::Exporter exporter(local_exporter(path));
  const int port = exporter.port();
  const double success_time = *sample(
      get(port, "/metrics").body, "starttls_exporter_config_last_reload_success_timestamp_seconds");
  CHECK(success_time > 0);

  dir.file("config.yml",
           "modules:\n  smtp: {}\ntargets:\n  - address: 127.0.0.256\n    module: smtp\n");
  const auto failed = request(port, "POST", "/-/reload");
  CHECK(failed.status == 500);
  CHECK(failed.body.find(path + ":4:") != std::string::npos);
  const auto metrics = get(port, "/metrics").body;
  CHECK(sample(metrics, "starttls_exporter_config_last_reload_successful") == 0.0);
  CHECK(sample(metrics, "starttls_exporter_config_last_reload_success_timestamp_seconds") ==
        success_time);
  CHECK(sample(metrics, "starttls_exporter_targets") == 1.0);  // still running the old one
  CHECK(get(port, "/config").body.find(std::to_string(keep.port())) != std::string::npos);

  const auto wrong_method = get(port, "/-/reload");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers.at("allow").find("POST") != std::string::npos);

  dir.file("config.yml", config_yaml({keep.port()}));
  CHECK(request(port, "POST", "/-/reload").status == 200);
  CHECK(sample(get(port, "/metrics").body, "starttls_exporter_config_last_reload_successful") ==
        1.0);
}
