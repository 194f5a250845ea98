// The slots due: one timer for every target's next slot, and a coroutine per slot that takes a
// permit, probes and records. A target waiting for its slot is a heap entry, not a suspended
// coroutine.

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <exception>
#include <string>

#include "scheduler_state.hpp"
#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::scheduler {
namespace {

using std::chrono::steady_clock;
using State = Scheduler::State;

/// Counts a probe in flight for stats() while alive.
class InFlight {
 public:
  explicit InFlight(State& state) : state_(state) { state_.add_in_flight(1); }
  ~InFlight() { state_.add_in_flight(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  State& state_;
};

void record(State& state, const Run& run, ProbeResult result) {
  auto shared = std::make_shared<const ProbeResult>(std::move(result));
  state.store.record(run.target->info.key, shared);
  if (state.observer) state.observer(run.target->info, *shared);
}

enum class SlotOutcome { probed, skipped, stopped };

/// One slot: take a permit (waiting at most until the next slot), probe, record. The
/// parameters keep the state and the run alive for the coroutine's whole life.
asio::awaitable<SlotOutcome> run_slot(std::shared_ptr<State> state, std::shared_ptr<Run> run) {
  const auto outcome = co_await state->semaphore.acquire(run->slot + run->interval);
  if (outcome == AsyncSemaphore::AcquireResult::acquired) {
    Permit permit(state->semaphore);
    if (run->stopped) co_return SlotOutcome::stopped;
    InFlight counted(*state);
    const auto start = steady_clock::now();
    state->add_started(start - run->slot);
    auto result = co_await guarded_probe(*state, run->target->spec, start + run->target->timeout);
    // Removed or changed while in flight: drop the result.
    if (run->stopped) co_return SlotOutcome::stopped;
    record(*state, *run, std::move(result));
    co_return SlotOutcome::probed;
  }
  if (run->stopped) co_return SlotOutcome::stopped;
  state->add_skipped(1);
  log::debug("probe slot skipped: no concurrency permit", {{"target", run->target->info.key}});
  co_return SlotOutcome::skipped;
}

bool later(const Due& a, const Due& b) noexcept {
  return a.at > b.at;  // std heaps keep the greatest on top: "later" makes it the earliest
}

void on_wake(const std::shared_ptr<State>& state);

/// Arms the timer for the earliest slot due, unless it is armed for that or earlier.
void arm(const std::shared_ptr<State>& state) {
  if (state->stopped || state->due.empty()) return;
  const SteadyTime at = state->due.front().at;
  if (state->wake_at && *state->wake_at <= at) return;
  state->wake_at = at;
  state->wake.expires_at(at);  // a wait armed for later completes with operation_aborted
  state->wake.async_wait([state](const std::error_code& error) {
    if (error != asio::error::operation_aborted) on_wake(state);
  });
}

void push_due(const std::shared_ptr<State>& state, std::shared_ptr<Run> run) {
  state->due.push_back(Due{run->slot, std::move(run)});
  std::push_heap(state->due.begin(), state->due.end(), later);
  arm(state);
}

/// The next slot after one ended with `outcome`, or none when the run stopped.
void after_slot(const std::shared_ptr<State>& state, const std::shared_ptr<Run>& run,
                SlotOutcome outcome) {
  if (run->stopped || state->stopped || outcome == SlotOutcome::stopped) return;
  const auto now = steady_clock::now();
  if (run->early) {  // back to the stable phase, at least half an interval later
    run->early = false;
    run->slot = slot_after_early_probe(run->phase, run->interval, run->slot, now,
                                       std::chrono::system_clock::now());
  } else if (outcome == SlotOutcome::skipped) {
    run->slot += run->interval;  // the permit wait ran until this slot: take it without waiting
  } else {
    std::uint64_t skipped = 0;
    run->slot = next_slot(run->slot, run->interval, now, skipped);
    state->add_skipped(skipped);
  }
  push_due(state, run);
}

void spawn_slot(const std::shared_ptr<State>& state, const std::shared_ptr<Run>& run) {
  run->probing = true;
  asio::co_spawn(
      state->io, run_slot(state, run),
      asio::bind_cancellation_slot(
          run->signal.slot(), [state, run](const std::exception_ptr& error, SlotOutcome outcome) {
            run->probing = false;
            if (error && !run->stopped) {
              // Cancellation by stop_run() surfaces as operation_aborted; anything else is a
              // bug, worth a line in the log. The target keeps its schedule.
              std::string what = "unknown exception";
              try {
                std::rethrow_exception(error);
              } catch (const std::exception& e) {
                what = e.what();
              } catch (...) {
              }
              log::error("probe slot ended unexpectedly",
                         {{"target", run->target->info.key}, {"error", what}});
              outcome = SlotOutcome::probed;
            }
            after_slot(state, run, outcome);
            // Keeps `run` (and its signal, which holds the coroutine's cancellation state)
            // alive until after the coroutine's teardown, also when no slot follows.
            asio::post(state->io, [run] {});
          }));
}

/// Starts every slot that is due and re-arms the timer for the next one.
void on_wake(const std::shared_ptr<State>& state) {
  state->wake_at.reset();
  const auto now = steady_clock::now();
  auto& due = state->due;
  while (!state->stopped && !due.empty() && due.front().at <= now) {
    std::pop_heap(due.begin(), due.end(), later);
    std::shared_ptr<Run> run = std::move(due.back().run);
    due.pop_back();
    spawn_slot(state, run);
  }
  arm(state);
}

}  // namespace

Run::Run(TargetRef t)
    : target(std::move(t)),
      interval(effective_interval(target->interval)),
      phase(jitter(target->info.key, interval)) {}

void start_run(const std::shared_ptr<State>& state, const std::shared_ptr<Run>& run,
               SteadyTime first_probe) {
  run->slot =
      first_slot(run->phase, run->interval, steady_clock::now(), std::chrono::system_clock::now());
  // The first round: soon after start or reload (ramped), unless the stable slot comes first.
  if (first_probe < run->slot) {
    run->slot = first_probe;
    run->early = true;
  }
  push_due(state, run);
}

void stop_run(Run& run) {
  run.stopped = true;
  if (run.probing) run.signal.emit(asio::cancellation_type::terminal);
}

void purge_stopped(State& state) {
  const auto removed = std::erase_if(state.due, [](const Due& d) { return d.run->stopped; });
  if (removed != 0) std::make_heap(state.due.begin(), state.due.end(), later);
}

asio::awaitable<ProbeResult> guarded_probe(State& state, prober::ProbeSpec spec,
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

}  // namespace starttls_exporter::scheduler
