#pragma once
/// \file
/// The probe engine: runs every target's probe on its own interval, at most `concurrency` at
/// once, and records the results in the ResultStore.
///
/// Threading: the engine is single-threaded. Everything it owns lives on one io_context, run by
/// one thread (the engine thread); probes are coroutines on that thread. apply(), stop(),
/// probe_now(), stats() and lag_histogram() may be called from any thread. The ResultStore is
/// the only state shared with the HTTP threads.
///
/// Lifetime: the io_context and the ResultStore must outlive the Scheduler and every coroutine
/// it started (those share the engine's internal state, so the Scheduler object itself may go
/// first). The destructor calls stop().

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string_view>
#include <vector>

#include "starttls_exporter/core/duration.hpp"
#include "starttls_exporter/core/histogram.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::scheduler {

/// Runs one probe on the calling coroutine's executor, ending by the deadline (see
/// prober::run_probe, the production implementation). May throw; the scheduler turns an
/// exception into a Failure{phase connect, internal_error}.
using ProbeFunction = std::function<asio::awaitable<ProbeResult>(
    prober::ProbeSpec, std::chrono::steady_clock::time_point deadline)>;

/// Sees every scheduled result the engine records (not dropped ones, not probe_now()).
/// Called on the engine thread; must not block.
using ResultObserver = std::function<void(const store::TargetInfo&, const ProbeResult&)>;

/// One target as the engine runs it.
struct ScheduledTarget {
  store::TargetInfo info;  ///< info.key is the identity
  prober::ProbeSpec spec;
  Duration interval{0};  ///< > 0; smaller values are treated as 1 ms
  Duration timeout{0};   ///< each probe's deadline is its start plus this
};

/// A target as the scheduler keeps it: one immutable object shared with whoever built it (the
/// loaded config, the domain watcher), so that a target exists once in memory.
using TargetRef = std::shared_ptr<const ScheduledTarget>;

/// True when two targets probe the same way on the same schedule: the same spec (trust store
/// compared by identity), interval and timeout. Labels do not count.
bool same_schedule(const ScheduledTarget& a, const ScheduledTarget& b) noexcept;

/// New targets (at start, and those a reload adds or changes) are probed soon instead of at
/// their first stable slot: the i-th new target of one apply() at i / kFirstRoundRate seconds,
/// or at its stable slot when that comes first. The second probe then takes the first stable
/// slot at least half an interval after the first; later ones keep the stable phase.
inline constexpr int kFirstRoundRate = 100;  ///< new targets started per second

/// The stable phase of a target within its interval: FNV-1a 64 of the key, modulo the
/// interval, in [0, interval). Slots of a target are at Unix epoch + jitter + k * interval, so a
/// restarted exporter probes a target at the same phase of its interval as before.
Duration jitter(std::string_view key, Duration interval) noexcept;

/// Bucket bounds of the histogram of how late probes started compared to their slot (waiting
/// for a concurrency permit, a busy engine thread).
inline constexpr std::array<double, 8> kLagBucketBounds{0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30};

struct SchedulerStats {
  std::uint64_t probes_started = 0;  ///< scheduled probes only, not probe_now()
  std::uint64_t slots_skipped = 0;   ///< slots missed because a probe overran or no permit came
  std::size_t targets = 0;
  std::size_t in_flight = 0;  ///< scheduled and on-demand probes holding a permit
};

class Scheduler {
 public:
  /// `store` and `io` must outlive the scheduler. `concurrency` < 1 is treated as 1.
  Scheduler(asio::io_context& io, store::ResultStore& store, ProbeFunction probe, int concurrency);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Installs the observer. Call before the engine thread runs the io_context.
  void set_observer(ResultObserver observer);

  /// Replaces the target set; takes effect on the engine thread (at once when called there,
  /// else as soon as it runs). New targets start, removed ones stop (their loop is cancelled
  /// and a result still in flight is dropped), unchanged ones (same key and same_schedule) keep
  /// their schedule and state, changed ones restart. Calls store.set_targets in the same step,
  /// so the store never holds a removed target's result. Ignored after stop().
  void apply(std::vector<TargetRef> targets);
  /// The same for targets built in place (each is moved into a TargetRef of its own).
  void apply(std::vector<ScheduledTarget> targets);

  /// Cancels every target's schedule, every probe in flight and every probe_now() waiting for a
  /// permit. After it, the engine holds no work: io.run() returns once the cancelled probes
  /// have unwound (promptly, provided the probe function honours cancellation).
  void stop();

  /// Runs one probe on demand under the same concurrency limit. Waits for a permit until
  /// `deadline`; when none came, or stop() intervened, the result is a failure in phase
  /// connect with reason `timeout` (no permit before the deadline) or `internal_error`
  /// (shutting down), with an explanatory detail. The future is fulfilled on the engine thread;
  /// it reports std::future_error (broken_promise) if the io_context is destroyed first.
  /// probe_now() for a coroutine on the engine thread: the same permit rule, awaited.
  asio::awaitable<ProbeResult> probe(prober::ProbeSpec spec,
                                     std::chrono::steady_clock::time_point deadline);

  std::future<ProbeResult> probe_now(prober::ProbeSpec spec,
                                     std::chrono::steady_clock::time_point deadline);

  SchedulerStats stats() const;
  Histogram lag_histogram() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace starttls_exporter::scheduler
