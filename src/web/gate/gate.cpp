// The gate: accepting, the connection limits, eviction, the event loop thread and stop().
#include "gate.hpp"

#include <sys/socket.h>

#include <algorithm>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "gate_impl.hpp"
#include "listen_socket.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::web {
namespace {

using http::ConnectionRefusal;

/// A limit was hit: logged at most every 10 s, so a flood cannot fill the log; the counters
/// have every occurrence.
void log_limit(Gate::Impl& gate, const std::string& what, const std::string& client) {
  const auto now = std::chrono::steady_clock::now();
  if (now - gate.last_limit_log < std::chrono::seconds(10)) return;
  gate.last_limit_log = now;
  log::warn("web: connection limit reached; closing connections",
            {{"limit", what}, {"client", client}});
}

std::string address_of(const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  const asio::ip::address a = endpoint.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

void admit(Gate::Impl& gate, asio::ip::tcp::socket socket) {
  std::string address = address_of(socket);
  if (address.empty()) return;  // already gone
  const auto held = gate.per_client.find(address);
  // At its share a client's new connection takes the place of its own oldest one still
  // without a head: a scraper behind the same proxy or NAT as a slow client gets through.
  if (held != gate.per_client.end() && held->second >= gate.limits.max_connections_per_client &&
      !evict_oldest_waiting(gate, address)) {
    gate.counters.refused(ConnectionRefusal::client_limit);
    log_limit(gate, "per client", address);
    return;  // `socket` closes here
  }
  if (gate.live.size() >= gate.limits.max_connections && !evict_oldest_waiting(gate)) {
    gate.counters.refused(ConnectionRefusal::total_limit);
    log_limit(gate, "total", address);
    return;
  }
  auto connection = std::make_shared<Connection>(gate, std::move(socket), std::move(address));
  asio::co_spawn(gate.io, serve_connection(std::move(connection)), asio::detached);
}

bool out_of_descriptors(const std::error_code& ec) {
  return ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
         ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory;
}

asio::awaitable<void> accept_loop(Gate::Impl& gate) {
  asio::steady_timer pause(gate.io);
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket socket =
        co_await gate.acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (gate.stopping || !gate.acceptor->is_open()) co_return;
    if (!ec) {
      admit(gate, std::move(socket));
      continue;
    }
    if (out_of_descriptors(ec) && !evict_oldest_waiting(gate)) {
      // Nothing to free: the pending connection stays queued; do not spin on it.
      log_limit(gate, "file descriptors", "");
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

asio::ip::tcp protocol_of(int fd) {
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  return bound.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
}

}  // namespace

bool evict_oldest_waiting(Gate::Impl& gate, std::string_view address) {
  const auto oldest_of = std::find_if(gate.waiting.begin(), gate.waiting.end(), [&](auto* c) {
    return address.empty() || c->address == address;
  });
  if (oldest_of == gate.waiting.end()) return false;
  Connection* oldest = *oldest_of;
  oldest->leave_waiting();
  oldest->expiry_reason.reset();
  gate.counters.refused(ConnectionRefusal::evicted);
  oldest->shut();
  return true;
}

Gate::Gate(const std::string& listen_address, const std::optional<config::WebTlsConfig>& tls,
           GateLimits limits, http::WebCounters& counters)
    : impl_(std::make_unique<Impl>(limits, counters)) {
  if (limits.max_connections < 1 || limits.max_connections_per_client < 1) {
    throw std::invalid_argument("web connection limits must be at least 1");
  }
  if (tls) impl_->tls = std::make_unique<tls::ServerContext>(*tls);
  UniqueFd listener = listen_on(listen_address, impl_->port);
  const asio::ip::tcp protocol = protocol_of(listener.get());
  impl_->acceptor.emplace(impl_->io, protocol, listener.release());
}

Gate::~Gate() {
  stop();
}

int Gate::port() const noexcept {
  return impl_->port;
}

void Gate::start(int backend_port) {
  if (impl_->thread.joinable()) throw std::logic_error("Gate::start called twice");
  impl_->backend_port = backend_port;
  asio::co_spawn(impl_->io, accept_loop(*impl_), asio::detached);
  impl_->thread = std::thread([&io = impl_->io] {
    try {
      io.run();
    } catch (const std::exception& e) {
      log::error("web: the connection gate failed", {{"error", e.what()}});
    }
  });
}

void Gate::stop() noexcept {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [&gate = *impl_] {
    gate.stopping = true;
    std::error_code ec;
    gate.acceptor->close(ec);
    for (Connection* c : gate.live) c->shut();
  });
  impl_->thread.join();  // every dialogue ends at its next step: the loop runs out of work
}

std::optional<std::string> Gate::client_of(const std::string& peer_ip, int peer_port) const {
  if (peer_ip != "127.0.0.1") return std::nullopt;  // relays connect from 127.0.0.1 only
  return impl_->registry.find(peer_port);
}

}  // namespace starttls_exporter::web
