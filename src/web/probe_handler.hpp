#pragma once
/// \file
/// GET /probe?target=ADDRESS[:PORT]&module=NAME[&server_name=NAME][&debug=true]: one probe now,
/// answered with that probe's series only (blackbox_exporter's multi-target pattern).
///
/// Rules (README "On-demand probing"):
/// - target: net::parse_target_address: an IP literal, "[v6]:port" or "v4:port" (port default: the
/// module's protocol's,
///   config::default_port: 25, 587, 143, 993, ...); names are not
///   resolved. Malformed: 400. Unknown or missing module: 400.
/// - Not an open proxy: the address AND port must be those of a configured target (any module,
///   any shard), or the address must lie in probe_allowed_cidrs (then any port). Else 403 with
///   a one-line reason, and nothing is connected to.
/// - server_name: the parameter when given (may be empty: no SNI, no name check; else it must
///   pass net::server_name_problem, the rule the config file applies); else the
///   server_name of the configured target with this address, port and module, else of the first
///   configured target with this address and port, else empty.
/// - Deadline: the module timeout, or X-Prometheus-Scrape-Timeout-Seconds minus
///   global.scrape_timeout_margin when that is smaller (half the header value when the margin
///   is not smaller than it).
/// - The probe runs through Scheduler::probe_now, under the scheduled probes' concurrency limit.
///
/// Threading: handle_probe blocks the calling HTTP worker until the probe ends (by its
/// deadline).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "starttls_exporter/core/duration.hpp"
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/runtime/reloader.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::web {

using ProbeAddress = net::TargetAddress;

/// The probe's timeout: see the rules above. An absent, malformed or non-positive header
/// leaves the module timeout. Never below 1 ms.
Duration probe_timeout(Duration module_timeout, std::string_view scrape_timeout_header,
                       Duration margin);

/// Empty when /probe may connect to `target` under `config`, else the 403 reason.
std::string probe_refusal(const ProbeAddress& target, const config::Config& config);

/// The whole request: validation, allowlist, the probe, the response.
http::Response handle_probe(const http::Request& request, const runtime::LiveConfig& live,
                            scheduler::Scheduler& scheduler);

}  // namespace starttls_exporter::web
