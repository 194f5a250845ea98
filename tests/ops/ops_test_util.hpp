#pragma once
/// \file
/// Helpers of the ops tests: a blocking HTTP/1.0 client, a temporary directory, and the
/// exporter wired in-process (engine thread, scheduler, reloader, routes, HTTP server on
/// 127.0.0.1:0) exactly as run_exporter wires it.

#include <doctest/doctest.h>

#include <stdlib.h>
#include "temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "engine_thread.hpp"
#include "reloader.hpp"
#include "routes.hpp"
#include "runtime.hpp"
#include "starttls_exporter/collector.hpp"
#include "starttls_exporter/http_server.hpp"
#include "starttls_exporter/prober.hpp"
#include "starttls_exporter/result_store.hpp"
#include "starttls_exporter/scheduler.hpp"

namespace starttls_exporter::ops_testing {

struct HttpReply {
  int status = 0;                              ///< 0: no answer
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

/// Sends `method path` with `extra_headers` ("Name: value\r\n" lines) to 127.0.0.1:port and
/// reads the answer until the server closes (keep-alive is off). Fails the test on socket
/// errors; gives up after 30 s.
HttpReply request(int port, const std::string& method, const std::string& path,
                  const std::string& extra_headers = "");

inline HttpReply get(int port, const std::string& path, const std::string& headers = "") {
  return request(port, "GET", path, headers);
}

using starttls_exporter::testing::TempDir;

/// The exporter in-process, from the config file at `config_path`.
class Exporter {
 public:
  explicit Exporter(std::string config_path, http::ServerOptions options = {});
  ~Exporter();

  int port() const { return server_->port(); }
  store::ResultStore& store() { return store_; }
  app::Reloader& reloader() { return *reloader_; }

 private:
  std::string config_path_;
  app::TrustCache trust_;
  store::ResultStore store_;
  metrics::Collector collector_{store_, {"test", "test"}};
  app::EngineThread engine_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<app::Reloader> reloader_;
  std::unique_ptr<http::Server> server_;
};

/// The value of the first sample line of /metrics-style `text` that starts with `prefix`
/// (series name and labels as written), or nullopt.
std::optional<double> sample(const std::string& text, const std::string& prefix);

/// Polls `condition` every 20 ms until true or `timeout` passed; returns its last value.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace starttls_exporter::ops_testing
