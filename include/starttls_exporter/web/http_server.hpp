#pragma once
/// \file
/// A small HTTP server (CivetWeb underneath) that dispatches exact paths to handlers.
///
/// Threads: handlers run on the server's worker threads (a few), possibly concurrently; they
/// must be thread-safe. The Server object itself is not: construct and destroy it on one thread.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starttls_exporter::http {

struct Request {
  std::string method;                        ///< "GET", "HEAD", "POST", ...
  std::string path;                          ///< URL-decoded path, without the query
  std::map<std::string, std::string> query;  ///< decoded; for a repeated key the first wins
  std::map<std::string, std::string>
      headers;                 ///< names lower-cased ("x-prometheus-scrape-timeout-seconds")
  std::string remote_address;  ///< client IP, "127.0.0.1" or "::1"
  std::string body;            ///< the request body (Content-Length bytes), at most max_body_bytes

  /// The header's value, or "" when absent. `name` must be lower-case.
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, sent as given
  /// When set, the body is produced while it is sent instead of `body` (the large /metrics
  /// page): called once after the headers, it passes each piece to the writer it is given,
  /// stopping when that returns false (the client is gone). Sent with chunked transfer coding
  /// to HTTP/1.1 clients, so a page cut short is an error to them, not a shorter page; to
  /// HTTP/1.0 clients as a body ended by closing the connection. Must not throw once it has
  /// written (the client would get a cut page); an exception before the first piece still
  /// yields a 500.
  std::function<void(const std::function<bool(std::string_view)>&)> body_stream;
};

/// A query string ("target=192.0.2.1%3A25&module=smtp", without the '?') as Request::query
/// holds it: keys and values URL-decoded ('+' is a space), the first of a repeated key wins,
/// empty pairs skipped, a key without '=' has an empty value. Bytes from the network: total.
std::map<std::string, std::string> parse_query(std::string_view query);

/// A handler may throw: the client then gets 500 with a one-line body and the error is logged.
using Handler = std::function<Response(const Request&)>;
using Routes = std::map<std::string, Handler>;  ///< exact path → handler; others get 404

/// Why the web port closed a connection before answering it: the `reason` label of
/// starttls_exporter_web_rejected_connections_total.
enum class ConnectionRefusal : std::size_t {
  client_limit,       ///< the client address already holds its share of connections
  total_limit,        ///< every slot taken by connections already past their request head
  evicted,            ///< the oldest connection still without a request head, to make room
  head_timeout,       ///< no complete request head within the head deadline
  handshake_failed,   ///< TLS: the handshake failed (not TLS, no acceptable client cert, ...)
  handshake_timeout,  ///< TLS: no completed handshake within the handshake deadline
  stalled,            ///< the client stopped reading its answer for the stall deadline
  count_
};
/// Why the web port answered a request with an error before any handler ran: the `reason`
/// label of starttls_exporter_web_rejected_requests_total.
enum class RequestRefusal : std::size_t {
  malformed,                    ///< 400: not HTTP/1.x
  uri_too_long,                 ///< 414
  headers_too_large,            ///< 431
  too_many_headers,             ///< 431
  body_too_large,               ///< 413
  unsupported_transfer_coding,  ///< 501
  unsupported_version,          ///< 505
  unauthorized,                 ///< 401: missing, malformed or wrong credentials
  auth_throttled,               ///< 429: a client in its penalty after failed credentials
  count_
};
std::string_view name_of(ConnectionRefusal reason) noexcept;
std::string_view name_of(RequestRefusal reason) noexcept;

/// The web port's self counters, shared by the connection gate and the HTTP server and read
/// at scrape time. Thread-safe (relaxed atomics: each value is a counter on its own).
class WebCounters {
 public:
  void refused(ConnectionRefusal r) noexcept { bump(connections_[index(r)]); }
  void refused(RequestRefusal r) noexcept { bump(requests_[index(r)]); }
  std::uint64_t count(ConnectionRefusal r) const noexcept { return load(connections_[index(r)]); }
  std::uint64_t count(RequestRefusal r) const noexcept { return load(requests_[index(r)]); }
  /// Connections open on the public port now.
  void opened() noexcept { open_.fetch_add(1, std::memory_order_relaxed); }
  void closed() noexcept { open_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const noexcept { return open_.load(std::memory_order_relaxed); }

 private:
  template <typename E>
  static constexpr std::size_t index(E e) noexcept {
    return static_cast<std::size_t>(e);
  }
  static void bump(std::atomic<std::uint64_t>& a) noexcept {
    a.fetch_add(1, std::memory_order_relaxed);
  }
  static std::uint64_t load(const std::atomic<std::uint64_t>& a) noexcept {
    return a.load(std::memory_order_relaxed);
  }
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(ConnectionRefusal::count_)>
      connections_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(RequestRefusal::count_)>
      requests_{};
  std::atomic<std::int64_t> open_{0};
};

struct ServerOptions {
  int num_threads = 4;  ///< handlers running at once; more requests wait in CivetWeb's queue
  int request_timeout_ms = 10000;
  /// Bodies longer than this are answered 413 before any handler runs.
  std::size_t max_body_bytes = 64 * 1024;
  /// HTTP basic authentication: user name -> bcrypt hash ($2a$, $2b$, $2y$), checked with the
  /// system's crypt(3). Empty: no authentication. When set, every path except those in
  /// `open_paths` answers 401 with `WWW-Authenticate: Basic` unless the request carries a
  /// user's name and password; the answer and its timing do not reveal whether the user
  /// exists. Credentials are never logged. A success is cached for a minute (by a hash of the
  /// credentials); after a failure the client gets 429 without a check for a growing penalty,
  /// and at most two bcrypt checks run at once (see detail::AuthLimits).
  std::map<std::string, std::string> basic_auth_users;
  std::set<std::string> open_paths = {"/-/healthy"};
  /// Where 401 and 429 answers are counted; may be null. Must outlive the server.
  WebCounters* counters = nullptr;
  /// Who may talk to this server, for one that listens behind a proxy of ours (the web TLS
  /// gate). Called on a worker thread for each request with the peer's IP and port as
  /// the server sees them; returns the real client's address (for Request::remote_address),
  /// or nullopt to answer 403 before authentication and routing. Unset: everyone is served.
  std::function<std::optional<std::string>(const std::string& peer_ip, int peer_port)> admit;
};

/// Listens while alive; the destructor stops listening and waits for running handlers.
class Server {
 public:
  /// `listen_address` is "HOST:PORT": ":9725" (all interfaces; IPv6 too when the CivetWeb
  /// library has IPv6 support), "127.0.0.1:0" (port 0: any free port, see port()),
  /// "localhost:9725" (= 127.0.0.1), "[::1]:9725" (only with IPv6 support: Debian 12's
  /// libcivetweb has none, so IPv6 addresses are rejected with std::invalid_argument).
  /// Throws std::invalid_argument for a malformed address and std::runtime_error when the
  /// server cannot start, e.g. "listen 127.0.0.1:9725: <reason>".
  Server(const std::string& listen_address, Routes routes, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The port actually bound (resolves port 0).
  int port() const noexcept { return port_; }

  struct Impl;  // public only so the C callbacks in http_server.cpp can reach it

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace starttls_exporter::http
