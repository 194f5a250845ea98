// web::Gate in front of http::Server, in-process on loopback: the relay and the real client
// address over plain HTTP and TLS, direct connections to the HTTP server refused, the head and
// handshake deadlines, the per-client and total limits with eviction, refused heads answered
// with their status, a prompt stop(), and refused TLS settings. The same pair under load, as
// the exporter wires it, is tested by tests/app/web_hostile_test.py.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "gate.hpp"
#include "http_client.hpp"
#include "https_client.hpp"
#include "server_stream.hpp"
#include "starttls_exporter/tls_client/tls_client.hpp"
#include "starttls_exporter/web/http_server.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using http::ConnectionRefusal;
using http::RequestRefusal;

namespace {

/// The HTTP server with the gate in front, plain or TLS (a server certificate for mx.test and
/// a client trust store for it).
struct Fixture {
  explicit Fixture(web::GateLimits limits = {}, bool with_tls = false) {
    const testing::TestCa ca;
    const auto leaf = ca.issue({});
    settings.cert = {dir.file("server.pem", leaf.chain_pem), leaf.chain_pem};
    settings.key = {dir.file("server-key.pem", leaf.key_pem), leaf.key_pem};
    trust = tls::TrustStore::from_pem_file(dir.file("ca.pem", ca.cert_pem()));
    std::optional<config::WebTlsConfig> tls;
    if (with_tls) tls = settings;
    gate = std::make_unique<web::Gate>("127.0.0.1:0", tls, limits, counters);
    http::Routes routes;
    routes["/who"] = [](const http::Request& r) {
      http::Response response;
      response.body = r.remote_address;
      return response;
    };
    http::ServerOptions options;
    options.admit = [g = gate.get()](const std::string& ip, int port) {
      return g->client_of(ip, port);
    };
    routes["/slow"] = [](const http::Request&) {
      std::this_thread::sleep_for(1500ms);  // holds its connection past its head
      return http::Response{};
    };
    server = std::make_unique<http::Server>("127.0.0.1:0", routes, options);
    gate->start(server->port());
  }
  ~Fixture() {
    gate->stop();
    server.reset();
  }
  int port() const { return gate->port(); }

  TempDir dir;
  tls::ServerSettings settings;
  std::shared_ptr<const tls::TrustStore> trust;
  http::WebCounters counters;
  std::unique_ptr<web::Gate> gate;
  std::unique_ptr<http::Server> server;
};

/// A TCP connection to 127.0.0.1:port from `source` (any 127/8 address) that sends nothing.
int connect_from(int port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, source, &local.sin_addr) == 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the gate may close early: that is an answer too
    sent += static_cast<std::size_t>(n);
  }
}

/// Everything the peer sends until it closes (or 5 s pass).
std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  const auto end = Clock::now() + 5s;
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) continue;
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

/// The gate's raw answer to `bytes` sent on a fresh connection.
std::string exchange(int port, const std::string& bytes) {
  const int fd = connect_from(port);
  send_all(fd, bytes);
  ::shutdown(fd, SHUT_WR);
  std::string answer = read_all(fd);
  ::close(fd);
  return answer;
}

/// Whether the peer closed `fd` within `timeout` (EOF or reset).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

bool who_answers(const Fixture& f) {
  const auto reply = get(f.port(), "/who");
  return reply.status == 200 && reply.body == "127.0.0.1";
}

}  // namespace

TEST_CASE("the gate relays plain HTTP and HTTPS; the HTTP server sees the real client") {
  for (const bool with_tls : {false, true}) {
    CAPTURE(with_tls);
    Fixture f({}, with_tls);
    if (with_tls) {
      const std::string answer = testing::https_get(f.port(), f.trust, "mx.test", "/who");
      CHECK(answer.starts_with("HTTP/1.0 200 "));
      CHECK(answer.ends_with("\r\n\r\n127.0.0.1"));
    } else {
      CHECK(who_answers(f));
    }
    // The HTTP server serves nothing to a connection the gate did not open.
    const auto direct = get(f.server->port(), "/who");
    CHECK(direct.status == 403);
    CHECK_FALSE(f.gate->client_of("127.0.0.1", f.server->port()));
    CHECK_FALSE(f.gate->client_of("192.0.2.1", 1));
  }
}

TEST_CASE("a connection without a complete head is closed at the head deadline and counted") {
  Fixture f({.head_timeout = 300ms});
  const int silent = connect_from(f.port());
  const int slow = connect_from(f.port());
  send_all(slow, "GET /who HTTP/1.1\r\nHost: x\r\n");  // never finished
  const auto started = Clock::now();
  CHECK(closed_within(silent, 300ms + 3s));
  CHECK(closed_within(slow, 3s));
  CHECK(Clock::now() - started >= 250ms);  // not at once: the deadline closed them
  ::close(silent);
  ::close(slow);
  CHECK(f.counters.count(ConnectionRefusal::head_timeout) == 2);
  CHECK(who_answers(f));
}

TEST_CASE("a TLS handshake that never starts is closed at the handshake deadline") {
  Fixture f({.handshake_timeout = 300ms}, true);
  const int fd = connect_from(f.port());
  CHECK(closed_within(fd, 300ms + 3s));
  ::close(fd);
  CHECK(f.counters.count(ConnectionRefusal::handshake_timeout) == 1);
  CHECK(testing::https_get(f.port(), f.trust, "mx.test", "/who").starts_with("HTTP/1.0 200 "));
  // Plain HTTP on the TLS port fails the handshake.
  exchange(f.port(), "GET /who HTTP/1.0\r\n\r\n");
  CHECK(eventually([&] { return f.counters.count(ConnectionRefusal::handshake_failed) == 1; }, 5s));
}

TEST_CASE("at the per-client limit a client's new connection evicts its own oldest idle one") {
  Fixture f({.head_timeout = 30s, .max_connections_per_client = 2});
  // Slow clients on the scraper's own address (a proxy, a NAT) and on another one.
  const int own_first = connect_from(f.port());
  const int own_second = connect_from(f.port());
  const int other_first = connect_from(f.port(), "127.0.7.1");
  const int other_second = connect_from(f.port(), "127.0.7.1");
  REQUIRE(eventually([&] { return f.counters.open_connections() == 4; }, 5s));
  CHECK(who_answers(f));  // long before the 30 s head deadline
  CHECK(closed_within(own_first, 3s));
  CHECK_FALSE(closed_within(own_second, 0ms));
  CHECK_FALSE(closed_within(other_first, 0ms));  // another client's connections stay
  CHECK(f.counters.count(ConnectionRefusal::evicted) == 1);
  CHECK(f.counters.count(ConnectionRefusal::client_limit) == 0);
  for (const int fd : {own_first, own_second, other_first, other_second}) ::close(fd);
}

TEST_CASE("at the per-client limit with every connection past its head, a new one is closed") {
  Fixture f({.max_connections_per_client = 1});
  const int busy = connect_from(f.port(), "127.0.7.1");
  send_all(busy, "GET /slow HTTP/1.0\r\n\r\n");  // in the handler for 1.5 s
  REQUIRE(eventually([&] { return f.counters.open_connections() == 1; }, 5s));
  std::this_thread::sleep_for(200ms);  // the head is read and relayed
  const int extra = connect_from(f.port(), "127.0.7.1");
  CHECK(closed_within(extra, 1s));  // long before the head deadline
  CHECK(f.counters.count(ConnectionRefusal::client_limit) == 1);
  CHECK(f.counters.count(ConnectionRefusal::evicted) == 0);
  CHECK(read_all(busy).starts_with("HTTP/1.0 200"));  // the busy one was not touched
  CHECK(who_answers(f));                              // other clients are served
  ::close(busy);
  ::close(extra);
}

TEST_CASE("at the total limit a new connection evicts the oldest one still without a head") {
  Fixture f({.head_timeout = 30s, .max_connections = 2});
  const int oldest = connect_from(f.port(), "127.0.7.2");
  REQUIRE(eventually([&] { return f.counters.open_connections() == 1; }, 5s));
  const int newer = connect_from(f.port(), "127.0.7.3");
  REQUIRE(eventually([&] { return f.counters.open_connections() == 2; }, 5s));
  CHECK(who_answers(f));  // long before the 30 s head deadline
  CHECK(closed_within(oldest, 3s));
  CHECK_FALSE(closed_within(newer, 0ms));
  CHECK(f.counters.count(ConnectionRefusal::evicted) == 1);
  ::close(oldest);
  ::close(newer);
}

TEST_CASE("refused heads get their status and a closed connection; the next request is served") {
  Fixture f;
  struct Case {
    std::string bytes;
    std::string status_line;
    RequestRefusal reason;
  };
  std::string many_headers = "GET /who HTTP/1.1\r\n";
  for (int i = 0; i < 10'000; ++i) many_headers += "X-" + std::to_string(i) + ": y\r\n";
  const std::vector<Case> cases{
      {"GET /who HTTP/1.1\r\nX: " + std::string(20'000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large\r\n", RequestRefusal::headers_too_large},
      {"GET /" + std::string(9'000, 'a') + " HTTP/1.1\r\n\r\n", "HTTP/1.1 414 URI Too Long\r\n",
       RequestRefusal::uri_too_long},
      {many_headers + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large\r\n",
       RequestRefusal::too_many_headers},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
       "HTTP/1.1 400 Bad Request\r\n", RequestRefusal::malformed},
      {"POST /-/reload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 501 Not Implemented\r\n", RequestRefusal::unsupported_transfer_coding},
      {"POST /-/reload HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
       "HTTP/1.1 413 Content Too Large\r\n", RequestRefusal::body_too_large},
      {"GET /who HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n",
       RequestRefusal::unsupported_version},
  };
  for (const Case& c : cases) {
    CAPTURE(c.status_line);
    CHECK(exchange(f.port(), c.bytes).starts_with(c.status_line));
    CHECK(f.counters.count(c.reason) >= 1);
    CHECK(who_answers(f));
  }
  // A complete head with a body is relayed whole.
  const std::string answer =
      exchange(f.port(), "POST /who HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody");
  CHECK(answer.starts_with("HTTP/1.0 200 "));
}

TEST_CASE("a head arriving a few bytes at a time, split inside CRLF, is served") {
  Fixture f;
  const int fd = connect_from(f.port());
  for (const char* piece : {"GET /who HT", "TP/1.0\r", "\nHost: x\r", "\n", "\r", "\n"}) {
    send_all(fd, piece);
    std::this_thread::sleep_for(20ms);
  }
  const std::string answer = read_all(fd);
  ::close(fd);
  CHECK(answer.starts_with("HTTP/1.0 200 "));
  CHECK(answer.ends_with("127.0.0.1"));
}

TEST_CASE("stop() ends open connections promptly") {
  for (const bool with_tls : {false, true}) {
    CAPTURE(with_tls);
    Fixture f({.handshake_timeout = 60s, .head_timeout = 60s}, with_tls);
    const int fd = connect_from(f.port());
    REQUIRE_FALSE(closed_within(fd, 100ms));
    const auto started = Clock::now();
    f.gate->stop();
    CHECK(Clock::now() - started < 5s);  // far below the 60 s deadlines it would otherwise wait
    CHECK(closed_within(fd, 1s));
    ::close(fd);
  }
}

TEST_CASE("TLS settings the web port refuses") {
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

  http::WebCounters counters;
  std::optional<config::WebTlsConfig> tls = good;
  CHECK_THROWS_AS(web::Gate("127.0.0.1", tls, {}, counters), std::invalid_argument);
  CHECK_THROWS_AS(web::Gate("mx.test:0", tls, {}, counters), std::invalid_argument);
}
