// Reloader: a good reload replaces the running configuration and the scheduled targets; a bad
// one keeps both and reports the loader's message. The probes are a stub that never connects.
#include <doctest/doctest.h>

#include <asio/post.hpp>

#include <future>
#include <stdexcept>

#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/runtime/engine_thread.hpp"
#include "starttls_exporter/runtime/reloader.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;

namespace {

asio::awaitable<ProbeResult> no_probe(prober::ProbeSpec, std::chrono::steady_clock::time_point) {
  co_return ProbeResult{};
}

runtime::LoadedConfig config_with(int targets, const std::string& marker) {
  runtime::LoadedConfig loaded;
  loaded.config.source_text = marker;
  for (int i = 0; i < targets; ++i) {
    scheduler::ScheduledTarget t;
    t.info.key = "127.0.0." + std::to_string(i + 1) + ":25|m";
    t.info.endpoint = "127.0.0." + std::to_string(i + 1) + ":25";
    t.info.module = "m";
    t.spec.address = "127.0.0." + std::to_string(i + 1);
    t.interval = 1h;
    t.timeout = 1s;
    loaded.targets.push_back(std::make_shared<const scheduler::ScheduledTarget>(std::move(t)));
  }
  return loaded;
}

struct Rig {
  store::ResultStore store;
  runtime::EngineThread engine;
  scheduler::Scheduler scheduler{engine.io(), store, no_probe, 4};
  runtime::DomainWatcher watcher{engine.io(), store, scheduler};
  metrics::Collector collector{store, {"test", "test"}};
  std::function<runtime::LoadedConfig()> next;
  runtime::Reloader reloader{[this] { return next(); }, watcher, collector, engine.io(), 4};
  Rig() { engine.start(); }
  /// Returns once the engine has run everything queued before this call.
  void barrier() {
    std::promise<void> reached;
    asio::post(engine.io(), [&reached] { reached.set_value(); });
    reached.get_future().wait();
  }
  ~Rig() {
    watcher.stop();
    scheduler.stop();
    engine.shutdown(800ms);
  }
};

}  // namespace

TEST_CASE("Reloader: a good reload replaces the configuration and the targets") {
  Rig rig;
  rig.reloader.install(config_with(2, "first"));
  REQUIRE(rig.reloader.current());
  CHECK(rig.reloader.current()->config.source_text == "first");

  rig.next = [] { return config_with(3, "second"); };
  const runtime::ReloadOutcome outcome = rig.reloader.reload("test");
  CHECK(outcome.ok);
  CHECK(outcome.targets == 3);
  CHECK(rig.reloader.current()->config.source_text == "second");
  CHECK(rig.store.target_count() == 3);  // applied on the engine before reload() returned
}

TEST_CASE("Reloader: a bad reload keeps the running configuration and names the problem") {
  Rig rig;
  rig.reloader.install(config_with(2, "first"));
  // install() hands the targets to the engine without waiting: let its queued work run.
  for (int i = 0; i < 20 && rig.store.target_count() != 2; ++i) rig.barrier();
  REQUIRE(rig.store.target_count() == 2);
  const auto running = rig.reloader.current();
  rig.next = []() -> runtime::LoadedConfig {
    throw config::ConfigError({"exporter.yml", 3, 5}, "global.interval", "not a duration");
  };
  const runtime::ReloadOutcome outcome = rig.reloader.reload("test");
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error.find("exporter.yml:3:5: global.interval: not a duration") !=
        std::string::npos);
  CHECK(rig.reloader.current() == running);
  CHECK(rig.reloader.current()->config.source_text == "first");
  CHECK(rig.store.target_count() == 2);
}
