// app::Exporter, the object main() runs: start, /config, TLS on the web port, stop.
#include <doctest/doctest.h>

#include <string>

#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "https_client.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/web/web.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;

namespace {

constexpr const char* kConfig = "# served as written\nglobal:\n  interval: 1h\ntargets: []\n";

}  // namespace

TEST_CASE("the exporter serves /metrics and the parsed config text, then stops cleanly") {
  TempDir dir;
  const auto path = dir.file("exporter.yml", kConfig);
  app::Exporter exporter(local_exporter(path));
  CHECK_FALSE(exporter.tls());
  const HttpReply config = get(exporter.port(), "/config");
  CHECK(config.status == 200);
  CHECK(config.body == kConfig);
  dir.file("exporter.yml", "changed on disk after the load\n");
  CHECK(get(exporter.port(), "/config").body == kConfig);  // not read a second time
  const HttpReply metrics = get(exporter.port(), "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("starttls_exporter_build_info") != std::string::npos);
  CHECK(exporter.stop());
  CHECK(exporter.stop());  // idempotent
}

TEST_CASE("with tls_server_config the exporter's port speaks TLS, through the gate") {
  TempDir dir;
  const testing::TestCa ca;
  const auto leaf = ca.issue({});
  const auto web_config =
      dir.file("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: key.pem\n");
  dir.file("server.pem", leaf.chain_pem);
  dir.file("key.pem", leaf.key_pem);
  auto options = local_exporter(dir.file("exporter.yml", kConfig));
  options.web = web::load_web_security(web_config);
  app::Exporter exporter(std::move(options));
  CHECK(exporter.tls());
  const auto trust = tls::TrustStore::from_pem(ca.cert_pem(), "test CA");
  const std::string answer = https_get(exporter.port(), trust, "mx.test", "/config");
  CAPTURE(answer);
  CHECK(answer.starts_with("HTTP/1.0 200"));
  CHECK(answer.ends_with(kConfig));
  // Plain HTTP on the TLS port gets no page.
  CHECK(get(exporter.port(), "/config").status == 0);
}

TEST_CASE("a bad configuration fails construction and leaves nothing running") {
  TempDir dir;
  const auto path = dir.file("bad.yml", "global:\n  interval: -1s\n");
  CHECK_THROWS_AS(app::Exporter(local_exporter(path)), config::ConfigError);
}
