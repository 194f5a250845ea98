#include "runtime.hpp"

#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>

namespace starttls_exporter::app {
namespace {

/// The file's bytes, or nullopt when it cannot be read (from_pem_file then reports why).
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(bytes).str();
}

}  // namespace

std::shared_ptr<const tls::TrustStore> TrustCache::get(const config::Module& module,
                                                       const std::string& config_file) {
  const std::string& path = module.tls.ca_file;
  try {
    if (path.empty()) {
      if (!system_) system_ = tls::TrustStore::system();
      return system_;
    }
    const auto content = read_file(path);
    if (auto it = files_.find(path);
        content && it != files_.end() && it->second.content == *content) {
      return it->second.store;
    }
    auto store = tls::TrustStore::from_pem_file(path);
    if (content) files_[path] = Entry{*content, store};
    return store;
  } catch (const tls::TlsError& e) {
    auto where = module.tls.ca_file_location;
    if (where.file.empty()) where = config::SourceLocation{config_file, 0, 0};
    throw config::ConfigError(where, "modules." + module.name + ".tls.ca_file", e.what());
  }
}

void TrustCache::keep_only(const std::vector<std::string>& ca_files) {
  const std::set<std::string> keep(ca_files.begin(), ca_files.end());
  std::erase_if(files_, [&](const auto& entry) { return !keep.contains(entry.first); });
}

std::vector<scheduler::ScheduledTarget> build_targets(const config::Config& config,
                                                      TrustCache& trust, const Shard& shard) {
  std::map<std::string, std::shared_ptr<const tls::TrustStore>> by_module;
  std::vector<std::string> ca_files;
  for (const auto& [name, module] : config.modules) {
    by_module[name] = trust.get(module, config.source_file);
    ca_files.push_back(module.tls.ca_file);
  }
  trust.keep_only(ca_files);

  std::vector<scheduler::ScheduledTarget> targets;
  targets.reserve(config.targets.size());
  for (const auto& target : config.targets) {
    if (!owns(shard, target.key())) continue;
    const config::Module& module = config.modules.at(target.module);  // validated by the loader
    scheduler::ScheduledTarget scheduled;
    scheduled.info.key = target.key();
    scheduled.info.endpoint = target.endpoint();
    scheduled.info.module = target.module;
    scheduled.info.labels = target.labels;
    scheduled.spec.address = target.address;
    scheduled.spec.port = target.port;
    scheduled.spec.server_name = target.server_name;
    prober::apply_module(scheduled.spec, module);
    scheduled.spec.trust = by_module.at(target.module);
    scheduled.interval = target.interval;
    scheduled.timeout = module.timeout;
    targets.push_back(std::move(scheduled));
  }
  return targets;
}

}  // namespace starttls_exporter::app
