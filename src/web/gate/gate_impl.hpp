#pragma once
/// \file
/// The gate's state and one connection's, shared by gate.cpp (accepting, limits, stop) and
/// gate_connection.cpp (one connection's dialogue). Everything except RelayRegistry is used
/// on the gate's event loop thread only.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gate.hpp"
#include "server_stream.hpp"

namespace starttls_exporter::web {

/// The local ports of the relay connections to the HTTP server, each with its real client's
/// address: the HTTP server asks (through Gate::client_of) whether a connection is ours.
/// Thread-safe.
class RelayRegistry {
 public:
  void add(int local_port, std::string client) {
    const std::lock_guard lock(mutex_);
    clients_[local_port] = std::move(client);
  }
  void remove(int local_port) {
    const std::lock_guard lock(mutex_);
    clients_.erase(local_port);
  }
  std::optional<std::string> find(int local_port) const {
    const std::lock_guard lock(mutex_);
    const auto it = clients_.find(local_port);
    if (it == clients_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<int, std::string> clients_;
};

struct Connection;

struct Gate::Impl {
  Impl(GateLimits l, http::WebCounters& c) : limits(l), counters(c) {}

  GateLimits limits;
  http::WebCounters& counters;
  std::unique_ptr<tls::ServerContext> tls;  ///< null: plain HTTP
  int port = 0;
  int backend_port = 0;
  RelayRegistry registry;
  // Declared before `io`, so they outlive the connections io's destruction may still end.
  std::map<std::string, std::size_t, std::less<>> per_client;  ///< open connections by address
  std::list<Connection*> live;                                 ///< every open connection
  std::list<Connection*> waiting;  ///< those without a complete request head, oldest first
  bool stopping = false;
  std::chrono::steady_clock::time_point last_limit_log{};
  asio::io_context io{1};
  std::optional<asio::ip::tcp::acceptor> acceptor;  ///< after `io`: destroyed before it
  std::thread thread;
};

/// One client connection. Owned by shared_ptr between its dialogue and its watchdog.
struct Connection {
  Connection(Gate::Impl& gate, asio::ip::tcp::socket socket, std::string address);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// The deadline from now on: when `after` passes before the next arm(), the connection is
  /// closed and, when `reason` is set, counted as refused for it.
  void arm(std::chrono::milliseconds after, std::optional<http::ConnectionRefusal> reason);
  /// Closes both sockets and stops the watchdog; every pending operation ends at once.
  void shut() noexcept;
  /// The request head is complete: no longer a candidate for eviction.
  void leave_waiting() noexcept;

  Gate::Impl& gate;
  asio::ip::tcp::socket client;
  asio::ip::tcp::socket backend;
  asio::steady_timer timer;
  std::string address;  ///< the client's IP address as text
  std::optional<http::ConnectionRefusal> expiry_reason;
  bool finished = false;
  std::list<Connection*>::iterator live_position;
  std::optional<std::list<Connection*>::iterator> waiting_position;
};

/// Runs one connection from accept to close. Never throws.
asio::awaitable<void> serve_connection(std::shared_ptr<Connection> connection);

/// Closes the oldest connection still without a complete request head, of `address` when it
/// is not empty; false when there is none.
bool evict_oldest_waiting(Gate::Impl& gate, std::string_view address = {});

}  // namespace starttls_exporter::web
