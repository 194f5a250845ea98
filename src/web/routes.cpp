#include "routes.hpp"

#include <string>

#include "build_config.hpp"
#include "domain_probe_handler.hpp"
#include "landing_page.hpp"
#include "probe_handler.hpp"
#include "starttls_exporter/core/heap.hpp"

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
  routes["/"] = [&store](const http::Request&) {
    http::Response response;
    response.content_type = "text/html; charset=utf-8";
    response.body = render_landing_page(store.snapshot(), std::chrono::system_clock::now(),
                                        STARTTLS_EXPORTER_VERSION);
    return response;
  };
  return routes;
}

}  // namespace starttls_exporter::web
