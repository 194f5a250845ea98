#pragma once
/// \file
/// The scheduler's internals, shared by scheduler.cpp (public API) and target_loop.cpp (the
/// per-target coroutine). Exposed to tests/scheduler for the slot arithmetic.

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "async_semaphore.hpp"
#include "starttls_exporter/scheduler.hpp"

namespace starttls_exporter::scheduler {

using SteadyTime = std::chrono::steady_clock::time_point;

/// One target's loop. Engine thread only.
struct Run {
  explicit Run(ScheduledTarget t) : target(std::move(t)) {}
  ScheduledTarget target;
  /// When the first probe may run, if earlier than the target's first stable slot: the
  /// first-round ramp (see kFirstRoundRate). Unset: wait for the stable slot.
  std::optional<SteadyTime> first_probe;
  /// Cancels the loop's coroutine. Must outlive that coroutine entirely (Asio keeps the
  /// coroutine's cancellation state in the signal's memory), hence the shared_ptr juggling in
  /// scheduler.cpp.
  asio::cancellation_signal signal;
  bool stopped = false;   ///< removed, changed or shut down: drop any result still in flight
  bool finished = false;  ///< the coroutine has completed; emitting the signal is pointless
};

/// One probe_now() in progress. Engine thread only.
struct OnDemand {
  asio::cancellation_signal signal;
  bool finished = false;
};

struct Scheduler::State {
  State(asio::io_context& io, store::ResultStore& store, ProbeFunction probe, int concurrency);

  asio::io_context& io;
  store::ResultStore& store;
  ProbeFunction probe;
  ResultObserver observer;

  // Engine thread only.
  AsyncSemaphore semaphore;
  bool stopped = false;
  std::map<std::string, std::shared_ptr<Run>> runs;
  std::map<std::uint64_t, std::shared_ptr<OnDemand>> on_demand;
  std::uint64_t next_on_demand = 0;

  // Any thread, under stats_mutex.
  mutable std::mutex stats_mutex;
  SchedulerStats stats;
  LagHistogram lag;

  void add_started(std::chrono::steady_clock::duration lag_by);
  void add_skipped(std::uint64_t slots);
  void add_in_flight(int delta);
};

/// The interval the engine uses: at least 1 ms.
Duration effective_interval(Duration interval) noexcept;

/// The first slot at or after `now` for a target with this jitter: the next instant whose Unix
/// time is congruent to `jitter` modulo `interval` (system_now gives the correspondence).
SteadyTime first_slot(Duration jitter, Duration interval, SteadyTime now,
                      std::chrono::system_clock::time_point system_now) noexcept;

/// The slot of the second probe after an early first probe that started at `first`: the first
/// stable slot at least half an interval later, so the first two probes are never closer than
/// interval / 2 and later ones keep the stable phase.
SteadyTime slot_after_early_probe(Duration jitter, Duration interval, SteadyTime first,
                                  SteadyTime now,
                                  std::chrono::system_clock::time_point system_now) noexcept;

/// The slot after `slot`, skipping the ones already in the past at `now`; `skipped` receives
/// how many were skipped.
SteadyTime next_slot(SteadyTime slot, Duration interval, SteadyTime now,
                     std::uint64_t& skipped) noexcept;

/// A failed result for probes that never reached the probe function (or whose function threw).
ProbeResult failure_result(FailureReason reason, std::string detail);

/// The loop of one target: waits for each slot, takes a permit, probes, records. Runs until
/// run->stopped or cancellation.
asio::awaitable<void> target_loop(std::shared_ptr<Scheduler::State> state,
                                  std::shared_ptr<Run> run);

/// Calls the probe function, turning an exception into an internal_error result.
asio::awaitable<ProbeResult> guarded_probe(Scheduler::State& state, prober::ProbeSpec spec,
                                           SteadyTime deadline);

}  // namespace starttls_exporter::scheduler
