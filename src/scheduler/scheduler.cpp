// The Scheduler's public API. Every mutation of the engine's state is dispatched to the
// io_context, so it runs on the engine thread (inline when already there).

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <exception>
#include <set>
#include <utility>

#include "scheduler_state.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::scheduler {
namespace {

using State = Scheduler::State;

void apply_now(const std::shared_ptr<State>& state, std::vector<TargetRef> targets) {
  if (state->stopped) return;
  // In place: runs kept or started by this apply() carry its generation, the others stop. No
  // second map of every target is built beside the first.
  const std::uint64_t generation = ++state->apply_generation;
  std::vector<std::shared_ptr<const store::TargetInfo>> infos;
  infos.reserve(targets.size());
  std::vector<std::shared_ptr<Run>> fresh;
  for (auto& target : targets) {
    const std::string& key = target->info.key;  // the object outlives the loop (runs own it)
    const auto old = state->runs.find(key);
    if (old != state->runs.end() && old->second->generation == generation) {
      log::warn("duplicate target key ignored", {{"target", key}});
      continue;
    }
    infos.emplace_back(target, &target->info);  // shares the target's own info
    if (old != state->runs.end() && same_schedule(*old->second->target, *target)) {
      // The same schedule: the run keeps its slot and takes the new object (labels may change
      // freely), so the old one is freed now rather than kept beside it.
      old->second->target = std::move(target);
      old->second->generation = generation;
      continue;
    }
    auto run = std::make_shared<Run>(std::move(target));
    run->generation = generation;
    fresh.push_back(run);
    if (old == state->runs.end()) {
      state->runs.emplace(key, run);
    } else {
      stop_run(*old->second);  // changed: restarts
      old->second = std::move(run);
    }
  }
  std::erase_if(state->runs, [&](auto& entry) {
    if (entry.second->generation == generation) return false;
    stop_run(*entry.second);  // removed
    return true;
  });
  purge_stopped(*state);
  state->store.set_targets(infos);
  {
    std::lock_guard lock(state->stats_mutex);
    state->stats.targets = state->runs.size();
  }
  // The first round ramps at kFirstRoundRate in config order, so a large config does not
  // reach the network in one burst; the concurrency limit still applies on top.
  const auto now = std::chrono::steady_clock::now();
  const auto step =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::seconds(1)) /
      kFirstRoundRate;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    start_run(state, fresh[i], now + step * static_cast<long>(i));
  }
}

void stop_now(State& state) {
  state.stopped = true;
  for (auto& [key, run] : state.runs) stop_run(*run);
  state.runs.clear();
  state.due.clear();
  state.wake.cancel();
  state.wake_at.reset();
  for (auto& [id, probe] : state.on_demand) {
    if (!probe->finished) probe->signal.emit(asio::cancellation_type::terminal);
  }
  state.semaphore.cancel_all();
  std::lock_guard lock(state.stats_mutex);
  state.stats.targets = 0;
}

/// One probe under the concurrency limit, waiting for a permit until `deadline`.
asio::awaitable<ProbeResult> probe_with_permit(std::shared_ptr<State> state, prober::ProbeSpec spec,
                                               SteadyTime deadline) {
  const auto outcome = co_await state->semaphore.acquire(deadline);
  if (outcome == AsyncSemaphore::AcquireResult::timed_out) {
    co_return failure_result(FailureReason::timeout,
                             "no concurrency slot became free before the deadline");
  }
  if (outcome == AsyncSemaphore::AcquireResult::cancelled || state->stopped) {
    if (outcome == AsyncSemaphore::AcquireResult::acquired) state->semaphore.release();
    co_return failure_result(FailureReason::internal_error, "exporter shutting down");
  }
  Permit permit(state->semaphore);
  state->add_in_flight(1);
  auto result = co_await guarded_probe(*state, std::move(spec), deadline);
  state->add_in_flight(-1);
  if (state->stopped) {
    result = failure_result(FailureReason::internal_error, "exporter shutting down");
  }
  co_return result;
}

asio::awaitable<void> on_demand_probe(std::shared_ptr<State> state, prober::ProbeSpec spec,
                                      SteadyTime deadline,
                                      std::shared_ptr<std::promise<ProbeResult>> promise) {
  promise->set_value(co_await probe_with_permit(std::move(state), std::move(spec), deadline));
}

}  // namespace

Scheduler::Scheduler(asio::io_context& io, store::ResultStore& store, ProbeFunction probe,
                     int concurrency)
    : state_(std::make_shared<State>(io, store, std::move(probe), concurrency)) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::set_observer(ResultObserver observer) {
  state_->observer = std::move(observer);
}

void Scheduler::apply(std::vector<TargetRef> targets) {
  asio::dispatch(state_->io, [state = state_, targets = std::move(targets)]() mutable {
    apply_now(state, std::move(targets));
  });
}

void Scheduler::apply(std::vector<ScheduledTarget> targets) {
  std::vector<TargetRef> shared;
  shared.reserve(targets.size());
  for (auto& target : targets) {
    shared.push_back(std::make_shared<const ScheduledTarget>(std::move(target)));
  }
  apply(std::move(shared));
}

void Scheduler::stop() {
  asio::dispatch(state_->io, [state = state_] { stop_now(*state); });
}

std::future<ProbeResult> Scheduler::probe_now(prober::ProbeSpec spec,
                                              std::chrono::steady_clock::time_point deadline) {
  auto promise = std::make_shared<std::promise<ProbeResult>>();
  auto future = promise->get_future();
  asio::dispatch(state_->io, [state = state_, spec = std::move(spec), deadline, promise]() mutable {
    if (state->stopped) {
      promise->set_value(failure_result(FailureReason::internal_error, "exporter shutting down"));
      return;
    }
    const auto id = state->next_on_demand++;
    auto probe = std::make_shared<OnDemand>();
    state->on_demand.emplace(id, probe);
    asio::co_spawn(state->io, on_demand_probe(state, std::move(spec), deadline, promise),
                   asio::bind_cancellation_slot(
                       probe->signal.slot(), [state, id, probe](const std::exception_ptr&) {
                         probe->finished = true;
                         state->on_demand.erase(id);
                         asio::post(state->io, [probe] {});  // see spawn_slot
                       }));
  });
  return future;
}

asio::awaitable<ProbeResult> Scheduler::probe(prober::ProbeSpec spec, SteadyTime deadline) {
  co_return co_await probe_with_permit(state_, std::move(spec), deadline);
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(state_->stats_mutex);
  return state_->stats;
}

Histogram Scheduler::lag_histogram() const {
  std::lock_guard lock(state_->stats_mutex);
  return state_->lag;
}

}  // namespace starttls_exporter::scheduler
