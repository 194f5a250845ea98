#include "async_semaphore.hpp"

#include <doctest/doctest.h>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace starttls_exporter::scheduler;
using namespace std::chrono_literals;
using Result = AsyncSemaphore::AcquireResult;
using std::chrono::steady_clock;

namespace {

/// Acquires, records the outcome under `name`, holds the permit for `hold`, releases.
asio::awaitable<void> worker(AsyncSemaphore& sem, std::string name, steady_clock::duration wait,
                             steady_clock::duration hold, std::vector<std::string>& log) {
  const auto outcome = co_await sem.acquire(steady_clock::now() + wait);
  if (outcome != Result::acquired) {
    log.push_back(name + (outcome == Result::timed_out ? ":timeout" : ":cancelled"));
    co_return;
  }
  log.push_back(name + ":got");
  Permit permit(sem);
  asio::steady_timer timer(co_await asio::this_coro::executor, hold);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("semaphore hands permits to waiters in arrival order") {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 1);
  std::vector<std::string> log;
  for (const char* name : {"a", "b", "c", "d"}) {
    asio::co_spawn(io, worker(sem, name, 5s, 20ms, log), asio::detached);
  }
  io.run();
  CHECK(log == std::vector<std::string>{"a:got", "b:got", "c:got", "d:got"});
  CHECK(sem.available() == 1);
  CHECK(sem.waiting() == 0);
}

TEST_CASE("semaphore wait ends at the deadline without a permit") {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 1);
  std::vector<std::string> log;
  asio::co_spawn(io, worker(sem, "holder", 5s, 300ms, log), asio::detached);
  asio::co_spawn(io, worker(sem, "late", 50ms, 0ms, log), asio::detached);
  asio::co_spawn(io, worker(sem, "patient", 5s, 0ms, log), asio::detached);
  io.run();
  CHECK(log == std::vector<std::string>{"holder:got", "late:timeout", "patient:got"});
  CHECK(sem.available() == 1);
}

TEST_CASE("semaphore waiters can be cancelled, one by one or all at once") {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 1);
  std::vector<std::string> log;
  asio::cancellation_signal signal;
  REQUIRE(sem.try_acquire());
  asio::co_spawn(io, worker(sem, "one", 5s, 0ms, log),
                 asio::bind_cancellation_slot(signal.slot(), asio::detached));
  asio::co_spawn(io, worker(sem, "two", 5s, 0ms, log), asio::detached);
  asio::co_spawn(io, worker(sem, "three", 5s, 0ms, log), asio::detached);
  asio::steady_timer timer(io, 50ms);
  timer.async_wait([&](std::error_code) {
    CHECK(sem.waiting() == 3);
    signal.emit(asio::cancellation_type::terminal);
    asio::post(io, [&] {
      asio::post(io, [&] {
        CHECK(sem.waiting() == 2);
        sem.cancel_all();
      });
    });
  });
  const auto start = steady_clock::now();
  io.run();
  CHECK(steady_clock::now() - start < 5s);  // nobody waited for the 5 s deadline
  CHECK(log == std::vector<std::string>{"one:cancelled", "two:cancelled", "three:cancelled"});
  CHECK(sem.available() == 0);  // the permit taken by try_acquire was never released
  sem.release();
  CHECK(sem.available() == 1);
}

TEST_CASE("try_acquire never jumps the queue") {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 2);
  CHECK(sem.try_acquire());
  CHECK(sem.try_acquire());
  CHECK_FALSE(sem.try_acquire());
  sem.release();
  CHECK(sem.available() == 1);
  {
    Permit permit(sem);  // adopts the second permit
  }
  CHECK(sem.available() == 2);
}
