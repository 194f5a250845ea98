// One connection through the gate: TLS handshake (when configured), the request head within
// its deadline, then the relay to the HTTP server and back. Every wait has a deadline, kept by
// the connection's watchdog, which closes the sockets when it passes.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <vector>

#include "gate_impl.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::web {
namespace {

using http::ConnectionRefusal;
using http::RequestRefusal;
using Millis = std::chrono::milliseconds;

constexpr auto kUseAwaitable = asio::use_awaitable;
/// Reaching the HTTP server on loopback; only a full accept queue makes it wait at all.
constexpr Millis kBackendConnectTimeout{5'000};
/// Writing a refusal (400, 431, ...) before closing.
constexpr Millis kRefusalWriteTimeout{2'000};
/// Draining a client after its answer (see linger()).
constexpr Millis kLingerTimeout{2'000};
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr std::size_t kReadChunk = 2048;        ///< per read of the request head
constexpr std::size_t kRelayChunk = 16 * 1024;  ///< per read of the answer

/// Ends the connection when its deadline passes; exits once the dialogue finished.
asio::awaitable<void> watch(std::shared_ptr<Connection> c) {
  while (!c->finished) {
    std::error_code ec;
    co_await c->timer.async_wait(asio::redirect_error(kUseAwaitable, ec));
    if (c->finished) co_return;
    if (ec || c->timer.expiry() > std::chrono::steady_clock::now()) continue;  // re-armed
    if (c->expiry_reason) {
      c->gate.counters.refused(*c->expiry_reason);
      if (*c->expiry_reason == ConnectionRefusal::handshake_timeout) {
        log::debug("web TLS: handshake timed out", {{"client", c->address}});
      } else {
        log::debug("web: connection closed at its deadline",
                   {{"client", c->address}, {"reason", std::string(name_of(*c->expiry_reason))}});
      }
    }
    c->shut();
  }
}

/// The client side: plain socket, or TLS over it.
struct ClientIo {
  Connection& c;
  tls::ServerStream* tls;  ///< null: plain HTTP

  asio::awaitable<std::size_t> read_some(std::span<char> buffer, std::error_code& ec) {
    if (tls) co_return co_await tls->read_some(buffer, ec);
    co_return co_await c.client.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                asio::redirect_error(kUseAwaitable, ec));
  }
  asio::awaitable<std::error_code> write_all(std::string_view data) {
    if (tls) co_return co_await tls->write_all(data);
    std::error_code ec;
    co_await asio::async_write(c.client, asio::buffer(data.data(), data.size()),
                               asio::redirect_error(kUseAwaitable, ec));
    co_return ec;
  }
  /// The answer is complete: close_notify (TLS) and FIN, then the sockets close.
  void finish() noexcept {
    if (tls) tls->close_notify();
    std::error_code ec;
    c.client.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }
};

/// After the answer: reads and drops what the client still sends until it closes, briefly, so
/// that closing does not reset the connection (a reset can destroy the answer in flight, RFC
/// 9112 §9.6).
asio::awaitable<void> linger(ClientIo& io) {
  io.c.arm(kLingerTimeout, std::nullopt);
  std::array<char, kReadChunk> chunk{};
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    std::error_code ec;
    const std::size_t n = co_await io.read_some(chunk, ec);
    if (ec || n == 0) co_return;
    drained += n;
  }
}

/// Reads until the head and its body are in `request`; nullopt when the client left, the
/// deadline passed or the head was refused (then answered and counted here).
asio::awaitable<std::optional<HeadVerdict>> read_request(ClientIo& io, std::string& request) {
  const HeadLimits& limits = io.c.gate.limits.head;
  std::array<char, kReadChunk> chunk{};
  HeadVerdict verdict;
  for (;;) {
    std::error_code ec;
    const std::size_t n = co_await io.read_some(chunk, ec);
    if (ec || n == 0) co_return std::nullopt;
    const std::string_view piece(chunk.data(), n);
    request.append(piece);
    if (verdict.state == HeadVerdict::State::complete) {
      if (request.size() >= verdict.head_bytes + verdict.body_bytes) break;
      continue;
    }
    // The head is judged again only when a line ended or a limit may be crossed.
    if (piece.find('\n') == std::string_view::npos && request.size() <= limits.max_target_bytes &&
        request.size() > n) {
      continue;
    }
    verdict = inspect_head(request, limits);
    if (verdict.state == HeadVerdict::State::rejected) {
      io.c.gate.counters.refused(verdict.problem);
      const HeadRefusalStatus status = status_of(verdict.problem);
      const std::string line = std::to_string(status.code) + " " + std::string(status.phrase);
      io.c.arm(kRefusalWriteTimeout, std::nullopt);
      co_await io.write_all("HTTP/1.1 " + line + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
                            "Content-Length: " + std::to_string(line.size() + 1) +
                            "\r\nConnection: close\r\n\r\n" + line + "\n");
      io.finish();
      co_await linger(io);
      co_return std::nullopt;
    }
    if (verdict.state == HeadVerdict::State::complete &&
        request.size() >= verdict.head_bytes + verdict.body_bytes) {
      break;
    }
  }
  request.resize(verdict.head_bytes + verdict.body_bytes);  // pipelined bytes are not served
  co_return verdict;
}

/// Keeps a relay's local port in the registry while the relay runs.
class Registration {
 public:
  Registration(RelayRegistry& r, int port, const std::string& client) : r_(r), port_(port) {
    r_.add(port_, client);
  }
  ~Registration() { r_.remove(port_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  RelayRegistry& r_;
  int port_;
};

/// Sends `request` to the HTTP server and its answer to the client, until the server closes
/// (it serves one request per connection).
asio::awaitable<void> relay(ClientIo& io, const std::string& request) {
  Connection& c = io.c;
  const GateLimits& limits = c.gate.limits;
  std::error_code ec;
  c.arm(kBackendConnectTimeout, std::nullopt);
  const asio::ip::tcp::endpoint server(asio::ip::address_v4::loopback(),
                                       static_cast<unsigned short>(c.gate.backend_port));
  co_await c.backend.async_connect(server, asio::redirect_error(kUseAwaitable, ec));
  if (ec) {
    if (!c.finished) log::warn("web: cannot reach the HTTP server", {{"error", ec.message()}});
    co_return;
  }
  const auto local = c.backend.local_endpoint(ec);
  if (ec) co_return;
  // Registered before the first byte reaches the HTTP server, removed before the socket
  // closes, so the port is never found while another socket could hold it.
  const Registration registration(c.gate.registry, local.port(), c.address);
  c.arm(limits.backend_timeout, std::nullopt);
  co_await asio::async_write(c.backend, asio::buffer(request),
                             asio::redirect_error(kUseAwaitable, ec));
  if (ec) co_return;
  std::vector<char> chunk(kRelayChunk);
  for (;;) {
    c.arm(limits.backend_timeout, std::nullopt);
    const std::size_t n = co_await c.backend.async_read_some(
        asio::buffer(chunk), asio::redirect_error(kUseAwaitable, ec));
    if (ec == asio::error::eof) {
      io.finish();
      co_await linger(io);
      co_return;
    }
    if (ec) co_return;
    c.arm(limits.stall_timeout, ConnectionRefusal::stalled);
    if (co_await io.write_all(std::string_view(chunk.data(), n))) co_return;
  }
}

asio::awaitable<void> serve(Connection& c) {
  const GateLimits& limits = c.gate.limits;
  std::optional<tls::ServerStream> tls;
  if (c.gate.tls) {
    c.arm(limits.handshake_timeout, ConnectionRefusal::handshake_timeout);
    tls.emplace(c.client, *c.gate.tls);
    const tls::HandshakeEnd end = co_await tls->handshake(c.address);
    if (end == tls::HandshakeEnd::failed)
      c.gate.counters.refused(ConnectionRefusal::handshake_failed);
    if (end != tls::HandshakeEnd::done) co_return;
  }
  ClientIo io{c, tls ? &*tls : nullptr};
  c.arm(limits.head_timeout, ConnectionRefusal::head_timeout);
  std::string request;
  const auto verdict = co_await read_request(io, request);
  if (!verdict) co_return;
  c.leave_waiting();
  co_await relay(io, request);
}

}  // namespace

Connection::Connection(Gate::Impl& g, asio::ip::tcp::socket socket, std::string a)
    : gate(g), client(std::move(socket)), backend(g.io), timer(g.io), address(std::move(a)) {
  ++gate.per_client[address];
  gate.counters.opened();
  live_position = gate.live.insert(gate.live.end(), this);
  waiting_position = gate.waiting.insert(gate.waiting.end(), this);
}

Connection::~Connection() {
  leave_waiting();
  gate.live.erase(live_position);
  const auto held = gate.per_client.find(address);
  if (held != gate.per_client.end() && --held->second == 0) gate.per_client.erase(held);
  gate.counters.closed();
}

void Connection::arm(std::chrono::milliseconds after,
                     std::optional<http::ConnectionRefusal> reason) {
  expiry_reason = reason;
  timer.expires_after(after);  // cancels the watchdog's wait; it waits again for the new time
}

void Connection::shut() noexcept {
  finished = true;
  std::error_code ec;
  client.close(ec);
  backend.close(ec);
  timer.cancel();
}

void Connection::leave_waiting() noexcept {
  if (!waiting_position) return;
  gate.waiting.erase(*waiting_position);
  waiting_position.reset();
}

asio::awaitable<void> serve_connection(std::shared_ptr<Connection> connection) {
  asio::co_spawn(connection->gate.io, watch(connection), asio::detached);
  try {
    co_await serve(*connection);
  } catch (const std::exception& e) {
    log::warn("web: connection failed", {{"client", connection->address}, {"error", e.what()}});
  }
  connection->shut();
}

}  // namespace starttls_exporter::web
