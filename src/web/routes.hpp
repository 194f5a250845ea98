#pragma once
/// \file
/// The HTTP routes of the exporter. Private to src/web.

#include "starttls_exporter/web/http_server.hpp"
#include "starttls_exporter/web/web.hpp"

namespace starttls_exporter::web {

/// `/` (the status page, landing_page.hpp), `/report` (a domain's report as last stored, in
/// HTML; 404 for a domain not configured), `/style.css`, `/metrics`, `/probe` (see
/// probe_handler.hpp), `/config` (the loaded configuration file as text), `/-/healthy` (always
/// 200), `/-/ready` (200 once a configuration is loaded, else 503) and `/-/reload` (POST: reload;
/// 200, or 500 with the error; other methods 405).
http::Routes make_routes(const RouteContext& context);

}  // namespace starttls_exporter::web
