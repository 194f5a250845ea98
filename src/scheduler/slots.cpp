// Slot arithmetic and other pure helpers of the scheduler.

#include <algorithm>
#include <cstdint>

#include "scheduler_state.hpp"
#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::scheduler {
namespace {

/// Equal DANE expectations, by value: domain refreshes build new ones each time.
bool same_dane(const prober::ProbeSpec& a, const prober::ProbeSpec& b) noexcept {
  return a.dane && b.dane ? *a.dane == *b.dane : a.dane == b.dane;
}

bool same_spec(const prober::ProbeSpec& a, const prober::ProbeSpec& b) noexcept {
  return same_dane(a, b) && a.address == b.address && a.port == b.port &&
         a.server_name == b.server_name && a.ehlo_name == b.ehlo_name && a.trust == b.trust &&
         a.protocol == b.protocol && a.tls_mode == b.tls_mode &&
         a.source_address == b.source_address && a.min_version == b.min_version &&
         a.legacy_probe == b.legacy_probe && a.versions == b.versions &&
         a.handshake_per_key_type == b.handshake_per_key_type && a.key_type == b.key_type &&
         a.mta_sts == b.mta_sts && a.certificate_file == b.certificate_file;
}

}  // namespace

bool same_schedule(const ScheduledTarget& a, const ScheduledTarget& b) noexcept {
  return a.info.key == b.info.key && same_spec(a.spec, b.spec) && a.interval == b.interval &&
         a.timeout == b.timeout;
}

Duration effective_interval(Duration interval) noexcept {
  return std::max(interval, Duration(1));
}

Duration jitter(std::string_view key, Duration interval) noexcept {
  const auto period = static_cast<std::uint64_t>(effective_interval(interval).count());
  return Duration(static_cast<Duration::rep>(text::fnv1a64(key) % period));
}

SteadyTime first_slot(Duration jitter, Duration interval, SteadyTime now,
                      std::chrono::system_clock::time_point system_now) noexcept {
  using std::chrono::duration_cast;
  const auto period = effective_interval(interval).count();
  const auto unix_ms = duration_cast<Duration>(system_now.time_since_epoch()).count();
  // How far we are past the latest slot, in [0, period).
  const auto past = (((unix_ms - jitter.count()) % period) + period) % period;
  return now + Duration(past == 0 ? 0 : period - past);
}

SteadyTime slot_after_early_probe(Duration jitter, Duration interval, SteadyTime first,
                                  SteadyTime now,
                                  std::chrono::system_clock::time_point system_now) noexcept {
  const SteadyTime earliest = first + effective_interval(interval) / 2;
  const auto system_at_earliest =
      system_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(earliest - now);
  return first_slot(jitter, interval, earliest, system_at_earliest);
}

SteadyTime next_slot(SteadyTime slot, Duration interval, SteadyTime now,
                     std::uint64_t& skipped) noexcept {
  const auto period = effective_interval(interval);
  slot += period;
  skipped = 0;
  if (slot < now) {
    const auto late = now - slot;
    skipped = static_cast<std::uint64_t>((late + period - std::chrono::nanoseconds(1)) / period);
    slot += period * static_cast<Duration::rep>(skipped);
  }
  return slot;
}

ProbeResult failure_result(FailureReason reason, std::string detail) {
  ProbeResult result;
  result.started = std::chrono::system_clock::now();
  result.success = false;
  result.failure = Failure{Phase::connect, reason, 0, std::move(detail)};
  return result;
}

Scheduler::State::State(asio::io_context& io_context, store::ResultStore& result_store,
                        ProbeFunction probe_function, int concurrency)
    : io(io_context),
      store(result_store),
      probe(std::move(probe_function)),
      semaphore(io_context.get_executor(), static_cast<std::size_t>(std::max(concurrency, 1))),
      wake(io_context) {}

void Scheduler::State::add_started(std::chrono::steady_clock::duration lag_by) {
  const double seconds =
      std::chrono::duration<double>(std::max(lag_by, std::chrono::steady_clock::duration(0)))
          .count();
  std::lock_guard lock(stats_mutex);
  ++stats.probes_started;
  lag.observe(seconds);
}

void Scheduler::State::add_skipped(std::uint64_t slots) {
  if (slots == 0) return;
  std::lock_guard lock(stats_mutex);
  stats.slots_skipped += slots;
}

void Scheduler::State::add_in_flight(int delta) {
  std::lock_guard lock(stats_mutex);
  stats.in_flight = static_cast<std::size_t>(static_cast<long>(stats.in_flight) + delta);
}

}  // namespace starttls_exporter::scheduler
