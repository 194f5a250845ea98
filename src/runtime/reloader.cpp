#include "starttls_exporter/runtime/reloader.hpp"

#include <asio/post.hpp>

#include <future>

#include "starttls_exporter/core/heap.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::runtime {
namespace {

/// How long a reload waits for the engine thread to apply the new targets.
constexpr std::chrono::seconds kApplyWait{5};

}  // namespace

Reloader::Reloader(LoadFunction load, DomainWatcher& watcher, metrics::Collector& collector,
                   asio::io_context& engine, int running_concurrency)
    : load_(std::move(load)),
      watcher_(watcher),
      collector_(collector),
      engine_(engine),
      running_concurrency_(running_concurrency) {}

void Reloader::publish(LoadedConfig& loaded) {
  auto live = std::make_shared<LiveConfig>();
  live->config = std::move(loaded.config);
  live->trust_by_module = std::move(loaded.trust_by_module);
  const auto& policy = live->config.mta_sts;
  watcher_.apply(std::move(loaded.targets), std::move(loaded.domains), live->config.dns,
                 domains::MtaStsOptions{loaded.mta_sts_trust, policy.refresh, policy.timeout});
  {
    std::lock_guard lock(current_mutex_);
    current_ = std::move(live);
  }
  collector_.set_reload_status(true, std::chrono::system_clock::now());
}

void Reloader::install(LoadedConfig loaded) {
  std::lock_guard lock(reload_mutex_);
  publish(loaded);
}

ReloadOutcome Reloader::reload(const std::string& trigger) {
  std::lock_guard lock(reload_mutex_);
  // Last, after the engine applied the change: the replaced targets and config are freed by
  // then, and the heap gives their pages back instead of keeping them as a new floor.
  const ReturnFreedMemory trim;
  ReloadOutcome outcome;
  const std::string file = current() ? current()->config.source_file : "";
  log::info("reloading configuration", {{"file", file}, {"trigger", trigger}});
  try {
    LoadedConfig loaded = load_();
    if (loaded.config.global.concurrency != running_concurrency_) {
      log::warn("global.concurrency changes take effect at the next restart",
                {{"running", std::to_string(running_concurrency_)},
                 {"configured", std::to_string(loaded.config.global.concurrency)}});
    }
    outcome.targets = loaded.targets.size();
    publish(loaded);
  } catch (const std::exception& e) {
    outcome.error = e.what();
    collector_.set_reload_status(false, std::chrono::system_clock::now());
    log::error("configuration reload failed; keeping the running configuration",
               {{"error", outcome.error}, {"trigger", trigger}});
    return outcome;
  }
  // apply() posted the change to the engine thread; a marker posted after it runs after it.
  auto applied = std::make_shared<std::promise<void>>();
  auto done = applied->get_future();
  asio::post(engine_, [applied] { applied->set_value(); });
  if (done.wait_for(kApplyWait) != std::future_status::ready) {
    log::warn("the engine has not applied the new configuration yet");
  }
  outcome.ok = true;
  log::info("configuration reloaded",
            {{"targets", std::to_string(outcome.targets)}, {"trigger", trigger}});
  return outcome;
}

std::shared_ptr<const LiveConfig> Reloader::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

}  // namespace starttls_exporter::runtime
