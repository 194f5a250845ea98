#include "probe_handler.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <future>
#include <sstream>

#include "starttls_exporter/collector.hpp"
#include "starttls_exporter/log.hpp"

namespace starttls_exporter::app {
namespace {

/// Extra time the handler waits for probe_now's answer beyond the deadline (scheduling delay);
/// probe_now always answers, this only guards against a bug hanging a worker forever.
constexpr std::chrono::seconds kAnswerSlack{5};

/// The canonical text of an IP literal ("2001:DB8::1" -> "2001:db8::1"), or nullopt; parsed
/// by the config loader's network parser, so /probe and the config agree on what an address is.
std::optional<std::string> canonical_ip(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return std::nullopt;
  std::string problem;
  const auto network = config::parse_ip_network(text, problem);
  if (!network) return std::nullopt;
  return network->text.substr(0, network->text.rfind('/'));
}

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

/// A DNS name as config accepts for server_name: labels of [A-Za-z0-9-], 1..63, not starting
/// or ending with '-', at most 253 characters, no trailing dot, not an IP literal.
bool is_server_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || canonical_ip(name)) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

std::string endpoint_of(const ProbeAddress& target) {
  const bool v6 = target.address.find(':') != std::string::npos;
  return (v6 ? "[" + target.address + "]" : target.address) + ":" + std::to_string(target.port);
}

std::string default_server_name(const ProbeAddress& target, const std::string& module,
                                const config::Config& config) {
  const config::Target* same_endpoint = nullptr;
  for (const auto& t : config.targets) {
    if (t.address != target.address || t.port != target.port) continue;
    if (t.module == module) return t.server_name;
    if (!same_endpoint) same_endpoint = &t;
  }
  return same_endpoint ? same_endpoint->server_name : "";
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

/// debug=true: the outcome, the dialogue and the series, as text for a person.
std::string debug_text(const std::string& endpoint, const std::string& module,
                       const prober::ProbeSpec& spec, Duration timeout, const ProbeResult& result,
                       const std::string& metrics_text) {
  std::ostringstream out;
  out << "Probe of " << endpoint << " with module " << module << ", server_name \""
      << spec.server_name << "\", timeout " << format_duration(timeout) << "\n";
  out << "Result: " << describe_outcome(result) << "\n";
  out << "Duration: " << result.duration_seconds << " s\n";
  if (result.tls) out << "TLS: " << result.tls->version << ", " << result.tls->cipher << "\n";
  out << "\nTranscript:\n";
  for (const auto& line : result.transcript) out << line << "\n";
  out << "\nMetrics that would have been returned:\n" << metrics_text;
  return std::move(out).str();
}

}  // namespace

std::optional<ProbeAddress> parse_probe_target(std::string_view text, std::string& problem) {
  ProbeAddress target;
  target.port_given = text.starts_with('[') ? text.find("]:") != std::string_view::npos
                                            : std::count(text.begin(), text.end(), ':') == 1;
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    host = text.substr(1, close == std::string_view::npos ? 0 : close - 1);
    const std::string_view rest =
        close == std::string_view::npos ? std::string_view{} : text.substr(close + 1);
    if (close == std::string_view::npos || host.find(':') == std::string_view::npos ||
        (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1), target.port)))) {
      problem = "malformed target: want ADDRESS, ADDRESS:PORT or [IPv6]:PORT";
      return std::nullopt;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // IPv4:port
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    if (!parse_port(text.substr(colon + 1), target.port)) {
      problem = "malformed target: the port must be 1 to 65535";
      return std::nullopt;
    }
  }
  const auto ip = canonical_ip(host);
  if (!ip) {
    problem = text.empty() ? "missing target parameter"
                           : "malformed target: want an IP address (names are not resolved), "
                             "optionally with :PORT ([IPv6]:PORT)";
    return std::nullopt;
  }
  target.address = *ip;
  return target;
}

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

http::Response handle_probe(const http::Request& request, const LiveConfig& live,
                            scheduler::Scheduler& scheduler) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = plain(405, "405 method not allowed: use GET");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  const auto param = [&](const char* name) -> const std::string* {
    const auto it = request.query.find(name);
    return it == request.query.end() ? nullptr : &it->second;
  };
  const std::string* module_name = param("module");
  if (!module_name || module_name->empty()) return plain(400, "missing module parameter");
  const auto module = live.config.modules.find(*module_name);
  if (module == live.config.modules.end()) {
    return plain(400, "unknown module \"" + *module_name + "\"");
  }
  std::string problem;
  auto target = parse_probe_target(param("target") ? *param("target") : "", problem);
  if (!target) return plain(400, problem);
  if (!target->port_given) {
    target->port = config::default_port(module->second.protocol, module->second.tls.mode);
  }
  if (const auto refusal = probe_refusal(*target, live.config); !refusal.empty()) {
    log::debug("probe refused", {{"target", endpoint_of(*target)}, {"reason", refusal}});
    return plain(403, refusal);
  }
  prober::ProbeSpec spec;
  spec.address = target->address;
  spec.port = target->port;
  prober::apply_module(spec, module->second);
  spec.trust = live.trust_by_module.at(module->first);
  const std::string* debug = param("debug");
  const bool debug_wanted = debug && *debug == "true";
  spec.record_transcript = debug_wanted;
  if (const std::string* name = param("server_name")) {
    if (!name->empty() && !is_server_name(*name)) {
      return plain(400, "invalid server_name: want a DNS name such as mx.example.com");
    }
    spec.server_name = *name;
  } else {
    spec.server_name = default_server_name(*target, module->first, live.config);
  }
  const Duration timeout =
      probe_timeout(module->second.timeout, request.header("x-prometheus-scrape-timeout-seconds"),
                    live.config.global.scrape_timeout_margin);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto future = scheduler.probe_now(spec, deadline);
  if (future.wait_until(deadline + kAnswerSlack) != std::future_status::ready) {
    return plain(500, "the probe did not finish");
  }
  const ProbeResult result = future.get();
  const std::string metrics_text =
      metrics::render_text(metrics::probe_families(result, std::chrono::system_clock::now()));
  const std::string endpoint = endpoint_of(*target);
  log::debug(
      "on-demand probe",
      {{"target", endpoint}, {"module", module->first}, {"result", describe_outcome(result)}});
  http::Response response;
  if (debug_wanted) {
    response.body = debug_text(endpoint, module->first, spec, timeout, result, metrics_text);
  } else {
    response.content_type = std::string(metrics::kTextContentType);
    response.body = metrics_text;
  }
  return response;
}

}  // namespace starttls_exporter::app
