#pragma once
/// \file
/// The engine thread: runs the io_context on which the scheduler and every probe live.

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace starttls_exporter::runtime {

class EngineThread {
 public:
  EngineThread();
  /// Joins the thread if shutdown() was not called (after stopping the io_context).
  ~EngineThread();
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  asio::io_context& io() noexcept { return io_; }

  /// Starts running the io_context on a new thread. The context is kept running (a work guard)
  /// while idle, until shutdown().
  void start();

  /// Releases the work guard and waits up to `grace` for run() to return by itself (all work
  /// done: the caller has stopped the scheduler); then stops the io_context and joins.
  /// Returns false when the grace ran out and the context had to be stopped.
  bool shutdown(std::chrono::milliseconds grace);

  /// True when run() ended with an exception (a bug; it was logged).
  bool failed() const noexcept { return failed_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::promise<void> done_;
  std::future<void> done_future_;
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace starttls_exporter::runtime
