#include "connection.hpp"

#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <netinet/in.h>

#include <cerrno>

#include "address_family.hpp"

namespace starttls_exporter::prober {

struct Connection::State {
  explicit State(const asio::any_io_executor& executor) : socket(executor), timer(executor) {}
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  bool expired = false;
};

namespace {

/// The errno behind `ec`, or 0. Standalone Asio reports socket errors in its own
/// asio::system_category(), which does not map them to std::errc conditions.
int errno_of(std::error_code ec) noexcept {
  const auto& cat = ec.category();
  if (cat == asio::error::get_system_category() || cat == std::system_category() ||
      cat == std::generic_category()) {
    return ec.value();
  }
  return 0;
}

}  // namespace

FailureReason classify_connect_error(std::error_code ec, bool expired) noexcept {
  if (expired) return FailureReason::timeout;
  switch (errno_of(ec)) {
    case ECONNREFUSED:
      return FailureReason::connection_refused;
    case ENETUNREACH:
      return FailureReason::network_unreachable;
    case EHOSTUNREACH:
      return FailureReason::host_unreachable;
    case EMFILE:
    case ENFILE:
      return FailureReason::out_of_descriptors;
    case EAFNOSUPPORT:
      return FailureReason::address_family_unsupported;
    default:
      return FailureReason::connect_error;
  }
}

FailureReason classify_io_error(std::error_code ec, bool expired) noexcept {
  if (expired) return FailureReason::timeout;
  if (ec == asio::error::eof) return FailureReason::connection_closed;
  switch (errno_of(ec)) {
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return FailureReason::connection_reset;
    case EMFILE:
    case ENFILE:
      return FailureReason::out_of_descriptors;
    default:
      return FailureReason::io_error;
  }
}

Connection::Connection(const asio::any_io_executor& executor, Clock::time_point deadline)
    : state_(std::make_shared<State>(executor)), deadline_(deadline) {
  arm();
}

Connection::~Connection() {
  std::error_code ignored;
  state_->timer.cancel();
  state_->socket.close(ignored);
}

void Connection::arm() {
  state_->timer.expires_at(deadline_);  // cancels any earlier wait; its handler sees aborted
  state_->timer.async_wait([weak = std::weak_ptr<State>(state_)](std::error_code ec) {
    if (ec) return;  // cancelled: the deadline moved or the connection ended
    const auto state = weak.lock();
    if (!state) return;
    state->expired = true;
    std::error_code ignored;
    state->socket.close(ignored);
  });
}

void Connection::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  if (!state_->expired) arm();
}

bool Connection::expired() const noexcept {
  return state_->expired;
}

asio::ip::tcp::socket& Connection::socket() noexcept {
  return state_->socket;
}

void Connection::close() noexcept {
  std::error_code ignored;
  state_->socket.close(ignored);
}

namespace {

const char* family_name(const asio::ip::address& a) {
  return a.is_v4() ? "IPv4" : "IPv6";
}

// Binds `source` with port 0. IP_BIND_ADDRESS_NO_PORT defers the port choice to connect(), so
// a bound probe does not reserve an ephemeral port for every source/destination pair.
std::optional<IoFailure> bind_source(asio::ip::tcp::socket& socket,
                                     const asio::ip::address& source) {
  std::error_code ec;
  const int on = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
  socket.bind({source, 0}, ec);
  if (!ec) return std::nullopt;
  const auto reason = errno_of(ec) == EADDRNOTAVAIL ? FailureReason::source_address_unavailable
                                                    : classify_connect_error(ec, false);
  return IoFailure{reason,
                   "cannot bind source address " + source.to_string() + ": " + ec.message()};
}

// A connect that failed because the host has no usable address of the target's family (no
// IPv6 at all, or only ::1 and link-local) is the host's problem, not the network's.
FailureReason refine_family(FailureReason reason, std::error_code ec,
                            const asio::ip::address& target) {
  const int err = errno_of(ec);
  if (err != ENETUNREACH && err != EADDRNOTAVAIL && err != EAFNOSUPPORT) return reason;
  return family_usable(target, local_addresses()) ? reason
                                                  : FailureReason::address_family_unsupported;
}

}  // namespace

asio::awaitable<std::optional<IoFailure>> Connection::connect(
    const asio::ip::tcp::endpoint& endpoint, const std::optional<asio::ip::address>& source) {
  // After expiry the socket must not be reopened; a deadline already past whose timer has not
  // run yet counts too.
  if (state_->expired || Clock::now() >= deadline_)
    co_return IoFailure{FailureReason::timeout, "deadline passed"};
  if (source && source->is_v4() != endpoint.address().is_v4()) {
    co_return IoFailure{FailureReason::address_family_unsupported,
                        std::string("source address ") + source->to_string() + " is " +
                            family_name(*source) + ", the target " +
                            family_name(endpoint.address())};
  }
  std::error_code ec;
  // Opened explicitly so that EMFILE/ENFILE surface here rather than as a connect error.
  state_->socket.open(endpoint.protocol(), ec);
  // Every write is a whole command or TLS flight that waits for an answer: Nagle's algorithm
  // would hold it back until the previous segment is acknowledged, which against a delayed ACK
  // adds 40 ms to the handshake and to QUIT, and to the durations we report.
  if (!ec) state_->socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec && source) {
    if (auto failure = bind_source(state_->socket, *source)) co_return failure;
  }
  if (!ec) {
    co_await state_->socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!ec && !state_->expired) co_return std::nullopt;
  FailureReason reason = classify_connect_error(ec, state_->expired);
  if (!state_->expired) reason = refine_family(reason, ec, endpoint.address());
  std::string detail = reason == FailureReason::timeout ? "deadline passed" : ec.message();
  if (reason == FailureReason::address_family_unsupported) {
    detail = "this host has no usable " + std::string(family_name(endpoint.address())) +
             " address (" + ec.message() + ")";
  }
  co_return IoFailure{reason, std::move(detail)};
}

asio::awaitable<std::error_code> Connection::write_all(std::string_view data) {
  if (state_->expired) co_return make_error_code(asio::error::operation_aborted);
  std::error_code ec;
  co_await asio::async_write(state_->socket, asio::buffer(data.data(), data.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<std::error_code> Connection::read_some(std::span<char> buffer,
                                                       std::size_t& bytes_read) {
  bytes_read = 0;
  if (state_->expired) co_return make_error_code(asio::error::operation_aborted);
  std::error_code ec;
  bytes_read = co_await state_->socket.async_read_some(
      asio::buffer(buffer.data(), buffer.size()), asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

}  // namespace starttls_exporter::prober
