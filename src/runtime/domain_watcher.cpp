// DomainWatcher: one coroutine per configured domain on the engine: a domain round (resolve,
// policy, targets), publish the domain's state, recompose the scheduler's targets, sleep
// until the next refresh.
#include "starttls_exporter/runtime/domain_watcher.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <mutex>

#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::runtime {
namespace {

using Clock = std::chrono::steady_clock;

/// The same probes, by the scheduler's own rule (key, spec with its DANE expectation,
/// interval, timeout), in the same order.
bool same_targets(const std::vector<scheduler::ScheduledTarget>& a,
                  const std::vector<scheduler::ScheduledTarget>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), scheduler::same_schedule);
}

/// An MX lookup that failed (not a definitive answer): keep probing the last good set.
bool refresh_failed(const dns::MailPath& path) {
  return !path.resolved && !path.failures.contains(dns::DomainFailure::nxdomain);
}

}  // namespace

/// One domain's loop. Engine thread only.
struct DomainRun {
  explicit DomainRun(domains::DomainJob j) : job(std::move(j)) {}
  domains::DomainJob job;
  asio::cancellation_signal signal;
  bool stopped = false;
  bool finished = false;
  /// What is probed for it now; shared with the published DomainState. Never null.
  std::shared_ptr<const std::vector<scheduler::ScheduledTarget>> targets =
      std::make_shared<const std::vector<scheduler::ScheduledTarget>>();
  std::shared_ptr<const dns::MailPath> probed;
  Clock::time_point probed_at{};
  domains::PolicyMemory policy;  ///< the MTA-STS policy, when any, and when it was fetched
};

struct DomainWatcher::State : std::enable_shared_from_this<DomainWatcher::State> {
  State(asio::io_context& io_context, store::ResultStore& result_store,
        scheduler::Scheduler& engine_scheduler)
      : io(io_context), store(result_store), scheduler(engine_scheduler) {}

  asio::io_context& io;
  store::ResultStore& store;
  scheduler::Scheduler& scheduler;
  bool stopped = false;
  std::vector<scheduler::TargetRef> static_targets;
  std::map<std::string, std::shared_ptr<DomainRun>> runs;  ///< by domain_key, config order kept
  std::vector<std::string> order;
  config::DnsSettings dns;
  domains::MtaStsOptions mta_sts;
  std::shared_ptr<dns::Resolver> resolver;
  mutable std::mutex resolver_mutex;  ///< guards `resolver` for resolver_stats()
  bool recompose_pending = false;

  /// The configured targets plus every domain's, each key once, to the scheduler. Hands on
  /// references, not copies: a domain's target shares its domain's vector.
  void recompose() {
    std::vector<scheduler::TargetRef> all = static_targets;
    std::set<std::string_view> keys;
    for (const auto& t : all) keys.insert(t->info.key);
    for (const auto& key : order) {
      const auto& targets = runs.at(key)->targets;
      for (const auto& t : *targets) {
        if (keys.insert(t.info.key).second) all.emplace_back(targets, &t);
      }
    }
    scheduler.apply(std::move(all));
  }

  void publish(DomainRun& run, const domains::Round& round) {
    store.record_domain(domains::domain_key(run.job.domain),
                        domains::state_of(run.job, round, run.probed, run.targets));
  }

  /// Applies one resolution; returns how long until the next. Asks for a recompose only when
  /// the domain's targets changed: most refreshes find the same set, and recomposing hands
  /// every target of every domain to the scheduler again.
  Duration settle(DomainRun& run, domains::Round& round) {
    const auto now = Clock::now();
    if (!refresh_failed(*round.path)) {
      run.probed = round.path;
      run.probed_at = now;
      if (!same_targets(round.targets, *run.targets)) {
        run.targets = std::make_shared<const std::vector<scheduler::ScheduledTarget>>(
            std::move(round.targets));
        request_recompose();
      }
      const auto ttl = std::chrono::duration_cast<Duration>(round.path->ttl);
      return std::clamp(ttl, dns.min_refresh, dns.max_refresh);
    }
    if (run.probed && now - run.probed_at > dns.max_refresh) {  // the last good set expired
      run.probed.reset();
      run.targets = std::make_shared<const std::vector<scheduler::ScheduledTarget>>();
      request_recompose();
    }
    return dns.min_refresh;
  }

  /// One recompose for a burst of changes (the first round resolves every domain at once).
  void request_recompose() {
    if (recompose_pending) return;
    recompose_pending = true;
    asio::post(io, [self = shared_from_this()] {
      self->recompose_pending = false;
      if (!self->stopped) self->recompose();
    });
  }

  asio::awaitable<void> loop(std::shared_ptr<DomainRun> run, std::shared_ptr<dns::Resolver> r) {
    asio::steady_timer timer(io);
    auto lookup = [r](std::string name, dns::RecordType type) {
      return r->lookup(std::move(name), type);
    };
    while (!run->stopped) {
      domains::Round round =
          co_await domains::run_round(lookup, run->job, dns, mta_sts, run->policy);
      if (run->stopped) break;
      const Duration next = settle(*run, round);
      publish(*run, round);
      timer.expires_after(next);
      co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
  }

  void start(const std::shared_ptr<DomainRun>& run) {
    asio::co_spawn(io, loop(run, resolver),
                   asio::bind_cancellation_slot(
                       run->signal.slot(), [self = shared_from_this(), run](std::exception_ptr) {
                         run->finished = true;
                         asio::post(self->io, [run] {});
                       }));
  }

  static void stop_run(DomainRun& run) {
    run.stopped = true;
    if (!run.finished) run.signal.emit(asio::cancellation_type::terminal);
  }

  void apply_now(std::vector<scheduler::TargetRef> targets, std::vector<domains::DomainJob> jobs,
                 const config::DnsSettings& settings, const dns::ResolverSettings& resolver_config,
                 domains::MtaStsOptions policy_options) {
    if (stopped) return;
    mta_sts = std::move(policy_options);
    static_targets = std::move(targets);
    const bool new_resolver = !resolver || dns != settings;
    dns = settings;
    if (new_resolver) {
      for (auto& [key, run] : runs) stop_run(*run);
      runs.clear();
      std::lock_guard lock(resolver_mutex);
      resolver = jobs.empty() ? nullptr : std::make_shared<dns::Resolver>(io, resolver_config);
    }
    std::map<std::string, std::shared_ptr<DomainRun>> next;
    std::vector<std::shared_ptr<DomainRun>> fresh;
    order.clear();
    for (auto& job : jobs) {
      const std::string key = domains::domain_key(job.domain);
      order.push_back(key);
      auto old = runs.find(key);
      if (old != runs.end() && domains::same_job(old->second->job, job)) {
        next.emplace(key, std::move(old->second));
        runs.erase(old);
        continue;
      }
      auto run = std::make_shared<DomainRun>(std::move(job));
      fresh.push_back(run);
      next.emplace(key, std::move(run));
    }
    for (auto& [key, run] : runs) stop_run(*run);
    runs = std::move(next);
    store.set_domains(order);
    recompose();
    for (const auto& run : fresh) start(run);
  }
};

DomainWatcher::DomainWatcher(asio::io_context& io, store::ResultStore& store,
                             scheduler::Scheduler& scheduler)
    : state_(std::make_shared<State>(io, store, scheduler)) {}

DomainWatcher::~DomainWatcher() {
  stop();
}

void DomainWatcher::apply(std::vector<scheduler::TargetRef> targets,
                          std::vector<domains::DomainJob> domains, const config::DnsSettings& dns,
                          domains::MtaStsOptions mta_sts) {
  dns::ResolverSettings resolver_config;
  if (!domains.empty()) resolver_config = domains::resolver_settings(dns);  // checked by prepare()
  asio::dispatch(state_->io,
                 [state = state_, targets = std::move(targets), domains = std::move(domains), dns,
                  resolver_config, mta_sts = std::move(mta_sts)]() mutable {
                   state->apply_now(std::move(targets), std::move(domains), dns, resolver_config,
                                    std::move(mta_sts));
                 });
}

void DomainWatcher::stop() {
  asio::dispatch(state_->io, [state = state_] {
    state->stopped = true;
    for (auto& [key, run] : state->runs) State::stop_run(*run);
    state->runs.clear();
  });
}

std::future<domains::DomainProbe> DomainWatcher::probe_now(domains::DomainJob job,
                                                           Clock::time_point deadline) {
  auto promise = std::make_shared<std::promise<domains::DomainProbe>>();
  auto future = promise->get_future();
  asio::dispatch(state_->io, [state = state_, job = std::move(job), deadline, promise]() mutable {
    std::shared_ptr<dns::Resolver> resolver;
    {
      std::lock_guard lock(state->resolver_mutex);
      resolver = state->resolver;
    }
    asio::co_spawn(state->io,
                   domains::probe_domain(state->io, resolver, state->scheduler, state->dns,
                                         std::move(job), deadline, state->mta_sts),
                   [promise](std::exception_ptr e, domains::DomainProbe probe) {
                     if (e) {
                       promise->set_exception(e);
                     } else {
                       promise->set_value(std::move(probe));
                     }
                   });
  });
  return future;
}

dns::ResolverStats DomainWatcher::resolver_stats() const {
  std::lock_guard lock(state_->resolver_mutex);
  return state_->resolver ? state_->resolver->stats() : dns::ResolverStats{};
}

}  // namespace starttls_exporter::runtime
