#pragma once
/// \file
/// TLS on the exporter's own web port: a terminator in front of the plaintext HTTP server.
/// Private to src/web. Namespace tls: it is GnuTLS' server side, as src/tls_client is its
/// client side; both share src/gnutls.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "starttls_exporter/trust_store.hpp"
#include "starttls_exporter/web_config.hpp"

namespace starttls_exporter::tls {

// ---- Server side: TLS on the exporter's own web port ---------------------------------------

/// The terminator's settings: the web config's tls_server_config, files already read.
using ServerSettings = config::WebTlsConfig;
using config::ClientAuth;

/// Builds the credentials of `settings` as the terminator would, to validate a configuration.
/// Throws tls::TlsError naming the file that fails (not PEM, key not matching the certificate).
void check_server_settings(const ServerSettings& settings);

struct TerminatorLimits {
  std::chrono::milliseconds handshake_timeout{10'000};  ///< accept to handshake done
  std::chrono::milliseconds idle_timeout{120'000};      ///< no byte in either direction
  int max_connections = 64;  ///< more are accepted and closed at once (and logged)
};

/// TLS termination in front of a plaintext HTTP server on loopback: accepts on the public
/// address, runs the handshake, then relays bytes both ways to 127.0.0.1:backend_port.
///
/// Threads: one accept thread plus one thread per connection (at most max_connections), each
/// waiting in poll(2) with deadlines. client_of() is thread-safe; the rest is called from the
/// thread that owns the object.
class Terminator {
 public:
  /// Builds the credentials (tls::TlsError naming the file) and binds `listen_address`
  /// ("HOST:PORT";
  /// ":9725" is every interface, IPv6 too when available; "localhost" is 127.0.0.1; IPv6 in
  /// brackets). Throws std::invalid_argument for a malformed address and std::runtime_error
  /// when it cannot listen. Accepts nothing before start().
  Terminator(const std::string& listen_address, const ServerSettings& settings,
             TerminatorLimits limits = {});
  ~Terminator();  ///< stop()
  Terminator(const Terminator&) = delete;
  Terminator& operator=(const Terminator&) = delete;

  int port() const noexcept;  ///< the port actually bound (resolves port 0)
  /// Starts accepting; connections are relayed to 127.0.0.1:backend_port. Call once.
  void start(int backend_port);
  /// Closes the listener and every connection, waits for their threads. Idempotent; prompt.
  void stop() noexcept;

  /// The real client's address ("192.0.2.7", "::1") when `peer_ip`:`peer_port`, as the backend
  /// sees its peer, is a relay connection this terminator holds open; nullopt otherwise (a
  /// direct connection to the backend, which must be refused).
  std::optional<std::string> client_of(const std::string& peer_ip, int peer_port) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::tls
