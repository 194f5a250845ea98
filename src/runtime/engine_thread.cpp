#include "starttls_exporter/runtime/engine_thread.hpp"

#include <signal.h>

#include <exception>

#include "starttls_exporter/log/log.hpp"

namespace starttls_exporter::runtime {

EngineThread::EngineThread()
    : io_(1),  // concurrency hint: one thread runs this context
      work_(asio::make_work_guard(io_)),
      done_future_(done_.get_future()) {}

EngineThread::~EngineThread() {
  if (thread_.joinable()) {
    io_.stop();
    thread_.join();
  }
}

void EngineThread::start() {
  thread_ = std::thread([this] {
    try {
      io_.run();
    } catch (const std::exception& e) {
      failed_ = true;
      log::error("engine thread failed", {{"error", e.what()}});
      ::raise(SIGTERM);  // shut down in an orderly way; the exit status reports the failure
    }
    done_.set_value();
  });
}

bool EngineThread::shutdown(std::chrono::milliseconds grace) {
  work_.reset();
  bool clean = true;
  if (thread_.joinable() && done_future_.wait_for(grace) != std::future_status::ready) {
    clean = false;
    io_.stop();
  }
  if (thread_.joinable()) thread_.join();
  return clean;
}

}  // namespace starttls_exporter::runtime
