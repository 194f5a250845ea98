#pragma once
/// \file
/// A TCP connection bounded by a deadline, and the byte-stream interface the SMTP dialogue talks
/// over (plaintext here, TLS after STARTTLS).
///
/// Threading: everything runs on one executor, which must not run handlers concurrently (an
/// io_context run by one thread, or a strand): the deadline handler closes the socket that the
/// probe's coroutine uses.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::prober {

/// A byte stream. Implementations never throw for I/O errors; they return them.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual asio::awaitable<std::error_code> write_all(std::string_view data) = 0;
  virtual asio::awaitable<std::error_code> read_some(std::span<char> buffer,
                                                     std::size_t& bytes_read) = 0;
};

/// A classified socket error.
struct IoFailure {
  FailureReason reason = FailureReason::io_error;
  std::string detail;
};

/// connect(2) errors: refused, unreachable, EMFILE/ENFILE, EAFNOSUPPORT (no such family on
/// this host: address_family_unsupported), else connect_error.
/// Anything after the deadline expired is a timeout, whatever the error says.
FailureReason classify_connect_error(std::error_code ec, bool expired) noexcept;
/// Stream errors: EOF -> connection_closed, ECONNRESET/EPIPE -> connection_reset, else io_error.
FailureReason classify_io_error(std::error_code ec, bool expired) noexcept;

/// The socket plus its deadline timer. When the deadline passes, expired() becomes true and the
/// socket is closed, so every pending and later operation fails promptly; the TLS session relies
/// on this (tls.hpp's deadline contract).
class Connection final : public Channel {
 public:
  using Clock = std::chrono::steady_clock;

  /// Arms the deadline at once (a deadline in the past expires at the next handler run).
  Connection(const asio::any_io_executor& executor, Clock::time_point deadline);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Opens the socket, binds `source` when given (port chosen at connect), and connects.
  /// nullopt on success. A `source` of the other family, or a connect that fails because this
  /// host has no usable address of the target's family, is address_family_unsupported; a
  /// `source` that cannot be bound (not local) is source_address_unavailable.
  asio::awaitable<std::optional<IoFailure>> connect(
      const asio::ip::tcp::endpoint& endpoint,
      const std::optional<asio::ip::address>& source = std::nullopt);

  asio::awaitable<std::error_code> write_all(std::string_view data) override;
  asio::awaitable<std::error_code> read_some(std::span<char> buffer,
                                             std::size_t& bytes_read) override;

  /// Moves the deadline (the quit phase shortens it). The socket stays closed once expired.
  void set_deadline(Clock::time_point deadline);
  Clock::time_point deadline() const noexcept { return deadline_; }
  bool expired() const noexcept;

  /// For the TLS session, which reads and writes it directly after STARTTLS.
  asio::ip::tcp::socket& socket() noexcept;
  void close() noexcept;

 private:
  struct State;
  void arm();

  std::shared_ptr<State> state_;  ///< shared with the timer handler, which holds a weak_ptr
  Clock::time_point deadline_;
};

}  // namespace starttls_exporter::prober
