#pragma once
/// \file
/// A small HTTP server (CivetWeb underneath) that dispatches exact paths to handlers.
///
/// Threads: handlers run on the server's worker threads (a few), possibly concurrently; they
/// must be thread-safe. The Server object itself is not: construct and destroy it on one thread.

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

/// A handler may throw: the client then gets 500 with a one-line body and the error is logged.
using Handler = std::function<Response(const Request&)>;
using Routes = std::map<std::string, Handler>;  ///< exact path → handler; others get 404

struct ServerOptions {
  int num_threads = 4;  ///< handlers running at once; more requests wait in CivetWeb's queue
  int request_timeout_ms = 10000;
  /// HTTP basic authentication: user name -> bcrypt hash ($2a$, $2b$, $2y$), checked with the
  /// system's crypt(3). Empty: no authentication. When set, every path except those in
  /// `open_paths` answers 401 with `WWW-Authenticate: Basic` unless the request carries a
  /// user's name and password; the answer and its timing do not reveal whether the user
  /// exists. Credentials are never logged.
  std::map<std::string, std::string> basic_auth_users;
  std::set<std::string> open_paths = {"/-/healthy"};
  /// Who may talk to this server, for one that listens behind a proxy of ours (the web TLS
  /// terminator). Called on a worker thread for each request with the peer's IP and port as
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
