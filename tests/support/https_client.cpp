#include "https_client.hpp"

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>

namespace starttls_exporter::testing {
namespace {

struct HttpsExchange {
  tls::HandshakeOutcome outcome;
  bool verified = false;
  std::string answer;
};

asio::awaitable<void> exchange(tls::ClientSession& session, std::string request,
                               HttpsExchange& out) {
  out.outcome = co_await session.handshake();
  if (!out.outcome.completed) co_return;
  out.verified = session.verify().verified;
  if (!out.verified || co_await session.write_all(request)) co_return;
  char buf[4096];
  std::size_t n = 0;
  while (!co_await session.read_some(buf, n)) out.answer.append(buf, n);
}

}  // namespace

std::string https_get(int port, std::shared_ptr<const tls::TrustStore> trust,
                      const std::string& server_name, const std::string& path) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)});
  tls::ClientSession session(socket, {std::move(trust), server_name});
  asio::steady_timer deadline(io, std::chrono::seconds(10));
  deadline.async_wait([&](std::error_code ec) {
    if (!ec) socket.close();
  });
  HttpsExchange out;
  asio::co_spawn(io, exchange(session, "GET " + path + " HTTP/1.0\r\n\r\n", out),
                 [&](std::exception_ptr) { deadline.cancel(); });
  io.run();
  if (!out.outcome.completed) MESSAGE("handshake failed: " << out.outcome.detail);
  if (out.outcome.completed && !out.verified) MESSAGE("server certificate not verified");
  return out.answer;
}

}  // namespace starttls_exporter::testing
