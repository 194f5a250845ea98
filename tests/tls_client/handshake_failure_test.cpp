// How ClientSession::handshake reports servers that do not complete a handshake.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "loopback.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const tls::TrustStore> trust() {
  static const TestCa ca;
  static const auto store = trust_of(ca);
  return store;
}

// Reads whatever the client sent first (its ClientHello), waiting up to 5 s.
void read_client_hello(int fd) {
  pollfd p{fd, POLLIN, 0};
  char buf[4096];
  if (::poll(&p, 1, 5000) == 1) (void)::recv(fd, buf, sizeof buf, 0);
}

tls::HandshakeOutcome outcome_against(std::function<void(int)> script) {
  LoopbackServer server(std::move(script));
  return run_client(server.port(), {trust(), "mx.test"}).outcome;
}

}  // namespace

TEST_CASE("a fatal alert from the server is reported with its name") {
  const auto cert = make_self_signed({});
  const auto outcome = outcome_against([&](int fd) {
    TlsServerSession session(fd, cert);
    session.send_fatal_alert_handshake_failure();
    drain_until_eof(fd);
  });
  CHECK_FALSE(outcome.completed);
  CHECK(outcome.reason == FailureReason::tls_alert_received);
  CHECK(outcome.detail == "Handshake failed");
}

TEST_CASE("a peer that closes mid-handshake is connection_closed") {
  const auto outcome = outcome_against([](int fd) {
    read_client_hello(fd);
    ::shutdown(fd, SHUT_WR);  // FIN, not RST
    drain_until_eof(fd);
  });
  CHECK_FALSE(outcome.completed);
  CHECK(outcome.reason == FailureReason::connection_closed);
}

TEST_CASE("a peer that resets mid-handshake is connection_reset") {
  const auto outcome = outcome_against([](int fd) {
    read_client_hello(fd);
    const linger abort_on_close{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    // With zero linger, the harness' close() sends RST.
  });
  CHECK_FALSE(outcome.completed);
  CHECK(outcome.reason == FailureReason::connection_reset);
}

TEST_CASE("a plaintext answer is a tls_protocol_error") {
  const auto outcome = outcome_against([](int fd) {
    read_client_hello(fd);
    const char reply[] = "220 this is not TLS at all, just a long enough line\r\n";
    (void)::send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL);
    drain_until_eof(fd);
  });
  CHECK_FALSE(outcome.completed);
  CHECK(outcome.reason == FailureReason::tls_protocol_error);
  CHECK_FALSE(outcome.detail.empty());
}

TEST_CASE("closing the socket ends a handshake with a silent server as timeout") {
  LoopbackServer server([](int fd) { drain_until_eof(fd); });  // reads, never answers
  ClientOptions options{trust(), "mx.test"};
  options.close_after = 200ms;
  const auto run = run_client(server.port(), options);
  CHECK_FALSE(run.outcome.completed);
  CHECK(run.outcome.reason == FailureReason::timeout);
  CHECK(run.elapsed < 200ms + 1s);
}

TEST_CASE("a socket closed before the handshake is timeout, not a stray descriptor") {
  LoopbackServer server([](int fd) { drain_until_eof(fd); });
  ClientOptions options{trust(), "mx.test"};
  options.close_before_handshake = true;
  const auto run = run_client(server.port(), options);
  CHECK_FALSE(run.outcome.completed);
  CHECK(run.outcome.reason == FailureReason::timeout);
  CHECK(run.facts.chain.empty());
}
