// One terminated connection. Blocking-free: every descriptor is non-blocking and each wait is
// a poll(2) on the connection's descriptors plus the terminator's stop descriptor, bounded by
// the handshake or idle deadline. A thread per connection (bounded by max_connections) keeps
// this simple and matches CivetWeb behind it, which also serves a connection per thread.
#include "server_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <span>

#include "starttls_exporter/log.hpp"

namespace starttls_exporter::tls {
namespace {

using Clock = std::chrono::steady_clock;

/// Reaching CivetWeb on loopback; only a full accept queue makes it wait at all.
constexpr std::chrono::seconds kBackendConnectTimeout{5};

enum class Wait { ready, timeout, stopped };

/// poll(2) on `fds` (entries with fd -1 are ignored) and the stop descriptor until one is
/// ready, `deadline` passes, or the terminator stops.
Wait wait_for(std::span<pollfd> fds, int stop_fd, Clock::time_point deadline) {
  std::array<pollfd, 3> all{};
  for (std::size_t i = 0; i < fds.size(); ++i) all[i] = fds[i];
  all[fds.size()] = {stop_fd, POLLIN, 0};
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Wait::timeout;
    const int ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
    const int rc = ::poll(all.data(), fds.size() + 1, ms);
    if (rc < 0 && errno != EINTR) return Wait::stopped;  // cannot wait: give the connection up
    if (rc <= 0) continue;
    if (all[fds.size()].revents != 0) return Wait::stopped;
    for (std::size_t i = 0; i < fds.size(); ++i) fds[i].revents = all[i].revents;
    return Wait::ready;
  }
}

/// Handshake until done or the handshake deadline. Failures are logged without secrets: a
/// client's fatal alert (it rejected our certificate) at warn, the rest (scanners, plain HTTP
/// on the TLS port, timeouts) at debug.
bool handshake(gnutls_session_t s, int fd, const ConnectionContext& ctx,
               const std::string& client) {
  const auto deadline = Clock::now() + ctx.limits.handshake_timeout;
  for (;;) {
    const int rc = gnutls_handshake(s);
    if (rc == GNUTLS_E_SUCCESS) return true;
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
      pollfd p{fd, static_cast<short>(gnutls_record_get_direction(s) == 1 ? POLLOUT : POLLIN), 0};
      const Wait w = wait_for({&p, 1}, ctx.stop_fd, deadline);
      if (w == Wait::ready) continue;
      if (w == Wait::timeout) log::debug("web TLS: handshake timed out", {{"client", client}});
      return false;
    }
    if (!gnutls_error_is_fatal(rc)) continue;  // a warning alert: the handshake goes on
    if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
      const char* alert = gnutls_alert_get_name(gnutls_alert_get(s));
      log::warn("web TLS: client aborted the handshake",
                {{"client", client}, {"alert", alert ? alert : "unknown"}});
    } else {
      log::debug("web TLS: handshake failed", {{"client", client}, {"error", gnutls_strerror(rc)}});
    }
    return false;
  }
}

/// A connected socket to 127.0.0.1:port and its local port, or an empty fd.
UniqueFd connect_backend(const ConnectionContext& ctx, int& local_port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(ctx.backend_port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) return {};
    pollfd p{fd.get(), POLLOUT, 0};
    if (wait_for({&p, 1}, ctx.stop_fd, Clock::now() + kBackendConnectTimeout) != Wait::ready) {
      return {};
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return {};
  }
  sockaddr_in local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) return {};
  local_port = ntohs(local.sin_port);
  return fd;
}

/// Bytes read from one side, not yet written to the other.
struct Pending {
  std::array<char, 16 * 1024> data;
  std::size_t begin = 0;
  std::size_t end = 0;
  bool empty() const noexcept { return begin == end; }
  std::size_t size() const noexcept { return end - begin; }
  void consumed(std::size_t n) noexcept {
    begin += n;
    if (begin == end) begin = end = 0;
  }
};

bool would_block(long rc) {
  return rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED;
}
bool would_block_errno() {
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/// Copies plaintext both ways until the HTTP server has answered and closed, the client left,
/// nothing moved for idle_timeout, or the terminator stops.
void relay(gnutls_session_t s, int tls_fd, int plain_fd, const ConnectionContext& ctx) {
  Pending up;    // client -> HTTP server
  Pending down;  // HTTP server -> client
  bool client_eof = false, backend_eof = false, backend_shut = false;
  auto idle_deadline = Clock::now() + ctx.limits.idle_timeout;
  for (;;) {
    bool moved = false;
    if (!client_eof && up.empty()) {
      const auto n = gnutls_record_recv(s, up.data.data(), up.data.size());
      if (n > 0) up.end = static_cast<std::size_t>(n);
      if (n == 0) client_eof = true;
      if (n < 0 && !would_block(n) && gnutls_error_is_fatal(static_cast<int>(n))) return;
      moved = !would_block(n);  // data, EOF, or a warning alert / refused renegotiation
    }
    if (!up.empty()) {
      const auto n = ::send(plain_fd, up.data.data() + up.begin, up.size(), MSG_NOSIGNAL);
      if (n < 0 && !would_block_errno()) return;
      if (n > 0) up.consumed(static_cast<std::size_t>(n)), moved = true;
    }
    if (client_eof && up.empty() && !backend_shut) {
      ::shutdown(plain_fd, SHUT_WR);  // the client's half-close, passed on
      backend_shut = true;
    }
    if (!backend_eof && down.empty()) {
      const auto n = ::recv(plain_fd, down.data.data(), down.data.size(), 0);
      if (n < 0 && !would_block_errno()) return;
      if (n > 0) down.end = static_cast<std::size_t>(n);
      if (n == 0) backend_eof = true;
      moved = moved || n >= 0;
    }
    if (!down.empty()) {
      const auto n = gnutls_record_send(s, down.data.data() + down.begin, down.size());
      if (n < 0 && !would_block(n)) return;
      if (n > 0) down.consumed(static_cast<std::size_t>(n)), moved = true;
    }
    if (backend_eof && down.empty()) {
      gnutls_bye(s, GNUTLS_SHUT_WR);  // best effort: the answer is complete
      return;
    }
    if (moved) {
      idle_deadline = Clock::now() + ctx.limits.idle_timeout;
      continue;
    }
    std::array<pollfd, 2> fds{};
    const short tls_events = static_cast<short>((!client_eof && up.empty() ? POLLIN : 0) |
                                                (!down.empty() ? POLLOUT : 0));
    const short plain_events = static_cast<short>((!backend_eof && down.empty() ? POLLIN : 0) |
                                                  (!up.empty() ? POLLOUT : 0));
    fds[0] = {tls_events ? tls_fd : -1, tls_events, 0};
    fds[1] = {plain_events ? plain_fd : -1, plain_events, 0};
    const Wait w = wait_for(fds, ctx.stop_fd, idle_deadline);
    if (w == Wait::timeout) log::debug("web TLS: idle connection closed");
    if (w != Wait::ready) return;
  }
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

}  // namespace

void RelayRegistry::add(int local_port, std::string client) {
  const std::lock_guard lock(mutex_);
  clients_[local_port] = std::move(client);
}

void RelayRegistry::remove(int local_port) {
  const std::lock_guard lock(mutex_);
  clients_.erase(local_port);
}

std::optional<std::string> RelayRegistry::find(int local_port) const {
  const std::lock_guard lock(mutex_);
  const auto it = clients_.find(local_port);
  if (it == clients_.end()) return std::nullopt;
  return it->second;
}

void serve_connection(UniqueFd client, const std::string& client_address,
                      const ConnectionContext& ctx) noexcept {
  try {
    const SessionPtr session = make_server_session(ctx.credentials, client.get());
    if (!handshake(session.get(), client.get(), ctx, client_address)) return;
    int local_port = 0;
    const UniqueFd backend = connect_backend(ctx, local_port);
    if (!backend) {
      log::warn("web TLS: cannot reach the HTTP server", {{"client", client_address}});
      return;
    }
    // Registered before the first byte reaches the HTTP server, removed before the socket
    // closes (declared after it), so the port is never found while another socket could hold it.
    const Registration registration(ctx.registry, local_port, client_address);
    relay(session.get(), client.get(), backend.get(), ctx);
  } catch (const std::exception& e) {
    log::warn("web TLS: connection failed", {{"client", client_address}, {"error", e.what()}});
  }
}

}  // namespace starttls_exporter::tls
