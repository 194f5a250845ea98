// The web port's server-side TLS session over a non-blocking Asio socket.
#include "server_stream.hpp"

#include "asio_transport.hpp"
#include "gnutls_error.hpp"
#include "server_credentials.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::tls {

struct ServerContext::Impl {
  ServerCredentials credentials;
};

ServerContext::ServerContext(const ServerSettings& settings)
    : impl_(std::make_unique<Impl>(Impl{build_server_credentials(settings)})) {}

ServerContext::~ServerContext() = default;

struct ServerStream::Impl {
  Impl(asio::ip::tcp::socket& socket, const ServerCredentials& credentials)
      : io(socket), session(make_server_session(credentials)) {
    attach(session.get(), io);
  }
  AsioTransport io;
  SessionPtr session;
  bool handshake_done = false;
};

ServerStream::ServerStream(asio::ip::tcp::socket& socket, const ServerContext& context)
    : impl_(std::make_unique<Impl>(socket, context.impl().credentials)) {}

ServerStream::~ServerStream() = default;

asio::awaitable<HandshakeEnd> ServerStream::handshake(const std::string& client) {
  gnutls_session_t s = impl_->session.get();
  for (;;) {
    const int rc = gnutls_handshake(s);
    if (rc == GNUTLS_E_SUCCESS) {
      impl_->handshake_done = true;
      co_return HandshakeEnd::done;
    }
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
      if (!co_await wait_ready(impl_->io)) co_return HandshakeEnd::closed;
      continue;
    }
    if (!gnutls_error_is_fatal(rc)) continue;  // a warning alert: the handshake goes on
    if (closed_by_deadline(impl_->io)) co_return HandshakeEnd::closed;
    if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
      const char* alert = gnutls_alert_get_name(gnutls_alert_get(s));
      log::warn("web TLS: client aborted the handshake",
                {{"client", client}, {"alert", alert ? alert : "unknown"}});
    } else {
      log::debug("web TLS: handshake failed", {{"client", client}, {"error", gnutls_strerror(rc)}});
    }
    co_return HandshakeEnd::failed;
  }
}

asio::awaitable<std::size_t> ServerStream::read_some(std::span<char> buffer, std::error_code& ec) {
  ec = {};
  if (!impl_->handshake_done) {
    ec = asio::error::not_connected;
    co_return 0;
  }
  for (;;) {
    const auto n = gnutls_record_recv(impl_->session.get(), buffer.data(), buffer.size());
    if (n > 0) co_return static_cast<std::size_t>(n);
    if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
      ec = asio::error::eof;
      co_return 0;
    }
    if (n == GNUTLS_E_AGAIN) {
      if (co_await wait_ready(impl_->io)) continue;
      ec = asio::error::operation_aborted;
      co_return 0;
    }
    if (n != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal(static_cast<int>(n))) {
      ec = closed_by_deadline(impl_->io) ? std::error_code(asio::error::operation_aborted)
                                         : make_gnutls_error(static_cast<int>(n));
      co_return 0;
    }  // else: a warning alert or a refused renegotiation; keep reading
  }
}

asio::awaitable<std::error_code> ServerStream::write_all(std::string_view data) {
  if (!impl_->handshake_done) co_return asio::error::not_connected;
  while (!data.empty()) {
    const auto n = gnutls_record_send(impl_->session.get(), data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n == GNUTLS_E_AGAIN) {
      if (!co_await wait_ready(impl_->io)) co_return asio::error::operation_aborted;
    } else if (n != GNUTLS_E_INTERRUPTED) {
      co_return closed_by_deadline(impl_->io) ? std::error_code(asio::error::operation_aborted)
                                              : make_gnutls_error(static_cast<int>(n));
    }
  }
  co_return std::error_code{};
}

void ServerStream::close_notify() noexcept {
  if (impl_->handshake_done) gnutls_bye(impl_->session.get(), GNUTLS_SHUT_WR);
}

void check_server_settings(const ServerSettings& settings) {
  build_server_credentials(settings);
}

}  // namespace starttls_exporter::tls
