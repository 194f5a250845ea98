// /probe end to end: the exporter in-process against loopback SMTP test servers.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
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

/// A listening TCP socket on 127.0.0.1 that nobody accepts from: it tells whether anyone
/// connected (a completed handshake is queued even without accept).
struct Listener {
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd); }
  bool connected_within(std::chrono::milliseconds wait) const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
  }
  int fd = -1;
  int port = 0;
};

testing::SmtpServerOptions options(testing::SmtpBehaviour behaviour) {
  testing::SmtpServerOptions options;
  options.behaviour = behaviour;
  return options;
}

struct Fixture {
  TempDir dir;
  testing::TestCa ca;
  testing::SmtpTestServer good{[this] {
    auto o = options(testing::SmtpBehaviour::normal);
    o.cert = ca.issue({});
    return o;
  }()};
  testing::SmtpTestServer silent{options(testing::SmtpBehaviour::silent)};
  testing::SmtpTestServer hostile{[] {
    testing::SmtpServerOptions o;
    o.script = [](testing::SmtpPeer& peer) {
      peer.send("554 <script>alert('owned')</script> & \"quotes\"\r\n");
      peer.wait_for_close();
    };
    return o;
  }()};
  std::string config_path;

  Fixture() {
    ca.write_cert_pem((dir.path / "ca.pem").string());
    config_path = dir.file("config.yml", R"(
modules:
  tls:
    timeout: 2s
    tls: {ca_file: ca.pem}
  slow:
    timeout: 10s
  fast:
    timeout: 500ms
targets:
  - {address: 127.0.0.1, port: )" + std::to_string(good.port()) +
                                             R"(, module: tls, server_name: mx.test, interval: 1h}
  - {address: 127.0.0.1, port: )" + std::to_string(silent.port()) +
                                             R"(, module: slow, interval: 1h}
  - {address: 127.0.0.1, port: )" + std::to_string(hostile.port()) +
                                             R"(, module: fast, interval: 1s}
probe_allowed_cidrs: ["::1/128", 192.0.2.0/24]
)");
  }
};

std::string probe_path(int port, const std::string& module, const std::string& extra = "") {
  return "/probe?target=127.0.0.1:" + std::to_string(port) + "&module=" + module + extra;
}

}  // namespace

TEST_CASE("/probe answers with the probe's series only, server_name from the target") {
  Fixture f;
  app::Exporter exporter(local_exporter(f.config_path));
  const auto reply = get(exporter.port(), probe_path(f.good.port(), "tls"));
  REQUIRE(reply.status == 200);
  CHECK(reply.headers.at("content-type").find("version=0.0.4") != std::string::npos);
  CHECK(sample(reply.body, "probe_success") == 1.0);
  CHECK(sample(reply.body, "probe_ssl_cert_verified") == 1.0);  // mx.test matched
  CHECK(reply.body.find("target=") == std::string::npos);
  CHECK(reply.body.find("module=") == std::string::npos);
  CHECK(reply.body.find("starttls_exporter_") == std::string::npos);

  // An explicit server_name replaces the configured one.
  const auto other =
      get(exporter.port(), probe_path(f.good.port(), "tls", "&server_name=other.test"));
  CHECK(sample(other.body, "probe_success") == 0.0);
  CHECK(sample(other.body, "probe_ssl_cert_verify_error_info{reason=\"cert_hostname_mismatch\"}") ==
        1.0);
}

TEST_CASE("/probe?debug=true returns the transcript and the outcome as text") {
  Fixture f;
  app::Exporter exporter(local_exporter(f.config_path));
  const auto reply = get(exporter.port(), probe_path(f.good.port(), "tls", "&debug=true"));
  REQUIRE(reply.status == 200);
  CHECK(reply.headers.at("content-type") == "text/plain; charset=utf-8");
  // The probe command's report (src/report): the same sections as `starttls_exporter probe`.
  CHECK(reply.body.find("Result: SUCCESS") != std::string::npos);
  CHECK(reply.body.find("Dialogue:") != std::string::npos);
  CHECK(reply.body.find("Chain as sent (") != std::string::npos);
  CHECK(reply.body.find("EHLO") != std::string::npos);
  CHECK(reply.body.find("STARTTLS") != std::string::npos);
  CHECK(reply.body.find("probe_success 1") != std::string::npos);
}

TEST_CASE("/probe refuses what is not allowed without connecting, and rejects bad requests") {
  Fixture f;
  app::Exporter exporter(local_exporter(f.config_path));
  Listener listener;  // 127.0.0.1 is configured, but not with this port; no CIDR covers it
  const auto refused = get(exporter.port(), probe_path(listener.port, "tls"));
  CHECK(refused.status == 403);
  CHECK(refused.body.find("not allowed") != std::string::npos);
  CHECK(refused.body.find('\n') == refused.body.size() - 1);  // one line
  CHECK_FALSE(listener.connected_within(300ms));

  struct Case {
    std::string query;
    int status;
    std::string message;
  };
  const Case cases[] = {
      {"target=127.0.0.1:" + std::to_string(f.good.port()) + "&module=nope", 400, "unknown module"},
      {"target=127.0.0.1:" + std::to_string(f.good.port()), 400, "missing module"},
      {"module=tls", 400, "missing target"},
      {"target=mx.example.com&module=tls", 400, "names are not resolved"},
      {"target=127.0.0.1:0&module=tls", 400, "port"},
      {"target=127.0.0.1:99999&module=tls", 400, "port"},
      {"target=%5B::1&module=tls", 400, "malformed target"},
      {"target=127.0.0.1:" + std::to_string(f.good.port()) + "&module=tls&server_name=a%20b", 400,
       "invalid server_name"},
      {"target=127.0.0.1:" + std::to_string(f.good.port()) + "&module=tls&server_name=mail.123",
       400, "the last label is all digits"},
      {"target=10.0.0.1:25&module=tls", 403, "not allowed"},
      {"target=[::2]:25&module=tls", 403, "not allowed"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.query);
    const auto reply = get(exporter.port(), "/probe?" + c.query);
    CHECK(reply.status == c.status);
    CHECK(reply.body.find(c.message) != std::string::npos);
  }
  CHECK(request(exporter.port(), "POST", probe_path(f.good.port(), "tls")).status == 405);
}

TEST_CASE("/probe honours X-Prometheus-Scrape-Timeout-Seconds minus the margin") {
  Fixture f;
  app::Exporter exporter(local_exporter(f.config_path));
  // Module timeout 10 s; Prometheus allows 1.5 s; the default margin is 0.5 s.
  const auto start = std::chrono::steady_clock::now();
  const auto reply = get(exporter.port(), probe_path(f.silent.port(), "slow"),
                         "X-Prometheus-Scrape-Timeout-Seconds: 1.5\r\n");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(reply.status == 200);
  CHECK(sample(reply.body, "probe_success") == 0.0);
  CHECK(sample(reply.body, "probe_failure_info{phase=\"banner\",reason=\"timeout\"}") == 1.0);
  CHECK(elapsed >= 900ms);
  CHECK(elapsed < 2000ms);  // the 1 s deadline plus slack, far from the module's 10 s
}

TEST_CASE("the landing page escapes hostile server text and links /metrics and /config") {
  Fixture f;
  app::Exporter exporter(local_exporter(f.config_path));
  // The hostile target is probed every second; wait for its result to reach the page.
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = get(exporter.port(), "/").body;
        return page.find("rejected_permanent") != std::string::npos;
      },
      kSettleDeadline));
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;") !=
        std::string::npos);
  CHECK(page.find("href=\"metrics\"") != std::string::npos);
  CHECK(page.find("href=\"config\"") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);  // no JavaScript at all

  const auto config = get(exporter.port(), "/config");
  CHECK(config.status == 200);
  CHECK(config.body.find("probe_allowed_cidrs") != std::string::npos);
  CHECK(get(exporter.port(), "/-/ready").status == 200);
  CHECK(get(exporter.port(), "/-/healthy").status == 200);
}
