#pragma once
/// \file
/// The HTTP routes of the exporter.

#include "starttls_exporter/collector.hpp"
#include "starttls_exporter/http_server.hpp"

namespace starttls_exporter::app {

/// `/metrics` (the collector, text format), `/-/healthy` ("OK") and `/` (a small HTML page).
/// The handlers keep a reference to `collector`, which must outlive the server.
http::Routes make_routes(const metrics::Collector& collector);

}  // namespace starttls_exporter::app
