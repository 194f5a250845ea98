// fetch_policy against an in-process HTTPS server (the scripted test server speaking TLS at
// once, then HTTP) on loopback: every way RFC 8461 §3.3 says a fetch must fail, and the one
// way it succeeds.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <string>

#include "smtp_test_server.hpp"
#include "starttls_exporter/prober/policy_fetch.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kHost = "mta-sts.example.test";
constexpr const char* kPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";

const TestCa& ca() {
  static const TestCa instance("Policy Test Root CA");
  return instance;
}

IssuedCert policy_cert(CertSpec spec = {}) {
  spec.common_name = spec.dns_names.empty() ? kHost : spec.dns_names.front();
  if (spec.dns_names == CertSpec{}.dns_names) spec.dns_names = {kHost};
  return ca().issue(spec);
}

/// An HTTPS server answering every request with `reply` (or, when `reply` is empty, never).
SmtpServerOptions https_server(std::string reply, IssuedCert cert = policy_cert()) {
  SmtpServerOptions options;
  options.cert = std::move(cert);
  options.script = [reply](SmtpPeer& peer) {
    if (!peer.start_tls(true)) return;
    while (auto line = peer.read_line()) {
      if (*line == "\r\n" || *line == "\n") break;
    }
    if (reply.empty()) return peer.wait_for_close();
    peer.send(reply);
    if (peer.tls()) peer.tls()->bye();
    peer.close(false);
  };
  return options;
}

prober::PolicyFetch fetch_from(std::uint16_t port, std::chrono::milliseconds budget = 5s) {
  static const auto trust = tls::TrustStore::from_pem(ca().cert_pem(), "test CA");
  asio::io_context io;
  prober::PolicyFetch out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // A named spec: GCC 12 destroys a braced temporary coroutine argument twice.
        prober::PolicyFetchSpec spec{"127.0.0.1", port, kHost, trust};
        out = co_await prober::fetch_policy(std::move(spec),
                                            std::chrono::steady_clock::now() + budget);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return out;
}

std::string reply(const std::string& status, const std::string& headers, const std::string& body) {
  return "HTTP/1.1 " + status + "\r\n" + headers + "\r\n" + body;
}

}  // namespace

TEST_CASE("a 200 text/plain reply is the policy, fetched with SNI, Host and HTTP/1.0") {
  SmtpTestServer server(
      https_server(reply("200 OK",
                         "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                             std::to_string(std::string_view(kPolicy).size()) + "\r\n",
                         kPolicy)));
  const auto fetched = fetch_from(server.port());
  CHECK_MESSAGE(!fetched.failure, fetched.detail);
  CHECK(fetched.status == 200);
  CHECK(fetched.body == kPolicy);
  CHECK(fetched.cert_not_after.has_value());
  const auto lines = server.received();
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.front() == "GET /.well-known/mta-sts.txt HTTP/1.0");
  CHECK(std::find(lines.begin(), lines.end(), std::string("Host: ") + kHost) != lines.end());
}

TEST_CASE("without Content-Length the body runs to the end of the connection") {
  SmtpTestServer server(https_server(reply("200 OK", "Content-Type: text/plain\r\n", kPolicy)));
  const auto fetched = fetch_from(server.port());
  CHECK_MESSAGE(!fetched.failure, fetched.detail);
  CHECK(fetched.body == kPolicy);
}

TEST_CASE("a redirect, another status, or another media type is no policy") {
  struct Case {
    std::string reply;
    prober::FetchFailure failure;
  };
  for (const Case& c : {
           Case{reply("301 Moved", "Location: https://elsewhere.test/p\r\nContent-Length: 0\r\n",
                      ""),
                prober::FetchFailure::redirect},
           Case{reply("404 Not Found", "Content-Type: text/plain\r\n", "no"),
                prober::FetchFailure::http_status},
           Case{reply("200 OK", "Content-Type: text/html\r\n", kPolicy),
                prober::FetchFailure::content_type},
           Case{reply("200 OK", "", kPolicy), prober::FetchFailure::content_type},
           Case{reply("200 OK", "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
                      "0\r\n\r\n"),
                prober::FetchFailure::fetch_failed},
           Case{"not http at all\r\n\r\n", prober::FetchFailure::fetch_failed},
       }) {
    CAPTURE(c.reply);
    SmtpTestServer server(https_server(c.reply));
    const auto fetched = fetch_from(server.port());
    REQUIRE(fetched.failure);
    CHECK(*fetched.failure == c.failure);
  }
}

TEST_CASE("the body is bounded at 64 KiB") {
  const std::string exact(prober::kMaxPolicyBytes, 'x');
  SmtpTestServer fits(https_server(reply("200 OK", "Content-Type: text/plain\r\n", exact)));
  CHECK_FALSE(fetch_from(fits.port()).failure);
  SmtpTestServer over(https_server(reply("200 OK", "Content-Type: text/plain\r\n", exact + "x")));
  const auto fetched = fetch_from(over.port());
  REQUIRE(fetched.failure);
  CHECK(*fetched.failure == prober::FetchFailure::too_large);
}

TEST_CASE("the policy host's certificate must verify for mta-sts.DOMAIN") {
  CertSpec other;
  other.dns_names = {"www.example.test"};
  CertSpec expired;
  expired.not_before = std::chrono::system_clock::now() - 48h;
  expired.not_after = std::chrono::system_clock::now() - 24h;
  for (const auto& cert : {policy_cert(other), policy_cert(expired), make_self_signed([] {
                             CertSpec s;
                             s.common_name = kHost;
                             s.dns_names = {kHost};
                             return s;
                           }())}) {
    SmtpTestServer server(
        https_server(reply("200 OK", "Content-Type: text/plain\r\n", kPolicy), cert));
    const auto fetched = fetch_from(server.port());
    REQUIRE(fetched.failure);
    CHECK(*fetched.failure == prober::FetchFailure::cert_invalid);
    CHECK(fetched.cert_not_after.has_value());  // the expiry is still reported
    CHECK(fetched.body.empty());
  }
}

TEST_CASE("a server that accepts and never answers ends the fetch at its deadline") {
  SmtpServerOptions silent;
  silent.behaviour = SmtpBehaviour::silent;
  SmtpTestServer tls_silent(silent);
  auto fetched = fetch_from(tls_silent.port(), 500ms);
  REQUIRE(fetched.failure);
  CHECK(*fetched.failure == prober::FetchFailure::fetch_failed);
  CHECK(fetched.detail.find("timeout") != std::string::npos);
  CHECK(fetched.duration_seconds < 5.0);  // bounded by the deadline, not by the server
  SmtpTestServer http_silent(https_server(""));
  fetched = fetch_from(http_silent.port(), 500ms);
  REQUIRE(fetched.failure);
  CHECK(fetched.detail.find("timeout") != std::string::npos);
}
