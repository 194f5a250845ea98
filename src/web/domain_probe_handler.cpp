#include "domain_probe_handler.hpp"

#include <algorithm>
#include <cctype>
#include <future>

#include "probe_handler.hpp"
#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/runtime/loaded_config.hpp"

namespace starttls_exporter::web {
namespace {

/// Beyond the deadline, how long to wait for the engine's answer (a guard against a bug).
constexpr std::chrono::seconds kAnswerSlack{5};

http::Response plain(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body) + "\n";
  return response;
}

std::string param(const http::Request& request, const char* name) {
  const auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

/// The families of one domain probe, from a store that holds only it and its addresses.
std::string render(const domains::DomainProbe& probe) {
  store::ResultStore store;
  std::vector<store::TargetInfo> infos;
  for (const auto& address : probe.addresses) infos.push_back(address.target.info);
  store.set_targets(infos);
  for (const auto& address : probe.addresses) {
    if (address.result) store.record(address.target.info.key, address.result);
  }
  const std::string key = domains::domain_key(probe.state->domain);
  store.set_domains({key});
  store.record_domain(key, probe.state);
  return metrics::render_text(metrics::store_families(store, std::chrono::system_clock::now()));
}

}  // namespace

http::Response handle_domain_probe(const http::Request& request, const runtime::LiveConfig& live,
                                   runtime::DomainWatcher& domains) {
  const std::string name = net::normalise_domain_name(param(request, "domain"));
  const std::string module_name = param(request, "module");
  if (module_name.empty()) return plain(400, "missing module parameter");
  const auto configured = std::find_if(
      live.config.domains.begin(), live.config.domains.end(),
      [&](const config::Domain& d) { return d.name == name && d.module == module_name; });
  if (configured == live.config.domains.end()) {
    return plain(403, "domain \"" + name + "\" with module \"" + module_name +
                          "\" is not a configured domain: /probe resolves configured domains only");
  }
  const config::Module& module = live.config.modules.at(module_name);
  const Duration timeout =
      probe_timeout(module.timeout, request.header("x-prometheus-scrape-timeout-seconds"),
                    live.config.global.scrape_timeout_margin);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto future = domains.probe_now(
      runtime::domain_job(*configured, module, live.trust_by_module.at(module_name)), deadline);
  if (future.wait_until(deadline + kAnswerSlack) != std::future_status::ready) {
    return plain(500, "the domain probe did not finish");
  }
  const domains::DomainProbe probe = future.get();
  log::debug("on-demand domain probe", {{"domain", name},
                                        {"module", module_name},
                                        {"addresses", std::to_string(probe.addresses.size())}});
  http::Response response;
  response.content_type = std::string(metrics::kTextContentType);
  response.body = render(probe);
  return response;
}

}  // namespace starttls_exporter::web
