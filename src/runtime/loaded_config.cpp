#include "starttls_exporter/runtime/loaded_config.hpp"

#include <set>

#include "starttls_exporter/core/heap.hpp"

namespace starttls_exporter::runtime {
namespace {

scheduler::ScheduledTarget scheduled(const config::Target& target, const config::Module& module,
                                     std::shared_ptr<const tls::TrustStore> trust) {
  scheduler::ScheduledTarget out;
  out.info.key = target.key();
  out.info.endpoint = target.endpoint();
  out.info.module = target.module;
  out.info.server_name = target.server_name;
  out.info.labels = target.labels;
  out.info.series = module.metrics;
  out.spec.address = target.address;
  out.spec.port = target.port;
  out.spec.server_name = target.server_name;
  prober::apply_module(out.spec, module);
  out.spec.certificate_file = target.certificate_file.pattern;  // the target's, else the module's
  out.spec.trust = std::move(trust);
  out.interval = target.interval;
  out.timeout = module.timeout;
  return out;
}

void check_resolver(const config::Config& config) {
  if (config.domains.empty()) return;
  try {
    dns::check_settings(domains::resolver_settings(config.dns));
  } catch (const dns::DnsError& e) {
    auto where = config.dns.trust_anchor_location;
    if (where.file.empty()) where = config::SourceLocation{config.source_file, 0, 0};
    throw config::ConfigError(where, "dns", e.what());
  }
}

}  // namespace

std::shared_ptr<const tls::TrustStore> TrustCache::get(const config::Module& module,
                                                       const std::string& config_file) {
  return get(module.tls, "modules." + module.name + ".tls.ca_file", config_file);
}

std::shared_ptr<const tls::TrustStore> TrustCache::get(const config::TlsSettings& tls,
                                                       const std::string& key,
                                                       const std::string& config_file) {
  try {
    if (tls.ca_file.empty()) {
      if (!system_) system_ = tls::TrustStore::system();
      return system_;
    }
    if (auto it = files_.find(tls.ca_file);
        it != files_.end() && it->second.content == tls.ca_pem) {
      return it->second.store;
    }
    auto store = tls::TrustStore::from_pem(tls.ca_pem, "CA file " + tls.ca_file);
    files_[tls.ca_file] = Entry{tls.ca_pem, store};
    return store;
  } catch (const tls::TlsError& e) {
    auto where = tls.ca_file_location;
    if (where.file.empty()) where = config::SourceLocation{config_file, 0, 0};
    throw config::ConfigError(where, key, e.what());
  }
}

void TrustCache::keep_only(const std::vector<std::string>& ca_files) {
  const std::set<std::string> keep(ca_files.begin(), ca_files.end());
  std::erase_if(files_, [&](const auto& entry) { return !keep.contains(entry.first); });
}

domains::DomainJob domain_job(const config::Domain& domain, const config::Module& module,
                              std::shared_ptr<const tls::TrustStore> trust) {
  domains::DomainJob job;
  job.domain = domain;
  prober::apply_module(job.spec, module);
  job.spec.trust = std::move(trust);
  if (domain.kind == config::DomainKind::host) {
    job.spec.certificate_file = domain.certificate_file.pattern;  // hosts[].certificate_file
  }
  job.port = domain.port.value_or(config::default_port(module.protocol, module.tls.mode));
  job.interval = domain.interval;
  job.timeout = module.timeout;
  job.series = module.metrics;
  return job;
}

scheduler::TargetRef TargetCache::reuse(scheduler::ScheduledTarget target) const {
  const auto it = by_key_.find(target.info.key);
  if (it != by_key_.end()) {
    const scheduler::TargetRef& old = last_[it->second];
    if (old->info == target.info && scheduler::same_schedule(*old, target)) return old;
  }
  return std::make_shared<const scheduler::ScheduledTarget>(std::move(target));
}

void TargetCache::remember(const std::vector<scheduler::TargetRef>& targets) {
  by_key_.clear();
  last_ = targets;
  by_key_.reserve(last_.size());
  for (std::size_t i = 0; i < last_.size(); ++i) by_key_.emplace(last_[i]->info.key, i);
}

LoadedConfig prepare(config::Config config, TrustCache& trust, const Shard& shard,
                     TargetCache* targets) {
  LoadedConfig loaded;
  std::vector<std::string> ca_files;
  for (const auto& [name, module] : config.modules) {
    loaded.trust_by_module[name] = trust.get(module, config.source_file);
    ca_files.push_back(module.tls.ca_file);
  }
  if (!config.domains.empty()) {  // the system store is not read for a config without domains
    loaded.mta_sts_trust = trust.get(config.mta_sts.tls, "mta_sts.ca_file", config.source_file);
    ca_files.push_back(config.mta_sts.tls.ca_file);
  }
  trust.keep_only(ca_files);
  loaded.targets.reserve(config.targets.size());
  for (const auto& target : config.targets) {
    if (!owns(shard, target.key())) continue;
    const config::Module& module = config.modules.at(target.module);  // validated by the loader
    auto built = scheduled(target, module, loaded.trust_by_module.at(target.module));
    loaded.targets.push_back(
        targets != nullptr ? targets->reuse(std::move(built))
                           : std::make_shared<const scheduler::ScheduledTarget>(std::move(built)));
  }
  for (const auto& domain : config.domains) {
    if (!owns(shard, domains::domain_key(domain))) continue;
    const config::Module& module = config.modules.at(domain.module);
    loaded.domains.push_back(domain_job(domain, module, loaded.trust_by_module.at(domain.module)));
  }
  check_resolver(config);
  if (targets != nullptr) targets->remember(loaded.targets);  // only a config that loaded
  loaded.config = std::move(config);
  return loaded;
}

LoadedConfig load(const std::string& path, TrustCache& trust, const Shard& shard,
                  TargetCache* targets) {
  const ReturnFreedMemory trim;  // on success and on error alike
  return prepare(config::load_config(path), trust, shard, targets);
}

}  // namespace starttls_exporter::runtime
