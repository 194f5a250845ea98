// The SMTP phases driven directly over a Connection, for what run_probe cannot make
// deterministic: bytes that are still in the socket's receive buffer when the STARTTLS 220 has
// been parsed.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/this_coro.hpp>

#include <optional>
#include <string>

#include "connection.hpp"
#include "probe_test_util.hpp"
#include "smtp_dialogue.hpp"

using namespace probe_test;
using starttls_exporter::prober::Channel;
using starttls_exporter::prober::Connection;
using starttls_exporter::prober::SmtpSession;
using starttls_exporter::testing::SmtpBehaviour;
using starttls_exporter::testing::SmtpTestServer;

namespace {

/// Reads one byte per call, so the parser completes a reply while the bytes sent after it
/// are still waiting in the socket.
class OneByteChannel final : public Channel {
 public:
  explicit OneByteChannel(Connection& connection) : connection_(connection) {}
  asio::awaitable<std::error_code> write_all(std::string_view data) override {
    co_return co_await connection_.write_all(data);
  }
  asio::awaitable<std::error_code> read_some(std::span<char> buffer, std::size_t& n) override {
    co_return co_await connection_.read_some(buffer.first(1), n);
  }

 private:
  Connection& connection_;
};

struct DialogueOutcome {
  std::optional<Failure> failure;
  std::vector<std::string> transcript;
};

/// Connects to `port` and runs banner, EHLO and STARTTLS over a OneByteChannel.
DialogueOutcome dialogue_to_starttls(std::uint16_t port) {
  asio::io_context io;
  DialogueOutcome out;
  auto dialogue = [&]() -> asio::awaitable<void> {
    Connection connection(co_await asio::this_coro::executor, Clock::now() + 5s);
    const auto connect_failure =
        co_await connection.connect({asio::ip::make_address("127.0.0.1"), port});
    REQUIRE_FALSE(connect_failure.has_value());
    OneByteChannel channel(connection);
    prober::Transcript transcript;
    SmtpSession smtp{connection, &channel, prober::ReplyParser{}, transcript};
    std::optional<bool> advertised;
    out.failure = co_await prober::read_banner(smtp);
    if (!out.failure) out.failure = co_await prober::ehlo(smtp, "probe.test", advertised);
    if (!out.failure) out.failure = co_await prober::starttls(smtp, advertised.value_or(false));
    out.transcript = transcript.take();
  };
  bool done = false;
  asio::co_spawn(io, dialogue(), [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    done = true;
  });
  io.run();
  REQUIRE(done);
  return out;
}

}  // namespace

TEST_CASE("plaintext still in the socket after the STARTTLS 220 is response injection") {
  SmtpTestServer server(with_cert(SmtpBehaviour::response_injection));
  const auto out = dialogue_to_starttls(server.port());
  REQUIRE(out.failure.has_value());
  CHECK(out.failure->phase == Phase::starttls);
  CHECK(out.failure->reason == FailureReason::response_injection);
  CHECK(out.failure->detail == "14 plaintext bytes followed the 220 reply");
  CHECK(std::find(out.transcript.begin(), out.transcript.end(),
                  "S (after 220): 250 injected\\r\\n") != out.transcript.end());
}

TEST_CASE("nothing waiting after the STARTTLS 220 lets TLS begin") {
  // The healthy server sends nothing after its 220 until our ClientHello.
  const auto out = dialogue_to_starttls(healthy_server().port());
  CHECK_FALSE(out.failure.has_value());
}

TEST_CASE("the probe socket sends without Nagle's delay") {
  // Otherwise QUIT after the TLS Finished waits for a delayed ACK: 40 ms in every duration.
  asio::io_context io;
  bool no_delay = false;
  auto check = [&]() -> asio::awaitable<void> {
    Connection connection(co_await asio::this_coro::executor, Clock::now() + 5s);
    const auto failure =
        co_await connection.connect({asio::ip::make_address("127.0.0.1"), healthy_server().port()});
    REQUIRE_FALSE(failure.has_value());
    asio::ip::tcp::no_delay option;
    connection.socket().get_option(option);
    no_delay = option.value();
  };
  asio::co_spawn(io, check(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  CHECK(no_delay);
}
