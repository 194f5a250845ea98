#pragma once
/// \file
/// GnuTLS over a non-blocking Asio TCP socket, for both TLS sides (the probe's client, the web
/// port's server). Private to the GnuTLS areas.
///
/// Deadline contract: nothing here owns a timer. Whoever enforces a deadline closes the
/// socket; a pending wait then ends at once and every later record call fails with EBADF,
/// because the descriptor is read from the socket afresh at each call (a closed-and-reused
/// descriptor number is never touched).

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <gnutls/gnutls.h>

namespace starttls_exporter::tls {

/// The transport state of one session. Used from the thread that runs the socket's executor.
struct AsioTransport {
  explicit AsioTransport(asio::ip::tcp::socket& s) : socket(s) {}
  asio::ip::tcp::socket& socket;  ///< not owned
  gnutls_session_t session = nullptr;
  int last_errno = 0;     ///< errno of the last failed recv/send, 0 when none
  bool peer_eof = false;  ///< recv returned 0
};

/// Makes `session` read and write `transport.socket` without blocking; `transport` must
/// outlive the session's I/O. The GnuTLS handshake timeout is switched off: the caller's
/// deadline applies.
void attach(gnutls_session_t session, AsioTransport& transport);

/// Waits until the direction GnuTLS last wanted (gnutls_record_get_direction) is ready. False
/// when the socket was closed meanwhile (the caller's deadline).
asio::awaitable<bool> wait_ready(AsioTransport& transport);

/// True when the socket was closed under the session (a deadline), judged after a failure.
inline bool closed_by_deadline(const AsioTransport& t) {
  return !t.socket.is_open() || t.last_errno == EBADF;
}

}  // namespace starttls_exporter::tls
