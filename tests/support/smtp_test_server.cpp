#include "smtp_test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace starttls_exporter::testing {

struct SmtpTestServer::Impl {
  struct Conn {
    int fd;  ///< closed under `mutex` (then -1): by a reset, when serve() ends, or at shutdown
    std::thread thread;
    bool done = false;  ///< serve() has ended; the acceptor may join and forget it
  };

  SmtpServerOptions options;
  int listen_fd = -1;
  std::uint16_t port = 0;
  std::thread acceptor;
  mutable std::mutex mutex;
  mutable std::condition_variable changed;  ///< stop requested or a connection finished
  bool stopping = false;
  int finished = 0;
  std::list<Conn> conns;  ///< a list: references stay valid while the acceptor appends
  std::vector<std::string> received;
  std::atomic<int> connections{0};
  std::atomic<bool> spoke_early{false};
  std::atomic<bool> tls_ok{false};

  void accept_loop();
  void reap_finished();
  void park_loop();
  void count_finished();
  void serve(Conn& conn);
  bool is_stopping() const {
    std::lock_guard lock(mutex);
    return stopping;
  }
};

namespace {

class PeerImpl final : public SmtpPeer {
 public:
  PeerImpl(SmtpTestServer::Impl& server, SmtpTestServer::Impl::Conn& conn)
      : server_(server), conn_(conn), fd_(conn.fd) {}

  bool send(std::string_view data) override {
    if (fd_ < 0 || server_.is_stopping()) return false;
    if (tls_) return tls_->write(data);
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  std::optional<std::string> read_line(std::chrono::milliseconds timeout) override {
    if (fd_ < 0) return std::nullopt;
    std::optional<std::string> line = tls_ ? tls_->read_line(timeout) : read_plain_line(timeout);
    if (line) {
      std::string bare = *line;
      while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.pop_back();
      std::lock_guard lock(server_.mutex);
      server_.received.push_back(std::move(bare));
    }
    return line;
  }

  bool start_tls(bool handshake) override {
    if (fd_ < 0 || !server_.options.cert) return false;
    tls_ = std::make_unique<TlsServerSession>(fd_, *server_.options.cert, server_.options.tls);
    if (!handshake) return true;
    const bool ok = tls_->handshake();
    if (ok) server_.tls_ok = true;
    return ok;
  }

  bool client_sent_data() override {
    char byte;
    return fd_ >= 0 && ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }

  bool pause(std::chrono::milliseconds duration) override {
    std::unique_lock lock(server_.mutex);
    return !server_.changed.wait_for(lock, duration, [&] { return server_.stopping; });
  }

  void wait_for_close() override {
    char buffer[4096];
    while (fd_ >= 0 && !server_.is_stopping()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (::recv(fd_, buffer, sizeof buffer, 0) <= 0) return;
    }
  }

  void close(bool reset) override {
    if (fd_ < 0) return;
    tls_.reset();
    std::lock_guard lock(server_.mutex);
    if (reset) {
      const linger abortive{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
      ::close(fd_);
      conn_.fd = -1;
    } else {
      ::shutdown(fd_, SHUT_RDWR);
    }
    fd_ = -1;
  }

  TlsServerSession* tls() override { return tls_.get(); }
  void note_spoke_early() override { server_.spoke_early = true; }

 private:
  std::optional<std::string> read_plain_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (line.size() < 64 * 1024) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char c;  // one byte at a time: never swallow the ClientHello that follows STARTTLS
      if (::recv(fd_, &c, 1, 0) != 1) return std::nullopt;
      line.push_back(c);
      if (c == '\n') return line;
    }
    return std::nullopt;
  }

  SmtpTestServer::Impl& server_;
  SmtpTestServer::Impl::Conn& conn_;
  int fd_;
  std::unique_ptr<TlsServerSession> tls_;
};

}  // namespace

void SmtpTestServer::Impl::accept_loop() {
  while (!is_stopping()) {
    reap_finished();
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // GnuTLS sends a server flight in several writes; with Nagle each waits for the client's
    // delayed ACK (40 ms), which would dwarf what the tests measure.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::lock_guard lock(mutex);
    if (stopping) {
      ::close(fd);
      return;
    }
    ++connections;
    Conn& conn = conns.emplace_back(Conn{fd, {}});
    conn.thread = std::thread([this, &conn] { serve(conn); });
  }
}

void SmtpTestServer::Impl::count_finished() {
  std::lock_guard lock(mutex);
  ++finished;
  changed.notify_all();
}

// One thread, one poll set: the listening socket plus every parked connection. Input is read
// and discarded only to notice the client's close.
void SmtpTestServer::Impl::park_loop() {
  std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
  while (!is_stopping()) {
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (std::size_t i = fds.size() - 1; i >= 1; --i) {
      if (fds[i].revents == 0) continue;
      char discard[512];
      const ssize_t n = ::recv(fds[i].fd, discard, sizeof discard, MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) continue;
      ::close(fds[i].fd);
      fds[i] = fds.back();  // already visited: the scan runs from the back
      fds.pop_back();
      count_finished();
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    // The listening socket is non-blocking: take every pending connection.
    for (int fd; (fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
      ++connections;
      fds.push_back(pollfd{fd, POLLIN, 0});
    }
  }
  for (std::size_t i = 1; i < fds.size(); ++i) ::close(fds[i].fd);
}

void SmtpTestServer::Impl::serve(Conn& conn) {
  try {
    PeerImpl peer(*this, conn);
    if (options.script) {
      options.script(peer);
    } else {
      run_behaviour(options.behaviour, peer);
    }
    peer.close(false);
  } catch (...) {
    // A script error must not terminate the test process; the probe's result shows it.
  }
  // Closed here rather than at shutdown, so that a long-lived server holds no descriptor per
  // connection it served.
  std::lock_guard lock(mutex);
  if (conn.fd >= 0) ::close(conn.fd);
  conn.fd = -1;
  conn.done = true;
  ++finished;
  changed.notify_all();
}

// Joins the threads whose serve() ended. On the acceptor thread only (it alone adds to
// `conns`); a list splice keeps the node, which the ending thread may still reference.
void SmtpTestServer::Impl::reap_finished() {
  std::list<Conn> ended;
  {
    std::lock_guard lock(mutex);
    for (auto it = conns.begin(); it != conns.end();) {
      auto next = std::next(it);
      if (it->done) ended.splice(ended.end(), conns, it);
      it = next;
    }
  }
  for (auto& conn : ended) conn.thread.join();
}

SmtpTestServer::SmtpTestServer(SmtpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  // Non-blocking, so that the park loop can drain every pending connection at once.
  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (impl_->listen_fd < 0) throw std::runtime_error("smtp test server: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(impl_->options.port);
  socklen_t len = sizeof addr;
  const int one = 1;
  if (::inet_pton(AF_INET, impl_->options.address.c_str(), &addr.sin_addr) != 1 ||
      (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    ::close(impl_->listen_fd);
    throw std::runtime_error("smtp test server: not an IPv4 loopback address");
  }
  if (::setsockopt(impl_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(impl_->listen_fd, SOMAXCONN) != 0 ||
      ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(impl_->listen_fd);
    throw std::runtime_error("smtp test server: bind/listen failed");
  }
  impl_->port = ntohs(addr.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] {
    if (impl->options.park) {
      impl->park_loop();
    } else {
      impl->accept_loop();
    }
  });
}

SmtpTestServer::~SmtpTestServer() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->changed.notify_all();
  }
  impl_->acceptor.join();
  {
    // Wakes every thread blocked in poll, recv or send on its connection.
    std::lock_guard lock(impl_->mutex);
    for (auto& conn : impl_->conns) {
      if (conn.fd >= 0) ::shutdown(conn.fd, SHUT_RDWR);
    }
  }
  for (auto& conn : impl_->conns) conn.thread.join();
  for (auto& conn : impl_->conns) {
    if (conn.fd >= 0) ::close(conn.fd);
  }
  ::close(impl_->listen_fd);
}

std::uint16_t SmtpTestServer::port() const noexcept {
  return impl_->port;
}

std::vector<std::string> SmtpTestServer::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

int SmtpTestServer::connections() const noexcept {
  return impl_->connections;
}
bool SmtpTestServer::client_spoke_early() const noexcept {
  return impl_->spoke_early;
}
bool SmtpTestServer::tls_established() const noexcept {
  return impl_->tls_ok;
}

bool SmtpTestServer::wait_finished(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->finished >= count; });
}

}  // namespace starttls_exporter::testing
