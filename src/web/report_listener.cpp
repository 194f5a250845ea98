// The TLS-RPT listener (RFC 8460 §3): reports POSTed by senders, kept through the one intake
// path (runtime::ingest_report), answered 2xx only once they are on disk.
#include <algorithm>
#include <cctype>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/web/web.hpp"

namespace starttls_exporter::web {
namespace {

using runtime::ReportSource;
using runtime::SubmissionResult;

/// Long enough for a 1 MiB report over a slow link; the gate's other limits stay.
constexpr std::chrono::milliseconds kReportHeadTimeout{30'000};
constexpr std::size_t kReportConnections = 256;
constexpr std::size_t kReportConnectionsPerClient = 64;
/// Reports parsed at once: a report inflated to the 20 MiB limit takes about 150 MiB while it
/// is parsed (bench/README.md), so a flood of them must queue, not multiply that.
constexpr int kReportWorkers = 2;

http::Response answer(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body) + "\n";
  return response;
}

/// The media type without parameters, lower case ("application/tlsrpt+gzip").
std::string media_type(const std::string& content_type) {
  std::string type(
      text::trim_ows(std::string_view(content_type).substr(0, content_type.find(';'))));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

int status_of(SubmissionResult result) noexcept {
  switch (result) {
    case SubmissionResult::stored:
    case SubmissionResult::duplicate:
      return 200;
    case SubmissionResult::unknown_domain:
      return 422;
    case SubmissionResult::too_large:
      return 413;
    case SubmissionResult::unsupported_media_type:
      return 415;
    default:
      return 400;
  }
}

http::Response take_report(const ReportContext& context, const http::Request& request) {
  if (request.method != "POST") {
    http::Response response = answer(405, "405 method not allowed: POST a report");
    response.headers.emplace_back("Allow", "POST");
    return response;
  }
  const std::string type = media_type(request.header("content-type"));
  if (type != "application/tlsrpt+gzip" && type != "application/tlsrpt+json") {
    context.counters.add(ReportSource::https, SubmissionResult::unsupported_media_type);
    log::warn("tlsrpt: report refused", {{"source", "https"},
                                         {"result", "unsupported_media_type"},
                                         {"content_type", text::quote(type)},
                                         {"client", request.remote_address}});
    return answer(415, "415 unsupported media type: use application/tlsrpt+gzip or +json");
  }
  const auto live = context.reloader.current();
  if (!live) return answer(503, "503 configuration not loaded yet");
  runtime::IntakeOutcome outcome;
  try {
    outcome =
        runtime::ingest_report(context.database, live->config, request.body, ReportSource::https);
  } catch (const std::exception& e) {
    log::error("tlsrpt: cannot keep a report", {{"error", e.what()}});
    http::Response response = answer(503, "503 the report could not be stored; try again");
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  context.counters.add(ReportSource::https, outcome.result);
  const std::string result(runtime::to_string(outcome.result));
  return answer(status_of(outcome.result),
                outcome.detail.empty() ? result : result + ": " + outcome.detail);
}

}  // namespace

std::unique_ptr<Frontend> make_report_listener(const std::string& listen_address,
                                               const ReportContext& context, WebSecurity security,
                                               http::WebCounters& counters) {
  http::Routes routes;
  routes["/tlsrpt"] = [context](const http::Request& request) {
    return take_report(context, request);
  };
  routes["/-/healthy"] = [](const http::Request&) { return answer(200, "OK"); };
  ListenerLimits limits;
  limits.max_body_bytes = tlsrpt::Limits{}.max_compressed_bytes;
  limits.head_timeout = kReportHeadTimeout;
  limits.max_connections = kReportConnections;
  limits.max_connections_per_client = kReportConnectionsPerClient;
  security.server.num_threads = kReportWorkers;
  return std::make_unique<Frontend>(listen_address, std::move(routes), std::move(security),
                                    counters, limits);
}

metrics::TlsrptStatsSource tlsrpt_stats_source(const store::ReportDatabase& database,
                                               const runtime::SubmissionCounters& counters,
                                               const http::WebCounters* listener,
                                               runtime::Reloader& reloader) {
  return [&database, &counters, listener, &reloader]() -> std::optional<metrics::TlsrptStats> {
    metrics::TlsrptStats stats;
    try {
      stats.totals = database.totals();
    } catch (const std::exception& e) {
      log::warn("tlsrpt: cannot read the report totals", {{"error", e.what()}});
      return std::nullopt;
    }
    if (const auto live = reloader.current()) {
      stats.max_organizations = live->config.tlsrpt.max_organizations;
    }
    for (const auto source : {ReportSource::https, ReportSource::maildir, ReportSource::cli}) {
      for (std::size_t r = 0; r < static_cast<std::size_t>(SubmissionResult::count_); ++r) {
        const auto result = static_cast<SubmissionResult>(r);
        std::uint64_t count = counters.count(source, result);
        if (source == ReportSource::https && result == SubmissionResult::too_large && listener) {
          count += listener->count(http::RequestRefusal::body_too_large);
        }
        if (source == ReportSource::cli) {
          for (const auto& [key, n] : stats.totals.submissions) {
            if (key.first == "cli" && key.second == runtime::to_string(result)) count += n;
          }
        }
        stats.submissions.push_back({std::string(runtime::to_string(source)),
                                     std::string(runtime::to_string(result)), count});
      }
    }
    return stats;
  };
}

}  // namespace starttls_exporter::web
