#include "routes.hpp"

#include <string>

#include "build_config.hpp"
#include "domain_probe_handler.hpp"
#include "landing_page.hpp"
#include "probe_handler.hpp"
#include "starttls_exporter/core/heap.hpp"
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/domains/domain_round.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::web {
namespace {

http::Response text(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

http::Response not_ready() {
  return text(503, "configuration not loaded yet\n");
}

http::Response html(int status, std::string body) {
  http::Response response = text(status, std::move(body));
  response.content_type = "text/html; charset=utf-8";
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

/// Every configured domain's summary as last stored, from the targets of `snapshot`.
std::vector<report::DomainSummary> domain_summaries(
    const store::ResultStore& store, const std::vector<store::TargetSnapshot>& snapshot) {
  const domains::LatestResults latest = domains::latest_results(snapshot);
  std::vector<report::DomainSummary> out;
  for (auto& state : store.domains()) {
    out.push_back(report::summarize(domains::stored_probe(std::move(state), latest)));
  }
  return out;
}

std::string query_value(const http::Request& request, const char* name) {
  const auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

/// /report?domain=NAME&module=MODULE: the domain's report as last stored, in HTML.
http::Response domain_report(const store::ResultStore& store, const http::Request& request) {
  const std::string name = net::normalise_domain_name(query_value(request, "domain"));
  const std::string module = query_value(request, "module");
  for (auto& state : store.domains()) {
    if (state->domain.name != name || state->domain.module != module) continue;
    const domains::DomainProbe probe =
        domains::stored_probe(std::move(state), domains::latest_results(store.snapshot()));
    const std::string body =
        "<p><a href=\".\">Status page</a></p>\n" +
        report::domain_html_report(probe, probe.state->port, std::chrono::system_clock::now());
    return html(200, render_page("Mail domain " + name, body));
  }
  return html(404, render_page("Not found", "<p>No configured domain \"" + text::html_escape(name) +
                                                "\" with module \"" + text::html_escape(module) +
                                                "\". <a href=\".\">Status page</a></p>\n"));
}

/// What senders reported, per domain; none without a database or when it cannot be read now.
std::vector<report::SenderReports> senders(const store::ReportDatabase* reports) {
  if (reports == nullptr) return {};
  try {
    return report::sender_reports(*reports, 1);
  } catch (const std::exception& e) {
    log::warn("tlsrpt: cannot read the reports for the status page", {{"error", e.what()}});
    return {};
  }
}

}  // namespace

http::Routes make_routes(const RouteContext& context) {
  http::Routes routes;
  const metrics::Collector& collector = context.collector;
  const store::ResultStore& store = context.store;
  runtime::Reloader& reloader = context.reloader;
  scheduler::Scheduler& scheduler = context.scheduler;

  routes["/metrics"] = [&collector](const http::Request&) {
    http::Response response;
    response.content_type = std::string(metrics::kTextContentType);
    // The same bytes as render_text(Collect()), far cheaper, streamed as they are rendered.
    response.body_stream = [&collector](const metrics::TextWriter& write) {
      // The page's temporaries (≈ 8 MB at 10,000 targets) come from this worker thread's own
      // malloc arena, and glibc keeps what an arena frees: without a trim every one of the
      // 32 workers would in time hold a page's worth.
      const ReturnFreedMemory trim;
      collector.Stream(write);
    };
    return response;
  };
  routes["/probe"] = [&reloader, &scheduler,
                      &domains = context.domains](const http::Request& request) {
    const auto live = reloader.current();
    if (!live) return not_ready();
    if (request.query.contains("domain")) return handle_domain_probe(request, *live, domains);
    return handle_probe(request, *live, scheduler);
  };
  routes["/config"] = [&reloader](const http::Request&) {
    const auto live = reloader.current();
    if (!live) return not_ready();
    auto response = text(200, live->config.source_text);
    response.content_type = "text/plain; charset=utf-8";
    return response;
  };
  routes["/-/healthy"] = [](const http::Request&) { return text(200, "OK"); };
  routes["/-/ready"] = [&reloader](const http::Request&) {
    return reloader.current() ? text(200, "Ready\n") : not_ready();
  };
  routes["/-/reload"] = [&reloader](const http::Request& request) {
    if (request.method != "POST" && request.method != "PUT") {
      auto response = text(405, "405 method not allowed: use POST\n");
      response.headers.emplace_back("Allow", "POST, PUT");
      return response;
    }
    const runtime::ReloadOutcome outcome = reloader.reload("HTTP");
    if (!outcome.ok) return text(500, "failed to reload config: " + outcome.error + "\n");
    return text(200, "configuration reloaded: " + std::to_string(outcome.targets) + " targets\n");
  };
  routes["/"] = [&store, reports = context.reports](const http::Request&) {
    const std::vector<store::TargetSnapshot> snapshot = store.snapshot();
    return html(200, render_landing_page(domain_summaries(store, snapshot), snapshot,
                                         std::chrono::system_clock::now(),
                                         STARTTLS_EXPORTER_VERSION, senders(reports)));
  };
  routes["/report"] = [&store](const http::Request& request) {
    return domain_report(store, request);
  };
  routes["/style.css"] = [](const http::Request&) {
    http::Response response = text(200, std::string(kStyleSheet));
    response.content_type = "text/css; charset=utf-8";
    return response;
  };
  return routes;
}

}  // namespace starttls_exporter::web
