// domains[].services and hosts[]: a domain's mail services found by SRV (RFC 6186 §3,
// RFC 8314 §5.1) and hosts named directly. Both become entries of Config::domains, so the
// domain watcher, /probe and the probe command resolve them as they resolve mail domains.
#include <algorithm>

#include "sections.hpp"
#include "starttls_exporter/config/config_keys.hpp"
#include "starttls_exporter/core/net.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {
namespace {

MailService service_named(const Entry& entry, const std::string& name, const Reader& reader) {
  const auto service = parse_service(name);
  if (!service) {
    reader.fail(entry, "unknown service " + quote(name) + "; expected one of " + service_names());
  }
  return *service;
}

/// The module a service without one of its own uses: the domain's module, speaking the
/// service's protocol and TLS mode. Named "MODULE/SERVICE" and added to the modules once.
const Module& derived_module(const Module& base, const MailService& service, Config& config) {
  Module module = module_for_service(base, service);
  const std::string name = module.name;
  return config.modules.try_emplace(name, std::move(module)).first->second;
}

/// A module mapped to a service must speak it: the same protocol and TLS mode.
const Module& mapped_module(const Entry& entry, const MailService& service, const Config& config,
                            const Reader& reader) {
  const Module& module = find_module(entry, config, reader);
  if (module.protocol != service.protocol || module.tls.mode != service.mode) {
    reader.fail(
        entry,
        "module " + quote(module.name) + " speaks " + std::string(protocol_name(module.protocol)) +
            (module.tls.mode == TlsMode::implicit ? " over implicit TLS" : " with STARTTLS") +
            "; the service " + std::string(service.name) + " is " +
            std::string(protocol_name(service.protocol)) +
            (service.mode == TlsMode::implicit ? " over implicit TLS" : " with STARTTLS"));
  }
  return module;
}

Domain service_entry(const Domain& domain, const MailService& service, const Module& module) {
  Domain out = domain;
  out.kind = DomainKind::service;
  out.service = std::string(service.name);
  out.module = module.name;
  out.port.reset();  // the SRV record names the port
  out.certificate_file = module.certificate_file;
  return out;
}

}  // namespace

std::vector<Domain> parse_services(const Entry& entry, const Domain& domain, Config& config,
                                   const Reader& reader) {
  std::vector<Domain> out;
  const Module base = config.modules.at(domain.module);
  const auto add = [&](const Entry& name_entry, const Entry* module_entry) {
    const MailService service =
        service_named(name_entry, reader.scalar(name_entry, "a service name"), reader);
    for (const Domain& seen : out) {
      if (seen.service == service.name) reader.fail(name_entry, "service listed twice");
    }
    const Module& module = module_entry != nullptr && !module_entry->value.IsNull()
                               ? mapped_module(*module_entry, service, config, reader)
                               : derived_module(base, service, config);
    out.push_back(service_entry(domain, service, module));
  };
  if (entry.value.IsSequence()) {
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      add({entry.name, entry.path + "[" + std::to_string(i) + "]", entry.key, entry.value[i]},
          nullptr);
    }
  } else if (entry.value.IsMap()) {
    const Fields fields = reader.fields(entry.value, entry.path, {});
    for (const Entry& item : fields.all()) {
      const Entry name{item.name, item.path, item.key, item.key};
      add(name, &item);
    }
  } else {
    reader.fail(entry, "expected a list of services (" + service_names() +
                           ") or a mapping of service to module");
  }
  return out;
}

std::vector<Domain> parse_hosts(const Entry* entry, const Config& config,
                                const OwnTimeouts& own_timeouts, const Reader& reader) {
  std::vector<Domain> hosts;
  if (entry == nullptr || entry->value.IsNull()) return hosts;
  if (!entry->value.IsSequence()) {
    reader.fail(*entry, "expected a sequence of hosts, got " + std::string(describe(entry->value)));
  }
  for (std::size_t index = 0; index < entry->value.size(); ++index) {
    const YAML::Node& item = entry->value[index];
    const std::string path = "hosts[" + std::to_string(index) + "]";
    const Fields fields = reader.item_fields(item, path, keys::kHost, {"name", "module"});
    Domain host;
    host.kind = DomainKind::host;
    host.name = parse_domain_name(*fields.find("name"), reader);
    const Module& module = find_module(*fields.find("module"), config, reader);
    host.module = module.name;
    ProbedEntry common =
        parse_probed_entry(fields, module, config, item, path, own_timeouts, reader);
    host.port = common.port;
    host.interval = common.interval;
    host.labels = std::move(common.labels);
    host.certificate_file = std::move(common.certificate_file);
    // One store key per name and module: a host may not repeat a domain or another host.
    const auto same = [&](const Domain& d) {
      return d.name == host.name && d.module == host.module;
    };
    if (std::any_of(config.domains.begin(), config.domains.end(), same) ||
        std::any_of(hosts.begin(), hosts.end(), same)) {
      reader.fail(reader.location(item), path,
                  "duplicate: " + host.name + " with module " + host.module + " is listed already");
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

}  // namespace starttls_exporter::config::detail
