// GnuTLS transport callbacks over a non-blocking socket, and the readiness wait.
#include "asio_transport.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>

namespace starttls_exporter::tls {
namespace {

void record_errno(AsioTransport& t, int err) {
  t.last_errno = err;
  gnutls_transport_set_errno(t.session, err == EWOULDBLOCK ? EAGAIN : err);
}

ssize_t pull(gnutls_transport_ptr_t ptr, void* data, size_t size) {
  auto& t = *static_cast<AsioTransport*>(ptr);
  const int fd = t.socket.native_handle();
  const ssize_t n = fd < 0 ? (errno = EBADF, -1) : ::recv(fd, data, size, MSG_DONTWAIT);
  if (n < 0) record_errno(t, errno);
  if (n == 0) t.peer_eof = true;
  return n;
}

ssize_t push(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
  auto& t = *static_cast<AsioTransport*>(ptr);
  const int fd = t.socket.native_handle();
  const ssize_t n =
      fd < 0 ? (errno = EBADF, -1) : ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) record_errno(t, errno);
  return n;
}

// Never blocks the executor: GnuTLS in non-blocking mode only asks "is data there now?".
int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int) {
  auto& t = *static_cast<AsioTransport*>(ptr);
  pollfd p{t.socket.native_handle(), POLLIN, 0};
  if (p.fd < 0) {
    record_errno(t, EBADF);
    return -1;
  }
  const int rc = ::poll(&p, 1, 0);
  if (rc < 0) record_errno(t, errno);
  return rc;
}

}  // namespace

void attach(gnutls_session_t session, AsioTransport& transport) {
  transport.session = session;
  gnutls_handshake_set_timeout(session, 0);
  gnutls_transport_set_ptr(session, &transport);
  gnutls_transport_set_pull_function(session, pull);
  gnutls_transport_set_push_function(session, push);
  gnutls_transport_set_pull_timeout_function(session, pull_timeout);
}

asio::awaitable<bool> wait_ready(AsioTransport& t) {
  std::error_code ec;
  const auto what = gnutls_record_get_direction(t.session) == 1 ? asio::ip::tcp::socket::wait_write
                                                                : asio::ip::tcp::socket::wait_read;
  co_await t.socket.async_wait(what, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && t.socket.is_open();
}

}  // namespace starttls_exporter::tls
