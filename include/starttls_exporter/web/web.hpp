#pragma once
/// \file
/// The exporter's web port (src/web): the HTTP server and its routes (/metrics, /probe,
/// /config, /-/reload, the landing page), basic authentication, and the connection gate in
/// front of it (limits, request heads, TLS when the web config asks for it).
///
/// Threading: a Frontend is constructed, stopped and destroyed on one thread; its handlers run
/// on the HTTP server's worker threads and only read what RouteContext names.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "starttls_exporter/config/web_config.hpp"
#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/runtime/domain_watcher.hpp"
#include "starttls_exporter/runtime/reloader.hpp"
#include "starttls_exporter/runtime/report_intake.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/result_store.hpp"
#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::web {

/// The web port's setup from --web.config.file.
struct WebSecurity {
  http::ServerOptions server;               ///< basic_auth_users, worker threads
  std::optional<config::WebTlsConfig> tls;  ///< set: TLS on the web port
};

/// The web port's self counters in the collector's neutral shape (every reason, zeros too).
metrics::WebStats web_stats(const http::WebCounters& counters);

/// The setup for `web_config_file` (empty: plain HTTP without authentication). Throws
/// config::ConfigError for an invalid file, and for a certificate or key GnuTLS cannot load
/// (located at the tls_server_config key). Read at start-up only.
WebSecurity load_web_security(const std::string& web_config_file);

/// What the handlers use; everything must outlive the Frontend.
struct RouteContext {
  const metrics::Collector& collector;
  const store::ResultStore& store;
  runtime::Reloader& reloader;
  scheduler::Scheduler& scheduler;
  runtime::DomainWatcher& domains;
  /// The TLS-RPT database; null when tlsrpt.database is not set (no reports on the pages).
  const store::ReportDatabase* reports = nullptr;
};

/// What the TLS-RPT listener's handler uses; everything must outlive the listener.
struct ReportContext {
  store::ReportDatabase& database;
  runtime::SubmissionCounters& counters;
  runtime::Reloader& reloader;
};

/// Limits of one listener's gate that differ between the web port and the TLS-RPT listener.
struct ListenerLimits {
  std::size_t max_body_bytes = 64 * 1024;         ///< larger bodies: 413 before any handler
  std::chrono::milliseconds head_timeout{5'000};  ///< accept to complete head and body
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_client = 256;
};

class Gate;

/// The web port, listening from construction until stop().
class Frontend {
 public:
  /// Listens on `listen_address` ("HOST:PORT", see net::parse_listen_address; IPv6 in
  /// brackets). The connection gate owns that address: it takes the TLS handshake when
  /// security.tls is set, reads and checks each request head, and relays complete requests to
  /// the HTTP server on 127.0.0.1:0, which serves nothing but the gate's own connections.
  /// `counters` (must outlive the Frontend) receives the web port's refusals. Throws
  /// std::invalid_argument (malformed address), tls::TlsError or std::runtime_error.
  Frontend(const std::string& listen_address, const RouteContext& context, WebSecurity security,
           http::WebCounters& counters);
  /// The same gate and server for other routes and limits (the TLS-RPT listener).
  Frontend(const std::string& listen_address, http::Routes routes, WebSecurity security,
           http::WebCounters& counters, ListenerLimits limits);
  ~Frontend();  ///< stop()
  Frontend(const Frontend&) = delete;
  Frontend& operator=(const Frontend&) = delete;

  /// The public port actually bound (resolves port 0).
  int port() const noexcept;
  bool tls() const noexcept { return tls_; }
  /// Stops the gate first (the server's workers then see EOF at once), then the server,
  /// waiting for running handlers. Idempotent.
  void stop() noexcept;

 private:
  std::unique_ptr<Gate> gate_;
  bool tls_ = false;
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
};

/// The TLS-RPT listener (RFC 8460 §3, `rua=https://HOST/tlsrpt`): POST /tlsrpt with
/// application/tlsrpt+gzip or application/tlsrpt+json, and /-/healthy, behind a gate of its own
/// (bodies up to tlsrpt::Limits' compressed bound, 30 s to send one, 256 connections, 64 per
/// client address, two reports parsed at a time). Answers 200 once the report is on disk (or
/// already was: a duplicate), 400 malformed, 413 too large, 415 another media type, 422 a policy
/// domain not ours, 405 another method, 503 when the database cannot be written. `counters` gets
/// the gate's refusals.
std::unique_ptr<Frontend> make_report_listener(const std::string& listen_address,
                                               const ReportContext& context, WebSecurity security,
                                               http::WebCounters& counters);

/// The TLS-RPT families' source: the database's totals, this process's submission counts, and
/// the listener's bodies refused by size at its gate (counted as https too_large).
metrics::TlsrptStatsSource tlsrpt_stats_source(const store::ReportDatabase& database,
                                               const runtime::SubmissionCounters& counters,
                                               const http::WebCounters* listener,
                                               runtime::Reloader& reloader);

}  // namespace starttls_exporter::web
