// run_probe's TLS policy and addressing: tls.min_version, the legacy-version probe,
// source_address, IPv6 targets, and the address-family classification.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "address_family.hpp"
#include "connection.hpp"
#include "probe_test_util.hpp"

using namespace probe_test;
using testing::SmtpBehaviour;
using testing::SmtpTestServer;

namespace {

SmtpTestServer tls_server(const char* priorities) {
  auto options = with_cert(SmtpBehaviour::normal);
  options.tls.priorities = priorities;
  return SmtpTestServer(options);
}

constexpr const char* kTls12Only = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
constexpr const char* kTls10Only = "NORMAL:-VERS-ALL:+VERS-TLS1.0";
constexpr const char* kTls10To12 = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0";
constexpr const char* kModernOnly = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

// Accepts one connection on `ip` (port 0), records the peer's address, greets with 554 and
// waits for the client to close. bound() is false when `ip` cannot be bound here.
class PeerRecorder {
 public:
  explicit PeerRecorder(const std::string& ip) {
    const bool v6 = ip.find(':') != std::string::npos;
    sockaddr_storage storage{};
    socklen_t size = 0;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
      size = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
      size = sizeof *a;
    }
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&storage), size) != 0 ||
        ::listen(fd_, 4) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &size)) {
      return;
    }
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~PeerRecorder() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  bool bound() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  std::string peer() {
    if (thread_.joinable()) thread_.join();
    return peer_;
  }

 private:
  void serve() {
    sockaddr_storage peer{};
    socklen_t size = sizeof peer;
    const int conn = ::accept(fd_, reinterpret_cast<sockaddr*>(&peer), &size);
    if (conn < 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, text, sizeof text);
    }
    peer_ = text;
    const char greeting[] = "554 go away\r\n";
    ::send(conn, greeting, sizeof greeting - 1, MSG_NOSIGNAL);
    char buf[256];
    while (::recv(conn, buf, sizeof buf, 0) > 0) {
    }
    ::close(conn);
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string peer_;
};

}  // namespace

TEST_CASE("TLS 1.2 and 1.3 are reported, and min_version fails an older one after the facts") {
  auto tls12 = tls_server(kTls12Only);
  struct Case {
    std::uint16_t port;
    std::optional<TlsVersion> min_version;
    const char* version;
    bool success;
  };
  const Case cases[] = {
      {tls12.port(), std::nullopt, "TLS 1.2", true},
      {tls12.port(), TlsVersion::tls1_2, "TLS 1.2", true},
      {tls12.port(), TlsVersion::tls1_3, "TLS 1.2", false},
      {healthy_server().port(), TlsVersion::tls1_3, "TLS 1.3", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.version);
    CAPTURE(c.min_version.has_value());
    auto spec = spec_for(c.port);
    spec.min_version = c.min_version;
    const auto out = run(spec);
    REQUIRE(out.result.tls.has_value());
    CHECK(out.result.tls->version == c.version);
    CHECK(out.result.success == c.success);
    REQUIRE(out.result.verify.has_value());
    CHECK(out.result.verify->verified);  // the certificate itself is fine
    if (!c.success) {
      REQUIRE(out.result.failure.has_value());
      CHECK(out.result.failure->phase == Phase::verify);
      CHECK(out.result.failure->reason == FailureReason::tls_version_too_old);
      CHECK(has_phase(out.result, Phase::quit));  // still leaves politely
    }
  }
}

TEST_CASE("the legacy probe reports whether a TLS 1.0/1.1-only handshake is accepted") {
  struct Case {
    const char* name;
    const char* priorities;
    bool accepted;
    int connections;  // the legacy connection is skipped when the probe itself was legacy
  };
  const Case cases[] = {
      {"TLS 1.0 only", kTls10Only, true, 1},
      {"TLS 1.0 to 1.2", kTls10To12, true, 2},
      {"TLS 1.2 and 1.3 only", kModernOnly, false, 2},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto server = tls_server(c.priorities);
    auto spec = spec_for(server.port());
    spec.legacy_probe = true;
    const auto out = run(spec);
    CHECK(out.result.success);
    REQUIRE(out.result.legacy.has_value());
    REQUIRE(out.result.legacy->accepted.has_value());
    CHECK(*out.result.legacy->accepted == c.accepted);
    CHECK(server.wait_finished(c.connections, 5s));
    CHECK(server.connections() == c.connections);
    if (c.accepted) {
      CHECK((out.result.legacy->version == "TLS 1.0" || out.result.legacy->version == "TLS 1.1"));
    } else {
      REQUIRE(out.result.legacy->failure.has_value());
      CHECK(out.result.legacy->failure->phase == Phase::tls_handshake);
      CHECK(out.result.legacy->duration_seconds > 0);
    }
    // The legacy connection's phases are its own, not the probe's.
    CHECK(std::count_if(out.result.phases.begin(), out.result.phases.end(),
                        [](const PhaseDuration& p) { return p.phase == Phase::connect; }) == 1);
  }
}

TEST_CASE("without legacy_probe, or when the probe never completed a handshake, no legacy run") {
  auto server = tls_server(kTls10To12);
  const auto plain = run(spec_for(server.port()));
  CHECK_FALSE(plain.result.legacy.has_value());
  SmtpTestServer no_tls(with_cert(SmtpBehaviour::no_starttls));
  auto spec = spec_for(no_tls.port());
  spec.legacy_probe = true;
  const auto refused = run(spec);
  CHECK_FALSE(refused.result.legacy.has_value());
  CHECK(no_tls.wait_finished(1, 5s));
  CHECK(no_tls.connections() == 1);
}

TEST_CASE("source_address is the address the server sees") {
  PeerRecorder server("127.0.0.1");
  REQUIRE(server.bound());
  auto spec = spec_for(server.port());
  spec.source_address = "127.0.0.2";
  const auto out = run(spec);
  CHECK(server.peer() == "127.0.0.2");
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->phase == Phase::banner);  // the 554 greeting, not a bind problem
}

TEST_CASE("a source_address that cannot be used fails the connect phase with its own reason") {
  struct Case {
    const char* source;
    FailureReason reason;
  };
  for (const Case c : {Case{"192.0.2.77", FailureReason::source_address_unavailable},
                       Case{"::1", FailureReason::address_family_unsupported}}) {
    CAPTURE(c.source);
    auto spec = spec_for(healthy_server().port());
    spec.source_address = c.source;
    const auto out = run(spec);
    REQUIRE(out.result.failure.has_value());
    CHECK(out.result.failure->phase == Phase::connect);
    CHECK(out.result.failure->reason == c.reason);
    CHECK(out.result.failure->detail.find(c.source) != std::string::npos);
  }
}

TEST_CASE("an IPv6 target is probed over IPv6") {
  PeerRecorder server("::1");
  if (!server.bound()) {
    MESSAGE("skipped: this host has no ::1");
    return;
  }
  auto spec = spec_for(server.port());
  spec.address = "::1";
  const auto out = run(spec);
  CHECK(server.peer() == "::1");
  REQUIRE(out.result.failure.has_value());
  CHECK(out.result.failure->phase == Phase::banner);
  CHECK(out.result.failure->reason == FailureReason::rejected_permanent);
}

TEST_CASE("a host without a usable address of the target's family is told apart") {
  using asio::ip::make_address;
  const std::vector<asio::ip::address> v4_only = {make_address("127.0.0.1"),
                                                  make_address("192.0.2.10")};
  const std::vector<asio::ip::address> v6_local_only = {
      make_address("127.0.0.1"), make_address("192.0.2.10"), make_address("::1"),
      make_address("fe80::1")};
  const std::vector<asio::ip::address> dual = {make_address("192.0.2.10"),
                                               make_address("2001:db8::10")};
  struct Case {
    const char* target;
    const std::vector<asio::ip::address>* local;
    bool usable;
  };
  const Case cases[] = {
      {"2001:db8::25", &v4_only, false},       {"::1", &v4_only, false},
      {"2001:db8::25", &v6_local_only, false}, {"::1", &v6_local_only, true},
      {"fe80::25", &v6_local_only, true},      {"2001:db8::25", &dual, true},
      {"192.0.2.25", &v4_only, true},          {"127.0.0.1", &dual, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.target);
    CHECK(prober::family_usable(make_address(c.target), *c.local) == c.usable);
  }
  CHECK(prober::classify_connect_error(std::error_code(EAFNOSUPPORT, std::system_category()),
                                       false) == FailureReason::address_family_unsupported);
}
