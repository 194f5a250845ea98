#pragma once
/// \file
/// The scheduler's internals, shared by scheduler.cpp (public API) and slot_queue.cpp (the
/// slots due, and each slot's coroutine). Exposed to tests/scheduler for the slot arithmetic.

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "async_semaphore.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"

namespace starttls_exporter::scheduler {

using SteadyTime = std::chrono::steady_clock::time_point;

/// One target's schedule. Engine thread only. Between its probes a target costs this object and
/// one entry in State::due: no coroutine waits for its slot (a suspended coroutine per target
/// cost ~1.1 KB each, 110 MB at 100,000 targets; bench/README.md, 2026-12-03).
struct Run {
  explicit Run(TargetRef t);
  TargetRef target;   ///< never null
  Duration interval;  ///< effective_interval(target.interval)
  Duration phase;     ///< jitter(key, interval): the stable slots' offset
  SteadyTime slot{};  ///< the slot of the next probe, or of the one running
  /// The next probe is the first one, at its ramp time before its stable slot (see
  /// kFirstRoundRate); the probe after it goes to slot_after_early_probe.
  bool early = false;
  /// Cancels the slot's coroutine while one runs. Must outlive that coroutine entirely (Asio
  /// keeps the coroutine's cancellation state in the signal's memory), hence the shared_ptr
  /// juggling in slot_queue.cpp.
  asio::cancellation_signal signal;
  bool stopped = false;          ///< removed, changed or shut down: drop any result still in flight
  bool probing = false;          ///< a slot's coroutine runs (waits for a permit or probes)
  std::uint64_t generation = 0;  ///< the apply() that last kept or started it
};

/// A target's next slot: an entry of State::due.
struct Due {
  SteadyTime at;  ///< run->slot when pushed (it does not change while queued), kept inline so
                  ///< heap operations over 100,000 entries do not chase pointers
  std::shared_ptr<Run> run;
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
  std::map<std::string, std::shared_ptr<Run>> runs;  ///< updated in place by apply()
  std::uint64_t apply_generation = 0;
  /// Every running target's next slot, a min-heap by `at` (push_due, on_wake). Never holds a
  /// stopped run: apply() purges the ones it stops, stop() clears it, and a slot that ends
  /// after its run stopped pushes nothing.
  std::vector<Due> due;
  asio::steady_timer wake;            ///< fires at due's earliest slot
  std::optional<SteadyTime> wake_at;  ///< what `wake` is armed for; unset: not armed
  std::map<std::uint64_t, std::shared_ptr<OnDemand>> on_demand;
  std::uint64_t next_on_demand = 0;

  // Any thread, under stats_mutex.
  mutable std::mutex stats_mutex;
  SchedulerStats stats;
  Histogram lag{kLagBucketBounds};

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

/// Schedules a new run: its first probe at `first_probe` (the ramp) or at its first stable
/// slot, whichever comes first. Each slot then takes a permit, probes and records, and
/// schedules the next slot, until stop_run().
void start_run(const std::shared_ptr<Scheduler::State>& state, const std::shared_ptr<Run>& run,
               SteadyTime first_probe);

/// Stops a run: no further slot, a probe in flight is cancelled and its result dropped.
void stop_run(Run& run);

/// Drops the due entries of stopped runs (after apply() stopped some).
void purge_stopped(Scheduler::State& state);

/// Calls the probe function, turning an exception into an internal_error result.
asio::awaitable<ProbeResult> guarded_probe(Scheduler::State& state, prober::ProbeSpec spec,
                                           SteadyTime deadline);

}  // namespace starttls_exporter::scheduler
