#pragma once
/// \file
/// A counting semaphore for coroutines on one Asio executor: bounds how many probes run at once.
///
/// Threading: not thread-safe. Every member is called on the thread that runs the executor
/// given to the constructor (the scheduler's engine thread).

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>

namespace starttls_exporter::scheduler {

class AsyncSemaphore {
 public:
  enum class AcquireResult {
    acquired,   ///< the caller holds one permit and must release() it
    timed_out,  ///< the deadline passed before a permit was free
    cancelled,  ///< cancel_all() or the awaiting coroutine's cancellation slot fired
  };

  AsyncSemaphore(asio::any_io_executor executor, std::size_t permits);
  AsyncSemaphore(const AsyncSemaphore&) = delete;
  AsyncSemaphore& operator=(const AsyncSemaphore&) = delete;

  /// Takes a permit, waiting until `deadline` for one. Waiters are served first come, first
  /// served: a permit released while others wait goes to the oldest waiter, never to a newcomer.
  /// Never throws for timeout or cancellation (they are results); the semaphore must outlive
  /// the wait.
  asio::awaitable<AcquireResult> acquire(std::chrono::steady_clock::time_point deadline);

  /// Takes a permit when one is free and nobody waits; never suspends.
  bool try_acquire() noexcept;

  /// Returns a permit: hands it to the oldest waiter, or makes it available.
  void release();

  /// Wakes every current waiter with AcquireResult::cancelled (shutdown).
  void cancel_all();

  std::size_t available() const noexcept { return available_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;  ///< expires at the deadline; cancelled to wake the waiter early
    bool granted = false;      ///< release() handed this waiter a permit
    bool cancelled = false;    ///< cancel_all() woke it
    bool queued = false;       ///< still in waiters_, at `position`
    std::list<std::shared_ptr<Waiter>>::iterator position;
  };

  asio::any_io_executor executor_;
  std::size_t available_;
  // Oldest first. A waiter leaves by its own iterator: with thousands queued (an overloaded
  // engine), a scan per timed-out waiter made the engine thread quadratic.
  std::list<std::shared_ptr<Waiter>> waiters_;
};

/// Holds one permit and returns it on destruction (RAII over AsyncSemaphore::release()).
class Permit {
 public:
  Permit() = default;
  explicit Permit(AsyncSemaphore& semaphore) noexcept : semaphore_(&semaphore) {}
  Permit(Permit&& other) noexcept : semaphore_(other.semaphore_) { other.semaphore_ = nullptr; }
  Permit& operator=(Permit&& other) noexcept;
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() { reset(); }

  void reset() noexcept;

 private:
  AsyncSemaphore* semaphore_ = nullptr;
};

}  // namespace starttls_exporter::scheduler
