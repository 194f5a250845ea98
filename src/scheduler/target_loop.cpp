// The per-target coroutine: slot, permit, probe, record, repeat.

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <string>

#include "scheduler_state.hpp"
#include "starttls_exporter/log.hpp"

namespace starttls_exporter::scheduler {
namespace {

using std::chrono::steady_clock;

/// Counts a probe in flight for stats() while alive.
class InFlight {
 public:
  explicit InFlight(Scheduler::State& state) : state_(state) { state_.add_in_flight(1); }
  ~InFlight() { state_.add_in_flight(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Scheduler::State& state_;
};

void record(Scheduler::State& state, const Run& run, ProbeResult result) {
  auto shared = std::make_shared<const ProbeResult>(std::move(result));
  state.store.record(run.target.info.key, shared);
  if (state.observer) state.observer(run.target.info, *shared);
}

enum class SlotOutcome { probed, skipped, stopped };

/// One slot: take a permit (waiting at most until the next slot), probe, record.
asio::awaitable<SlotOutcome> run_slot(Scheduler::State& state, Run& run, SteadyTime slot,
                                      Duration interval) {
  const auto outcome = co_await state.semaphore.acquire(slot + interval);
  if (outcome == AsyncSemaphore::AcquireResult::acquired) {
    Permit permit(state.semaphore);
    if (run.stopped) co_return SlotOutcome::stopped;
    InFlight counted(state);
    const auto start = steady_clock::now();
    state.add_started(start - slot);
    auto result = co_await guarded_probe(state, run.target.spec, start + run.target.timeout);
    // Removed or changed while in flight: drop the result.
    if (run.stopped) co_return SlotOutcome::stopped;
    record(state, run, std::move(result));
    co_return SlotOutcome::probed;
  }
  if (run.stopped) co_return SlotOutcome::stopped;
  state.add_skipped(1);
  log::debug("probe slot skipped: no concurrency permit", {{"target", run.target.info.key}});
  co_return SlotOutcome::skipped;
}

}  // namespace

asio::awaitable<ProbeResult> guarded_probe(Scheduler::State& state, prober::ProbeSpec spec,
                                           SteadyTime deadline) {
  std::string error;
  try {
    co_return co_await state.probe(std::move(spec), deadline);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  co_return failure_result(FailureReason::internal_error, "probe function threw: " + error);
}

asio::awaitable<void> target_loop(std::shared_ptr<Scheduler::State> state,
                                  std::shared_ptr<Run> run) {
  const auto interval = effective_interval(run->target.interval);
  const auto phase = jitter(run->target.info.key, interval);
  asio::steady_timer timer(state->io);
  auto slot = first_slot(phase, interval, steady_clock::now(), std::chrono::system_clock::now());
  // The first round: soon after start or reload (ramped), unless the stable slot comes first.
  bool early = run->first_probe && *run->first_probe < slot;
  if (early) slot = *run->first_probe;
  try {
    while (!run->stopped) {
      timer.expires_at(slot);
      co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      if (run->stopped) break;
      const auto outcome = co_await run_slot(*state, *run, slot, interval);
      if (outcome == SlotOutcome::stopped) break;
      if (early) {  // back to the stable phase, at least half an interval later
        early = false;
        slot = slot_after_early_probe(phase, interval, slot, steady_clock::now(),
                                      std::chrono::system_clock::now());
        continue;
      }
      if (outcome == SlotOutcome::skipped) {
        slot += interval;  // the permit wait ran until this slot: take it without waiting
        continue;
      }
      std::uint64_t skipped = 0;
      slot = next_slot(slot, interval, steady_clock::now(), skipped);
      state->add_skipped(skipped);
    }
  } catch (const std::exception& e) {
    // Cancellation by stop() surfaces as operation_aborted from the next co_await; anything
    // else is a bug, worth a line in the log.
    if (!run->stopped) {
      log::error("target loop ended unexpectedly",
                 {{"target", run->target.info.key}, {"error", e.what()}});
    }
  }
}

}  // namespace starttls_exporter::scheduler
