// DomainWatcher: one coroutine per configured domain on the engine: resolve, publish the
// domain's state, recompose the scheduler's targets, sleep until the next refresh.
#include "starttls_exporter/domain_watcher.hpp"

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

#include "mta_sts_refresh.hpp"
#include "starttls_exporter/log.hpp"

namespace starttls_exporter::runtime {
namespace {

using Clock = std::chrono::steady_clock;

bool same_dns(const config::DnsSettings& a, const config::DnsSettings& b) {
  const auto resolvers = [](const config::DnsSettings& d) {
    std::vector<std::pair<std::string, std::uint16_t>> out;
    for (const auto& r : d.resolvers) out.emplace_back(r.ip, r.port);
    return out;
  };
  const auto networks = [](const config::DnsSettings& d) {
    std::vector<std::string> out;
    for (const auto& n : d.allowed_reserved_cidrs) out.push_back(n.text);
    return out;
  };
  return resolvers(a) == resolvers(b) && a.trust_anchor.bytes == b.trust_anchor.bytes &&
         a.timeout == b.timeout && a.min_refresh == b.min_refresh &&
         a.max_refresh == b.max_refresh && networks(a) == networks(b) &&
         a.address_family == b.address_family && a.max_mx_hosts == b.max_mx_hosts &&
         a.max_addresses_per_host == b.max_addresses_per_host;
}

bool same_job(const DomainJob& a, const DomainJob& b) {
  scheduler::ScheduledTarget x, y;
  x.spec = a.spec;
  y.spec = b.spec;
  x.interval = a.interval;
  y.interval = b.interval;
  x.timeout = a.timeout;
  y.timeout = b.timeout;
  return a.domain.name == b.domain.name && a.domain.module == b.domain.module &&
         a.domain.labels == b.domain.labels && a.series == b.series && a.port == b.port &&
         scheduler::same_schedule(x, y);
}

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
  explicit DomainRun(DomainJob j) : job(std::move(j)) {}
  DomainJob job;
  asio::cancellation_signal signal;
  bool stopped = false;
  bool finished = false;
  std::vector<scheduler::ScheduledTarget> targets;  ///< what is probed for it now
  std::shared_ptr<const dns::MailPath> probed;
  Clock::time_point probed_at{};
  std::shared_ptr<const mta_sts::PolicyState> policy;  ///< the MTA-STS policy, when any
  Clock::time_point policy_fetched_at{};
};

struct DomainWatcher::State : std::enable_shared_from_this<DomainWatcher::State> {
  State(asio::io_context& io_context, store::ResultStore& result_store,
        scheduler::Scheduler& engine_scheduler)
      : io(io_context), store(result_store), scheduler(engine_scheduler) {}

  asio::io_context& io;
  store::ResultStore& store;
  scheduler::Scheduler& scheduler;
  bool stopped = false;
  std::vector<scheduler::ScheduledTarget> static_targets;
  std::map<std::string, std::shared_ptr<DomainRun>> runs;  ///< by domain_key, config order kept
  std::vector<std::string> order;
  config::DnsSettings dns;
  MtaStsOptions mta_sts;
  std::shared_ptr<dns::Resolver> resolver;
  mutable std::mutex resolver_mutex;  ///< guards `resolver` for resolver_stats()
  bool recompose_pending = false;

  /// The configured targets plus every domain's, each key once, to the scheduler.
  void recompose() {
    std::vector<scheduler::ScheduledTarget> all = static_targets;
    std::set<std::string> keys;
    for (const auto& t : all) keys.insert(t.info.key);
    for (const auto& key : order) {
      for (const auto& t : runs.at(key)->targets) {
        if (keys.insert(t.info.key).second) all.push_back(t);
      }
    }
    scheduler.apply(std::move(all));
  }

  void publish(DomainRun& run, std::shared_ptr<const dns::MailPath> path, double seconds) {
    auto state = std::make_shared<store::DomainState>();
    state->domain = run.job.domain;
    state->path = std::move(path);
    state->probed = run.probed;
    state->resolved_at = std::chrono::system_clock::now();
    state->resolve_seconds = seconds;
    state->mta_sts = run.policy;
    for (const auto& t : run.targets)
      state->targets.emplace_back(t.info.labels.at("mx"), t.info.key);
    store.record_domain(domain_key(run.job.domain), std::move(state));
  }

  /// Applies one resolution; returns how long until the next. Asks for a recompose only when
  /// the domain's targets changed: most refreshes find the same set, and recomposing hands
  /// every target of every domain to the scheduler again.
  Duration settle(DomainRun& run, const dns::MailPath& path) {
    const auto now = Clock::now();
    if (!refresh_failed(path)) {
      run.probed = std::make_shared<const dns::MailPath>(path);
      run.probed_at = now;
      auto targets = targets_of(path, run.job, run.policy.get());
      if (!same_targets(targets, run.targets)) {
        run.targets = std::move(targets);
        request_recompose();
      }
      const auto ttl = std::chrono::duration_cast<Duration>(path.ttl);
      return std::clamp(ttl, dns.min_refresh, dns.max_refresh);
    }
    if (run.probed && now - run.probed_at > dns.max_refresh) {  // the last good set expired
      run.probed.reset();
      run.targets.clear();
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
      const auto started = Clock::now();
      const dns::MailPath path =
          co_await dns::resolve_mail_path(lookup, run->job.domain.name, dns, run->job.port);
      if (run->stopped) break;
      run->policy =
          co_await refresh_policy(lookup, path, dns, mta_sts, run->policy, run->policy_fetched_at);
      if (run->stopped) break;
      const Duration next = settle(*run, path);  // after the policy: its rule is in the specs
      publish(*run, std::make_shared<const dns::MailPath>(path),
              std::chrono::duration<double>(Clock::now() - started).count());
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

  void apply_now(std::vector<scheduler::ScheduledTarget> targets, std::vector<DomainJob> jobs,
                 const config::DnsSettings& settings, const dns::ResolverSettings& resolver_config,
                 MtaStsOptions policy_options) {
    if (stopped) return;
    mta_sts = std::move(policy_options);
    static_targets = std::move(targets);
    const bool new_resolver = !resolver || !same_dns(dns, settings);
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
      const std::string key = domain_key(job.domain);
      order.push_back(key);
      auto old = runs.find(key);
      if (old != runs.end() && same_job(old->second->job, job)) {
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

void DomainWatcher::apply(std::vector<scheduler::ScheduledTarget> targets,
                          std::vector<DomainJob> domains, const config::DnsSettings& dns,
                          MtaStsOptions mta_sts) {
  dns::ResolverSettings resolver_config;
  if (!domains.empty()) resolver_config = resolver_settings(dns);  // checked by prepare()
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

std::future<DomainProbe> DomainWatcher::probe_now(DomainJob job, Clock::time_point deadline) {
  auto promise = std::make_shared<std::promise<DomainProbe>>();
  auto future = promise->get_future();
  asio::dispatch(state_->io, [state = state_, job = std::move(job), deadline, promise]() mutable {
    std::shared_ptr<dns::Resolver> resolver;
    {
      std::lock_guard lock(state->resolver_mutex);
      resolver = state->resolver;
    }
    asio::co_spawn(state->io,
                   probe_domain(state->io, resolver, state->scheduler, state->dns, std::move(job),
                                deadline, state->mta_sts),
                   [promise](std::exception_ptr e, DomainProbe probe) {
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
