#pragma once
/// \file
/// Test helpers for the web port: a blocking HTTP/1.0 client, reading one sample out of a
/// /metrics page, and polling until a condition holds.

#include <doctest/doctest.h>

#include <stdlib.h>
#include "temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

namespace starttls_exporter::testing {

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

/// The value of the first sample line of /metrics-style `text` that starts with `prefix`
/// (series name and labels as written), or nullopt.
std::optional<double> sample(const std::string& text, const std::string& prefix);

/// How long a test waits for what a running exporter settles into (a probe round, a reload, a
/// DNS refresh). Generous on purpose: a loaded machine (sanitizers, tests side by side) is slow,
/// and the wait ends as soon as the condition holds, so it costs nothing when all is well.
inline constexpr std::chrono::seconds kSettleDeadline{60};

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

}  // namespace starttls_exporter::testing
