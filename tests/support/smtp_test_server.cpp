#include "smtp_test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
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
    int fd;  ///< closed only by the destructor, or by a reset under `mutex` (then -1)
    std::thread thread;
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
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) continue;
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
  std::lock_guard lock(mutex);
  ++finished;
  changed.notify_all();
}

SmtpTestServer::SmtpTestServer(SmtpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl_->listen_fd < 0) throw std::runtime_error("smtp test server: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(impl_->listen_fd, 64) != 0 ||
      ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(impl_->listen_fd);
    throw std::runtime_error("smtp test server: bind/listen failed");
  }
  impl_->port = ntohs(addr.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
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
