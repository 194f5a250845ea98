#pragma once
/// \file
/// The web port's gate: the only thing that faces clients. It accepts every connection on the
/// public address, runs the TLS handshake when the web config asks for TLS, reads and checks
/// the request head, and only then relays the request to the HTTP server on loopback and its
/// answer back. Slow, idle and malformed clients therefore cost a few hundred bytes on one
/// event loop and never hold one of the HTTP server's worker threads. Private to src/web.
///
/// Threads: one, running the gate's event loop. client_of() is thread-safe (the HTTP server's
/// workers call it); the rest is called from the thread that owns the object.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "request_head.hpp"
#include "starttls_exporter/config/web_config.hpp"
#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::web {

/// The gate's limits. Defaults are documented in README (Operations → The web port under load).
struct GateLimits {
  /// Accept to completed TLS handshake.
  std::chrono::milliseconds handshake_timeout{10'000};
  /// Accept (plain HTTP) or completed handshake (TLS) to a complete request head and body.
  std::chrono::milliseconds head_timeout{5'000};
  /// While the answer is relayed: how long the client may take to accept the next bytes.
  std::chrono::milliseconds stall_timeout{30'000};
  /// While a handler runs: how long the HTTP server may stay silent (a /probe takes up to its
  /// module's timeout before the first byte).
  std::chrono::milliseconds backend_timeout{120'000};
  /// Connections open at once. At the limit a new connection closes the oldest one still
  /// without a complete request head; when every one is past its head, the new one is closed.
  std::size_t max_connections = 4096;
  /// Connections open at once from one client address. At the limit a new connection from it
  /// closes its oldest one still without a complete request head; when every one is past its
  /// head, the new one is closed at accept.
  std::size_t max_connections_per_client = 256;
  HeadLimits head{};
};

class Gate {
 public:
  /// Binds `listen_address` ("HOST:PORT", see listen_on) and, with `tls`, builds the server
  /// credentials (tls::TlsError naming the file). Throws std::invalid_argument for a
  /// malformed address, std::runtime_error when it cannot listen. Accepts nothing before
  /// start(). `counters` must outlive the gate.
  Gate(const std::string& listen_address, const std::optional<config::WebTlsConfig>& tls,
       GateLimits limits, http::WebCounters& counters);
  ~Gate();  ///< stop()
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  int port() const noexcept;  ///< the public port actually bound (resolves port 0)
  /// Starts the event loop; requests are relayed to 127.0.0.1:backend_port. Call once.
  void start(int backend_port);
  /// Closes the listener and every connection and ends the event loop thread. Idempotent.
  void stop() noexcept;

  /// The real client's address ("192.0.2.7", "::1") when `peer_ip`:`peer_port`, as the HTTP
  /// server sees its peer, is a relay connection this gate holds open; nullopt otherwise (a
  /// direct connection to the HTTP server, which must be refused).
  std::optional<std::string> client_of(const std::string& peer_ip, int peer_port) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::web
