#pragma once
/// \file
/// GET /probe?domain=NAME&module=MODULE: one configured mail domain resolved and probed now,
/// answered with the domain's series and its addresses' series. Private to src/web.
///
/// Rules: the domain and module must be a configured domains[] entry (the exporter is not an
/// open resolver-and-connector): else 403, and nothing is looked up. The deadline is the
/// module timeout, shortened by X-Prometheus-Scrape-Timeout-Seconds as for /probe?target=;
/// resolution and every address's probe share it.
///
/// Threading: blocks the calling HTTP worker until the probes end (by the deadline).

#include "starttls_exporter/runtime/domain_watcher.hpp"
#include "starttls_exporter/runtime/reloader.hpp"
#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::web {

http::Response handle_domain_probe(const http::Request& request, const runtime::LiveConfig& live,
                                   runtime::DomainWatcher& domains);

}  // namespace starttls_exporter::web
