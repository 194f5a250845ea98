// tls::Terminator in front of http::Server, in-process on loopback: the relay and the real
// client address, direct connections to the plaintext port refused, the connection limit,
// the handshake timeout, a prompt stop(), and refused settings.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "http_client.hpp"
#include "https_client.hpp"
#include "starttls_exporter/http_server.hpp"
#include "starttls_exporter/tls_client.hpp"
#include "terminator.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

/// A server certificate for mx.test, a client trust store for it, and the HTTP server with
/// the terminator in front: the terminator's own contract (admit, the real client address).
/// The same pair as the exporter wires it is tested through app::Exporter (tests/app).
struct Fixture {
  explicit Fixture(tls::TerminatorLimits limits = {}) {
    const testing::TestCa ca;
    const auto leaf = ca.issue({});
    settings.cert = {dir.file("server.pem", leaf.chain_pem), leaf.chain_pem};
    settings.key = {dir.file("server-key.pem", leaf.key_pem), leaf.key_pem};
    trust = tls::TrustStore::from_pem_file(dir.file("ca.pem", ca.cert_pem()));
    terminator = std::make_unique<tls::Terminator>("127.0.0.1:0", settings, limits);
    http::Routes routes;
    routes["/who"] = [](const http::Request& r) {
      http::Response response;
      response.body = r.remote_address;
      return response;
    };
    http::ServerOptions options;
    options.admit = [t = terminator.get()](const std::string& ip, int port) {
      return t->client_of(ip, port);
    };
    server = std::make_unique<http::Server>("127.0.0.1:0", routes, options);
    terminator->start(server->port());
  }
  ~Fixture() {
    terminator->stop();
    server.reset();
  }

  TempDir dir;
  tls::ServerSettings settings;
  std::shared_ptr<const tls::TrustStore> trust;
  std::unique_ptr<tls::Terminator> terminator;
  std::unique_ptr<http::Server> server;
};

/// GET `path` over TLS from the terminator; the raw answer, "" when the handshake failed.
std::string https_get(const Fixture& f, const std::string& path) {
  return testing::https_get(f.terminator->port(), f.trust, "mx.test", path);
}

/// A plain TCP connection to 127.0.0.1:port that sends nothing.
int connect_silent(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

/// Whether the peer closed `fd` within `timeout` (EOF or reset).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

}  // namespace

TEST_CASE("the terminator relays HTTPS to the HTTP server, which sees the real client") {
  Fixture f;
  const std::string answer = https_get(f, "/who");
  CHECK(answer.starts_with("HTTP/1.0 200 "));
  CHECK(answer.ends_with("\r\n\r\n127.0.0.1"));
  // The plaintext port serves nothing to a connection the terminator did not open.
  const auto direct = get(f.server->port(), "/who");
  CHECK(direct.status == 403);
  CHECK(direct.body == "403 Forbidden: connect through the TLS port\n");
  CHECK_FALSE(f.terminator->client_of("127.0.0.1", f.server->port()));
  CHECK_FALSE(f.terminator->client_of("192.0.2.1", 1));
}

TEST_CASE("a handshake that never starts is closed by the handshake timeout") {
  Fixture f({.handshake_timeout = 300ms});
  const int fd = connect_silent(f.terminator->port());
  const auto started = Clock::now();
  CHECK(closed_within(fd, 300ms + 2s));
  CHECK(Clock::now() - started >= 250ms);  // not at once: the timeout closed it
  ::close(fd);
  CHECK(https_get(f, "/who").starts_with("HTTP/1.0 200 "));
}

TEST_CASE("connections beyond max_connections are closed at once; freed slots are reused") {
  Fixture f({.handshake_timeout = 30s, .max_connections = 2});
  const int first = connect_silent(f.terminator->port());
  const int second = connect_silent(f.terminator->port());
  const int third = connect_silent(f.terminator->port());
  CHECK(closed_within(third, 5s));  // long before the 30 s handshake timeout
  CHECK_FALSE(closed_within(first, 0ms));
  CHECK_FALSE(closed_within(second, 0ms));
  ::close(third);
  ::close(first);
  ::close(second);
  CHECK(eventually([&] { return https_get(f, "/who").starts_with("HTTP/1.0 200 "); }, 5s));
}

TEST_CASE("stop() ends open connections promptly") {
  Fixture f({.handshake_timeout = 60s, .idle_timeout = 60s});
  const int fd = connect_silent(f.terminator->port());
  REQUIRE_FALSE(closed_within(fd, 100ms));
  const auto started = Clock::now();
  f.terminator->stop();
  CHECK(Clock::now() - started < 5s);  // far below the 60 s deadlines it would otherwise wait
  CHECK(closed_within(fd, 1s));
  ::close(fd);
}

TEST_CASE("settings the terminator refuses") {
  TempDir dir;
  const testing::TestCa ca;
  const auto leaf = ca.issue({});
  tls::ServerSettings good;
  good.cert = {dir.file("s.pem", leaf.cert_pem), leaf.cert_pem};
  good.key = {dir.file("k.pem", leaf.key_pem), leaf.key_pem};
  CHECK_NOTHROW(tls::check_server_settings(good));

  auto not_pem = good;
  not_pem.cert = {dir.file("junk.pem", "junk\n"), "junk\n"};
  CHECK_THROWS_WITH_AS(tls::check_server_settings(not_pem),
                       doctest::Contains(("cannot load cert_file " + not_pem.cert.path).c_str()),
                       tls::TlsError);
  auto other_key = good;
  other_key.key.bytes = ca.issue({}).key_pem;
  CHECK_THROWS_AS(tls::check_server_settings(other_key), tls::TlsError);
  auto no_ca = good;
  no_ca.client_auth = config::ClientAuth::require_and_verify;
  CHECK_THROWS_WITH_AS(tls::check_server_settings(no_ca), doctest::Contains("client_ca_file"),
                       tls::TlsError);
  auto tls11 = good;
  tls11.min_version = TlsVersion::tls1_1;
  CHECK_THROWS_AS(tls::check_server_settings(tls11), tls::TlsError);

  CHECK_THROWS_AS(tls::Terminator("127.0.0.1", good), std::invalid_argument);
  CHECK_THROWS_AS(tls::Terminator("mx.test:0", good), std::invalid_argument);
}
