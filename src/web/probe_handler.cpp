#include "probe_handler.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <future>
#include <sstream>
#include <variant>

#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::web {
namespace {

/// Extra time the handler waits for probe_now's answer beyond the deadline (scheduling delay);
/// probe_now always answers, this only guards against a bug hanging a worker forever.
constexpr std::chrono::seconds kAnswerSlack{5};

std::string endpoint_of(const ProbeAddress& target) {
  return net::format_endpoint(target.address, target.port);
}

/// The configured target at this address and port with this module, else the first at this
/// address and port with any module, else null.
const config::Target* configured_target(const ProbeAddress& target, const std::string& module,
                                        const config::Config& config) {
  const config::Target* same_endpoint = nullptr;
  for (const auto& t : config.targets) {
    if (t.address != target.address || t.port != target.port) continue;
    if (t.module == module) return &t;
    if (!same_endpoint) same_endpoint = &t;
  }
  return same_endpoint;
}

std::string default_server_name(const ProbeAddress& target, const std::string& module,
                                const config::Config& config) {
  const config::Target* configured = configured_target(target, module, config);
  return configured ? configured->server_name : "";
}

http::Response plain(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body) + "\n";
  return response;
}

std::string describe_outcome(const ProbeResult& result) {
  if (result.success) return "success";
  if (!result.failure) return "failure";
  const Failure& f = *result.failure;
  std::string text = "failure in phase " + std::string(to_string(f.phase)) + ": " +
                     std::string(to_string(f.reason));
  if (f.smtp_code != 0) text += " (SMTP " + std::to_string(f.smtp_code) + ")";
  if (!f.detail.empty()) text += ": " + f.detail;
  return text;
}

/// debug=true: the probe command's report (src/report), then the series, as text for a person.
std::string debug_text(const std::string& module, const prober::ProbeSpec& spec, Duration timeout,
                       const ProbeResult& result, const std::string& metrics_text) {
  return report::text_report({module, timeout, spec}, result, std::chrono::system_clock::now(),
                             false) +
         "\nMetrics that would have been returned:\n" + metrics_text;
}

}  // namespace

Duration probe_timeout(Duration module_timeout, std::string_view header, Duration margin) {
  Duration timeout = module_timeout;
  double seconds = 0;
  const auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (!header.empty() && ec == std::errc{} && end == header.data() + header.size() &&
      std::isfinite(seconds) && seconds > 0) {
    const double margin_seconds = std::chrono::duration<double>(margin).count();
    const double usable = seconds > margin_seconds ? seconds - margin_seconds : seconds / 2;
    const auto scrape = Duration(static_cast<Duration::rep>(std::min(usable, 1e9) * 1000));
    timeout = std::min(timeout, scrape);
  }
  return std::max(timeout, Duration(1));
}

std::string probe_refusal(const ProbeAddress& target, const config::Config& config) {
  for (const auto& t : config.targets) {
    if (t.address == target.address && t.port == target.port) return {};
  }
  for (const auto& network : config.probe_allowed_cidrs) {
    if (network.contains(target.address)) return {};
  }
  return "target " + endpoint_of(target) +
         " is not allowed: it is not the address:port of a configured target and its address "
         "is not in probe_allowed_cidrs";
}

namespace {

/// A validated /probe request: what to probe and until when.
struct ProbeRequest {
  std::string module;
  prober::ProbeSpec spec;
  Duration timeout{0};
  bool debug = false;
  std::string endpoint;
  config::MetricsSettings series;  ///< the module's optional series groups
};

const std::string* query_param(const http::Request& request, const char* name) {
  const auto it = request.query.find(name);
  return it == request.query.end() ? nullptr : &it->second;
}

/// The server name the probe checks: the parameter when given (empty: none), else the
/// configured target's. Sets `problem` when the parameter is not a server name.
std::string server_name_of(const http::Request& request, const ProbeAddress& target,
                           const std::string& module, const config::Config& config,
                           std::string& problem) {
  const std::string* name = query_param(request, "server_name");
  if (!name) return default_server_name(target, module, config);
  if (!name->empty()) {
    if (const auto why = net::server_name_problem(*name)) problem = "invalid server_name: " + *why;
  }
  return *name;
}

/// The request's probe, or the error response to send instead.
std::variant<ProbeRequest, http::Response> parse_request(const http::Request& request,
                                                         const runtime::LiveConfig& live) {
  const std::string* module_name = query_param(request, "module");
  if (!module_name || module_name->empty()) return plain(400, "missing module parameter");
  const auto module = live.config.modules.find(*module_name);
  if (module == live.config.modules.end()) {
    return plain(400, "unknown module \"" + *module_name + "\"");
  }
  std::string problem;
  const std::string* target_text = query_param(request, "target");
  if (!target_text || target_text->empty()) return plain(400, "missing target parameter");
  auto target = net::parse_target_address(*target_text, problem);
  if (!target) return plain(400, problem);
  if (!target->port_given) {
    target->port = config::default_port(module->second.protocol, module->second.tls.mode);
  }
  ProbeRequest out{module->first, {}, {}, false, endpoint_of(*target), module->second.metrics};
  if (const auto refusal = probe_refusal(*target, live.config); !refusal.empty()) {
    log::debug("probe refused", {{"target", out.endpoint}, {"reason", refusal}});
    return plain(403, refusal);
  }
  out.spec.address = target->address;
  out.spec.port = target->port;
  prober::apply_module(out.spec, module->second);
  // A configured target with this module probes with its own certificate_file, as scheduled.
  const config::Target* configured = configured_target(*target, module->first, live.config);
  if (configured != nullptr && configured->module == module->first) {
    out.spec.certificate_file = configured->certificate_file.pattern;
  }
  out.spec.trust = live.trust_by_module.at(module->first);
  const std::string* debug = query_param(request, "debug");
  out.debug = debug && *debug == "true";
  out.spec.record_transcript = out.debug;
  out.spec.server_name = server_name_of(request, *target, module->first, live.config, problem);
  if (!problem.empty()) return plain(400, problem);
  out.timeout =
      probe_timeout(module->second.timeout, request.header("x-prometheus-scrape-timeout-seconds"),
                    live.config.global.scrape_timeout_margin);
  return out;
}

http::Response respond(const ProbeRequest& probe, const ProbeResult& result) {
  const std::string metrics_text = metrics::render_text(
      metrics::probe_families(result, std::chrono::system_clock::now(), probe.series));
  log::debug(
      "on-demand probe",
      {{"target", probe.endpoint}, {"module", probe.module}, {"result", describe_outcome(result)}});
  http::Response response;
  if (probe.debug) {
    response.body = debug_text(probe.module, probe.spec, probe.timeout, result, metrics_text);
  } else {
    response.content_type = std::string(metrics::kTextContentType);
    response.body = metrics_text;
  }
  return response;
}

}  // namespace

http::Response handle_probe(const http::Request& request, const runtime::LiveConfig& live,
                            scheduler::Scheduler& scheduler) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = plain(405, "405 method not allowed: use GET");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  auto parsed = parse_request(request, live);
  if (auto* error = std::get_if<http::Response>(&parsed)) return std::move(*error);
  const ProbeRequest& probe = std::get<ProbeRequest>(parsed);
  const auto deadline = std::chrono::steady_clock::now() + probe.timeout;
  auto future = scheduler.probe_now(probe.spec, deadline);
  if (future.wait_until(deadline + kAnswerSlack) != std::future_status::ready) {
    return plain(500, "the probe did not finish");
  }
  return respond(probe, future.get());
}

}  // namespace starttls_exporter::web
