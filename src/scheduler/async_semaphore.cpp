#include "async_semaphore.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <utility>

namespace starttls_exporter::scheduler {

AsyncSemaphore::AsyncSemaphore(asio::any_io_executor executor, std::size_t permits)
    : executor_(std::move(executor)), available_(permits) {}

bool AsyncSemaphore::try_acquire() noexcept {
  if (available_ == 0 || !waiters_.empty()) return false;
  --available_;
  return true;
}

asio::awaitable<AsyncSemaphore::AcquireResult> AsyncSemaphore::acquire(
    std::chrono::steady_clock::time_point deadline) {
  if (try_acquire()) co_return AcquireResult::acquired;

  auto waiter = std::make_shared<Waiter>(executor_);
  waiter->timer.expires_at(deadline);
  waiter->position = waiters_.insert(waiters_.end(), waiter);
  waiter->queued = true;
  // The coroutine's cancellation slot reaches this wait: a cancelled caller resumes with
  // operation_aborted. A coroutine already cancelled before this point throws from co_await
  // (Asio's throw_if_cancelled); the waiter is then still queued, so remove it on every path.
  std::error_code ec;
  try {
    auto [wait_ec] =
        co_await waiter->timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    ec = wait_ec;
  } catch (...) {
    ec = asio::error::operation_aborted;
  }
  // A grant wins over a timeout or cancellation that raced with it: the permit is ours.
  if (waiter->granted) co_return AcquireResult::acquired;
  if (waiter->queued) waiters_.erase(waiter->position);
  if (waiter->cancelled || ec == asio::error::operation_aborted) co_return AcquireResult::cancelled;
  co_return AcquireResult::timed_out;
}

void AsyncSemaphore::release() {
  while (!waiters_.empty()) {
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->queued = false;
    // A waiter whose timer already fired is about to resume as timed out; skip it.
    if (waiter->timer.cancel() == 0) continue;
    waiter->granted = true;
    return;
  }
  ++available_;
}

void AsyncSemaphore::cancel_all() {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& waiter : waiters) {
    waiter->queued = false;
    waiter->cancelled = true;
    waiter->timer.cancel();
  }
}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    reset();
    semaphore_ = std::exchange(other.semaphore_, nullptr);
  }
  return *this;
}

void Permit::reset() noexcept {
  if (semaphore_ != nullptr) std::exchange(semaphore_, nullptr)->release();
}

}  // namespace starttls_exporter::scheduler
