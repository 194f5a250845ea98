// Terminator: the accept thread, the bounded set of connection threads, and stop().
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <poll.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <stdexcept>
#include <thread>

#include "server_session.hpp"
#include "starttls_exporter/log.hpp"

namespace starttls_exporter::tls {

struct Terminator::Impl {
  ServerCredentials credentials;
  TerminatorLimits limits;
  UniqueFd listener;
  UniqueFd stop_event;  ///< eventfd, readable once stop() ran: ends every poll
  int port = 0;
  int backend_port = 0;
  RelayRegistry registry;
  std::thread acceptor;
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  /// Connection threads, joined once done. Touched by the accept thread only, and by stop()
  /// after that thread ended.
  std::list<Worker> workers;
  std::chrono::steady_clock::time_point last_refusal_log{};  ///< accept thread only

  ConnectionContext context() {
    return {credentials, limits, stop_event.get(), backend_port, registry};
  }
};

namespace {

/// Too many connections: close at once. Logged at most every 10 s, so a flood cannot fill
/// the log.
void refuse(Terminator::Impl& impl, UniqueFd connection, const std::string& client) {
  connection.reset();
  const auto now = std::chrono::steady_clock::now();
  if (now - impl.last_refusal_log < std::chrono::seconds(10)) return;
  impl.last_refusal_log = now;
  log::warn("web TLS: connection limit reached; closing new connections",
            {{"client", client}, {"max_connections", std::to_string(impl.limits.max_connections)}});
}

/// Joins the connection threads that have ended.
void reap(Terminator::Impl& impl) {
  impl.workers.remove_if([](Terminator::Impl::Worker& w) {
    if (!w.done.load()) return false;
    w.thread.join();
    return true;
  });
}

/// One connection on its own thread, if fewer than max_connections run.
void spawn(Terminator::Impl& impl, UniqueFd connection, std::string client) {
  reap(impl);
  if (impl.workers.size() >= static_cast<std::size_t>(impl.limits.max_connections)) {
    refuse(impl, std::move(connection), client);
    return;
  }
  auto& worker = impl.workers.emplace_back();
  try {
    worker.thread = std::thread(
        [&impl, &worker, c = std::move(connection), client = std::move(client)]() mutable {
          serve_connection(std::move(c), client, impl.context());
          worker.done = true;
        });
  } catch (const std::system_error& e) {
    impl.workers.pop_back();
    log::warn("web TLS: cannot start a connection thread", {{"error", e.what()}});
  }
}

void accept_loop(Terminator::Impl& impl) {
  for (;;) {
    std::array<pollfd, 2> fds{
        {{impl.listener.get(), POLLIN, 0}, {impl.stop_event.get(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      log::error("web TLS: cannot wait for connections", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    UniqueFd connection(::accept4(impl.listener.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                  SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!connection) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        log::warn("web TLS: cannot accept", {{"error", std::strerror(errno)}});
        pollfd stop{impl.stop_event.get(), POLLIN, 0};
        ::poll(&stop, 1, 100);  // the pending connection stays queued; do not spin on it
      }
      continue;
    }
    spawn(impl, std::move(connection), address_text(&peer));
  }
}

}  // namespace

Terminator::Terminator(const std::string& listen_address, const ServerSettings& settings,
                       TerminatorLimits limits)
    : impl_(std::make_unique<Impl>()) {
  impl_->credentials = build_server_credentials(settings);
  impl_->limits = limits;
  if (impl_->limits.max_connections < 1) throw std::invalid_argument("max_connections < 1");
  impl_->listener = listen_on(listen_address, impl_->port);
  impl_->stop_event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl_->stop_event) throw std::runtime_error("eventfd: " + std::string(std::strerror(errno)));
}

Terminator::~Terminator() {
  stop();
}

int Terminator::port() const noexcept {
  return impl_->port;
}

void Terminator::start(int backend_port) {
  if (impl_->acceptor.joinable()) throw std::logic_error("Terminator::start called twice");
  impl_->backend_port = backend_port;
  impl_->acceptor = std::thread(accept_loop, std::ref(*impl_));
}

void Terminator::stop() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(impl_->stop_event.get(), &one, sizeof one);
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  impl_->listener.reset();  // new connections are refused by the kernel from now on
  for (auto& w : impl_->workers) w.thread.join();  // each sees the stop event at its next wait
  impl_->workers.clear();
}

std::optional<std::string> Terminator::client_of(const std::string& peer_ip, int peer_port) const {
  if (peer_ip != "127.0.0.1") return std::nullopt;  // relays connect from 127.0.0.1 only
  return impl_->registry.find(peer_port);
}

}  // namespace starttls_exporter::tls
