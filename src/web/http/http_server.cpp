#include "starttls_exporter/web/http_server.hpp"

#include <civetweb.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <future>
#include <string_view>

#include "basic_auth.hpp"
#include "listen_address.hpp"
#include "response_writer.hpp"
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::http {

struct Server::Impl {
  Routes routes;
  std::unique_ptr<const detail::BasicAuth> auth;  ///< null: no authentication
  std::set<std::string> open_paths;
  std::size_t max_body_bytes = 0;
  WebCounters* counters = nullptr;                                           ///< may be null
  std::function<std::optional<std::string>(const std::string&, int)> admit;  ///< may be empty
  mg_context* ctx = nullptr;
  // Until the server runs, CivetWeb's log messages (e.g. "cannot bind to ...: Address already
  // in use") are kept here for the exception instead of being logged; mg_start2's own error
  // text alone ("Failed to setup server ports") does not say why.
  std::atomic<bool> running{false};
  std::string startup_log;  ///< written only by the constructor's thread, inside mg_start2
  std::string wake_host = "127.0.0.1";  ///< an address of ours that reaches the listener
};

namespace {

// The IPv4 address that reaches a listener bound per `ports` ("127.0.0.1:0", "+9725", "9725").
std::string local_host_of(const std::string& ports) {
  const auto colon = ports.rfind(':');
  if (colon == std::string::npos || ports.front() == '[') return "127.0.0.1";
  const std::string host = ports.substr(0, colon);
  return host == "0.0.0.0" ? "127.0.0.1" : host;
}

// Opens and closes one TCP connection to host:port, to wake CivetWeb's master thread from its
// poll(2), which otherwise notices the stop flag only after its 2 s quantum.
void poke(const std::string& host, int port) noexcept {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  [[maybe_unused]] int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::close(fd);
}

std::string decode(std::string_view text) {
  std::string out(text.size() + 1, '\0');
  const int n = mg_url_decode(text.data(), static_cast<int>(text.size()), out.data(),
                              static_cast<int>(out.size()), /*is_form_url_encoded=*/1);
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  std::string_view rest(query);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string{} : decode(pair.substr(eq + 1));
    out.try_emplace(std::move(key), std::move(value));  // the first occurrence wins
  }
  return out;
}

namespace {

Request make_request(const mg_request_info& ri) {
  Request req;
  req.method = ri.request_method ? ri.request_method : "";
  req.path = ri.local_uri ? ri.local_uri : (ri.request_uri ? ri.request_uri : "");
  req.query = parse_query(ri.query_string ? ri.query_string : "");
  for (int i = 0; i < ri.num_headers; ++i) {
    std::string name = ri.http_headers[i].name ? ri.http_headers[i].name : "";
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const char* value = ri.http_headers[i].value ? ri.http_headers[i].value : "";
    auto [it, inserted] = req.headers.try_emplace(std::move(name), value);
    if (!inserted) (it->second += ",") += value;  // repeated header: comma-joined (RFC 9110)
  }
  req.remote_address = ri.remote_addr;
  return req;
}

/// The 401 or 429 answer when the request needs credentials it does not carry; nullopt when
/// it may be served.
std::optional<Response> authenticate(const Server::Impl& impl, const Request& req) {
  if (!impl.auth || impl.open_paths.contains(req.path)) return std::nullopt;
  const auto result = impl.auth->check(req.header("authorization"), req.remote_address);
  if (result.decision == detail::AuthDecision::allowed) return std::nullopt;
  if (result.decision == detail::AuthDecision::throttled) {
    if (impl.counters) impl.counters->refused(RequestRefusal::auth_throttled);
    Response resp = text(429, "429 Too Many Requests: wrong credentials from this address\n");
    resp.headers.emplace_back("Retry-After", std::to_string(result.retry_after.count()));
    return resp;
  }
  if (impl.counters) impl.counters->refused(RequestRefusal::unauthorized);
  // The same answer for a missing header, an unknown user and a wrong password.
  Response resp = text(401, "401 Unauthorized\n");
  resp.headers.emplace_back("WWW-Authenticate",
                            "Basic realm=\"starttls_exporter\", charset=\"UTF-8\"");
  return resp;
}

/// Reads the body into `req`; false when it is longer than the server takes or cut short.
bool read_body(mg_connection* conn, const mg_request_info& ri, std::size_t max, Request& req) {
  if (ri.content_length <= 0) return true;
  if (static_cast<unsigned long long>(ri.content_length) > max) return false;
  req.body.resize(static_cast<std::size_t>(ri.content_length));
  std::size_t got = 0;
  while (got < req.body.size()) {
    const int n = mg_read(conn, req.body.data() + got, req.body.size() - got);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

/// CivetWeb calls this on a worker thread for every request ("/" matches all paths).
int dispatch(mg_connection* conn, void* cbdata) {
  const auto& impl = *static_cast<const Server::Impl*>(cbdata);
  const mg_request_info* ri = mg_get_request_info(conn);
  if (!ri) return 0;
  Request req = make_request(*ri);
  Response resp;
  const auto route = impl.routes.find(req.path);
  const std::optional<std::string> client =
      impl.admit ? impl.admit(ri->remote_addr, ri->remote_port) : std::optional(req.remote_address);
  if (client) req.remote_address = *client;
  if (!client) {
    // A direct connection to the HTTP server behind the connection gate: never served.
    resp = text(403, "403 Forbidden: connect through the TLS port\n");
  } else if (const auto refusal = authenticate(impl, req)) {
    resp = *refusal;
  } else if (!read_body(conn, *ri, impl.max_body_bytes, req)) {
    if (impl.counters) impl.counters->refused(RequestRefusal::body_too_large);
    resp = text(413, "413 Content Too Large\n");
  } else if (route == impl.routes.end()) {
    resp = text(404, "404 page not found\n");
  } else {
    try {
      resp = route->second(req);
    } catch (const std::exception& e) {
      log::error("http handler failed", {{"path", req.path}, {"error", e.what()}});
      resp = text(500, "500 internal server error\n");
    } catch (...) {
      log::error("http handler failed", {{"path", req.path}, {"error", "unknown exception"}});
      resp = text(500, "500 internal server error\n");
    }
  }
  send(conn, *ri, req, resp);
  return resp.status;
}

int log_message(const mg_connection* conn, const char* message) {
  const mg_context* ctx = conn ? mg_get_context(conn) : nullptr;
  auto* impl = ctx ? static_cast<Server::Impl*>(mg_get_user_data(ctx)) : nullptr;
  if (impl && !impl->running.load()) {
    if (impl->startup_log.empty()) {
      impl->startup_log = message;
      while (!impl->startup_log.empty() &&
             std::isspace(static_cast<unsigned char>(impl->startup_log.back()))) {
        impl->startup_log.pop_back();
      }
    }
  } else {
    log::warn("http server", {{"error", message}});
  }
  return 1;  // handled: CivetWeb prints nothing itself
}

mg_context* start(Server::Impl& impl, const std::string& ports, const ServerOptions& options,
                  std::string& error) {
  const std::string threads = std::to_string(options.num_threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const char* config[] = {
      "listening_ports", ports.c_str(),       "num_threads", threads.c_str(), "request_timeout_ms",
      timeout.c_str(),   "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = log_message;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = &impl;
  init.configuration_options = config;
  std::array<char, 256> text{};
  unsigned code = 0;
  mg_error_data err{};
  err.code = &code;
  err.text = text.data();
  err.text_buffer_size = text.size();
  impl.startup_log.clear();
  mg_context* ctx = mg_start2(&init, &err);
  if (!ctx) {
    error = text[0] ? text.data() : "the HTTP server failed to start";
    if (!impl.startup_log.empty()) error += " (" + impl.startup_log + ")";
  }
  return ctx;
}

}  // namespace

std::string Request::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string{} : it->second;
}

Server::Server(const std::string& listen_address, Routes routes, ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->routes = std::move(routes);
  if (!options.basic_auth_users.empty()) {
    impl_->auth = std::make_unique<const detail::BasicAuth>(std::move(options.basic_auth_users));
  }
  impl_->open_paths = std::move(options.open_paths);
  impl_->max_body_bytes = options.max_body_bytes;
  impl_->counters = options.counters;
  impl_->admit = std::move(options.admit);
  const bool ipv6 = mg_check_feature(MG_FEATURES_IPV6) != 0;
  const auto candidates = civetweb_ports(listen_address, ipv6);  // may throw invalid_argument
  mg_init_library(0);  // reference-counted; balanced in the destructor or below
  std::string error;
  for (const auto& ports : candidates) {
    impl_->ctx = start(*impl_, ports, options, error);
    if (impl_->ctx) {
      impl_->wake_host = local_host_of(ports);
      break;
    }
  }
  if (!impl_->ctx) {
    mg_exit_library();
    throw std::runtime_error("listen " + listen_address + ": " + error);
  }
  mg_set_request_handler(impl_->ctx, "/", dispatch, impl_.get());
  std::array<mg_server_port, 4> bound{};
  if (mg_get_server_ports(impl_->ctx, static_cast<int>(bound.size()), bound.data()) > 0) {
    port_ = bound[0].port;
  }
  impl_->running = true;
}

Server::~Server() {
  impl_->running = false;
  // mg_stop waits for the worker threads, so no handler runs after it returns. Its master
  // thread sees the stop flag only when poll(2) returns: poke the listener until it has.
  auto stopped = std::async(std::launch::async, [ctx = impl_->ctx] { mg_stop(ctx); });
  while (stopped.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    poke(impl_->wake_host, port_);
  }
  mg_exit_library();
}

}  // namespace starttls_exporter::http
