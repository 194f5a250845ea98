#include "starttls_exporter/store/result_store.hpp"

#include <algorithm>

#include <set>
#include <string_view>
#include <utility>

namespace starttls_exporter::store {
namespace {

void observe(ModulePhaseHistograms& histograms, const ProbeResult& result) {
  for (const auto& [phase, seconds] : result.phases) {
    const auto index = static_cast<std::size_t>(phase);
    if (index >= histograms.size()) continue;
    histograms[index].observe(seconds);
  }
}

}  // namespace

void ResultStore::set_targets(const std::vector<TargetInfo>& targets) {
  std::vector<std::shared_ptr<const TargetInfo>> shared;
  shared.reserve(targets.size());
  for (const auto& info : targets) shared.push_back(std::make_shared<const TargetInfo>(info));
  set_targets(shared);
}

void ResultStore::set_targets(const std::vector<std::shared_ptr<const TargetInfo>>& targets) {
  std::vector<Entry*> order;
  order.reserve(targets.size());

  std::lock_guard lock(mutex_);
  const std::uint64_t generation = ++generation_;
  for (const auto& info : targets) {
    auto [it, inserted] = entries_.try_emplace(info->key);
    // Duplicate keys are a config error; should one slip through, the first one wins.
    if (!inserted && it->second.generation == generation) continue;
    it->second.generation = generation;
    // Labels may change while the key stays: always take the new identity.
    it->second.state.target = info;
    order.push_back(&it->second);
  }
  std::erase_if(entries_, [&](const auto& entry) { return entry.second.generation != generation; });
  order_ = std::move(order);
  std::set<std::string_view> modules;
  for (const auto& info : targets) modules.insert(info->module);
  std::erase_if(phases_, [&](const auto& module) { return !modules.contains(module.first); });
}

void ResultStore::record(const std::string& key, std::shared_ptr<const ProbeResult> result) {
  if (!result) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;  // removed by a reload while the probe was in flight
  auto& state = it->second.state;
  observe(phases_[state.target->module], *result);
  // Shared, not copied: one set of certificate facts per target in memory.
  if (result->tls && result->verify) state.last_handshake = result;
  if (result->success) {
    state.last_success = result->started;
    ++counters_.success;
  } else {
    ++counters_.failure;
  }
  state.latest = std::move(result);
}

std::vector<TargetSnapshot> ResultStore::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<TargetSnapshot> out;
  out.reserve(order_.size());
  for (const Entry* entry : order_) out.push_back(entry->state);
  return out;
}

ProbeCounters ResultStore::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::map<std::string, ModulePhaseHistograms> ResultStore::phase_histograms() const {
  std::lock_guard lock(mutex_);
  return phases_;
}

std::size_t ResultStore::target_count() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

void ResultStore::set_domains(const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  std::unordered_map<std::string, std::shared_ptr<const DomainState>> kept;
  for (const auto& name : names) {
    if (auto it = domains_.find(name); it != domains_.end()) kept.emplace(name, it->second);
  }
  domain_order_ = names;
  domains_ = std::move(kept);
}

void ResultStore::record_domain(const std::string& name, std::shared_ptr<const DomainState> state) {
  std::lock_guard lock(mutex_);
  if (std::find(domain_order_.begin(), domain_order_.end(), name) == domain_order_.end()) return;
  domains_[name] = std::move(state);
}

std::vector<std::shared_ptr<const DomainState>> ResultStore::domains() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const DomainState>> out;
  for (const auto& name : domain_order_) {
    if (auto it = domains_.find(name); it != domains_.end()) out.push_back(it->second);
  }
  return out;
}

}  // namespace starttls_exporter::store
