#pragma once
/// \file
/// TLS on the exporter's own web port, GnuTLS' server side over an Asio socket: the web
/// port's gate (src/web/gate) runs the handshake and reads and writes plaintext through it.
/// Namespace tls: it is GnuTLS' server side, as src/tls_client is its client side; both
/// share src/lib/gnutls. Private to src/web; hides GnuTLS behind pimpl.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "starttls_exporter/config/web_config.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"

namespace starttls_exporter::tls {

/// The web port's TLS settings: the web config's tls_server_config, files already read.
using ServerSettings = config::WebTlsConfig;
using config::ClientAuth;

/// Builds the credentials of `settings` as the web port would, to validate a configuration.
/// Throws tls::TlsError naming the file that fails (not PEM, key not matching the certificate).
void check_server_settings(const ServerSettings& settings);

/// Credentials and priorities built once, shared by every connection. Immutable.
class ServerContext {
 public:
  /// Throws tls::TlsError naming the file that fails.
  explicit ServerContext(const ServerSettings& settings);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

enum class HandshakeEnd {
  done,
  closed,  ///< the socket was closed under the handshake (the caller's deadline or stop)
  failed,  ///< not TLS, no shared version, a rejected client certificate, an alert, EOF
};

/// One server-side session on an accepted socket. Deadline contract as for the client
/// session (asio_transport.hpp): the caller closes the socket to end any wait.
class ServerStream {
 public:
  /// `socket` and `context` must outlive the stream. Throws tls::TlsError.
  ServerStream(asio::ip::tcp::socket& socket, const ServerContext& context);
  ~ServerStream();
  ServerStream(const ServerStream&) = delete;
  ServerStream& operator=(const ServerStream&) = delete;

  /// Logs a failure without secrets: a client's fatal alert (it rejected our certificate) at
  /// warn, the rest (scanners, plain HTTP on the TLS port) at debug. Never throws.
  asio::awaitable<HandshakeEnd> handshake(const std::string& client);
  /// Plaintext into `buffer`; 0 with `ec` set at the end (asio::error::eof for the client's
  /// close_notify or EOF). Only after a completed handshake.
  asio::awaitable<std::size_t> read_some(std::span<char> buffer, std::error_code& ec);
  asio::awaitable<std::error_code> write_all(std::string_view data);
  /// Best effort, never waits: close_notify when the socket takes it at once.
  void close_notify() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::tls
