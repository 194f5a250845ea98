#include "routes.hpp"

#include <string>

namespace starttls_exporter::app {
namespace {

constexpr const char* kIndexPage = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>STARTTLS Exporter</title></head>
<body>
<h1>STARTTLS Exporter</h1>
<p>Probes mail servers over SMTP STARTTLS.</p>
<ul><li><a href="metrics">Metrics</a></li></ul>
</body>
</html>
)";

http::Response text(std::string body) {
  http::Response response;
  response.body = std::move(body);
  return response;
}

}  // namespace

http::Routes make_routes(const metrics::Collector& collector) {
  http::Routes routes;
  routes["/metrics"] = [&collector](const http::Request&) {
    http::Response response;
    response.content_type = std::string(metrics::kTextContentType);
    response.body = collector.Render();  // same bytes as render_text(Collect()), far cheaper
    return response;
  };
  routes["/-/healthy"] = [](const http::Request&) { return text("OK"); };
  routes["/"] = [](const http::Request&) {
    http::Response response;
    response.content_type = "text/html; charset=utf-8";
    response.body = kIndexPage;
    return response;
  };
  return routes;
}

}  // namespace starttls_exporter::app
