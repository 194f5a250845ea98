#pragma once
// Shared by the probe and reliability tests: a process-wide test PKI, a healthy server, and
// probe runners.

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "smtp_test_server.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "test_pki.hpp"

namespace probe_test {

using namespace starttls_exporter;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// How late a probe may end after its deadline (timer wake-up plus scheduling).
constexpr auto deadline_slack = 100ms;

struct Pki {
  testing::TestCa ca{"Probe Test Root CA"};
  testing::IssuedCert good = ca.issue({});  // CN and SAN mx.test
  std::shared_ptr<const tls::TrustStore> trust;

  Pki() {
    char path[] = "/tmp/probe_test_ca_XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    ca.write_cert_pem(path);
    trust = tls::TrustStore::from_pem_file(path);
    ::unlink(path);
  }
};

inline const Pki& pki() {
  static const Pki instance;
  return instance;
}

inline prober::ProbeSpec spec_for(std::uint16_t port, std::string server_name = "mx.test") {
  prober::ProbeSpec spec;
  spec.address = "127.0.0.1";
  spec.port = port;
  spec.server_name = std::move(server_name);
  spec.ehlo_name = "probe.test";
  spec.trust = pki().trust;
  spec.record_transcript = true;  // the tests read the dialogue
  return spec;
}

struct Outcome {
  ProbeResult result;
  Clock::time_point deadline;
  Clock::time_point ended;
};

/// Runs the probes together on one fresh io_context (one thread) until all complete, each with
/// its own deadline.
inline std::vector<Outcome> run_together(
    std::vector<std::pair<prober::ProbeSpec, std::chrono::milliseconds>> probes) {
  asio::io_context io;
  std::vector<Outcome> outs(probes.size());
  std::size_t done = 0;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    outs[i].deadline = Clock::now() + probes[i].second;
    asio::co_spawn(io, prober::run_probe(std::move(probes[i].first), outs[i].deadline),
                   [&, i](std::exception_ptr e, ProbeResult r) {
                     if (e) std::abort();  // run_probe promises never to throw
                     outs[i].result = std::move(r);
                     outs[i].ended = Clock::now();
                     ++done;
                   });
  }
  io.run();
  if (done != outs.size()) throw std::runtime_error("a probe did not complete");
  return outs;
}

/// Runs one probe on a fresh io_context until it completes.
inline Outcome run(prober::ProbeSpec spec, std::chrono::milliseconds timeout = 5s) {
  std::vector<std::pair<prober::ProbeSpec, std::chrono::milliseconds>> probes;
  probes.emplace_back(std::move(spec), timeout);
  return std::move(run_together(std::move(probes)).front());
}

/// A server that behaves, shared by every test of the process.
inline testing::SmtpTestServer& healthy_server() {
  static testing::SmtpTestServer server([] {
    testing::SmtpServerOptions options;
    options.cert = pki().good;
    return options;
  }());
  return server;
}

/// Runs `spec` and, meanwhile on the same io_context, a probe of a healthy server; returns
/// `spec`'s outcome. Checks that the healthy probe succeeded whatever `spec`'s server did, and,
/// when `spec` ran into its deadline, that the healthy one had ended before that deadline (a
/// hostile peer must not stall the engine).
inline Outcome run_beside_healthy(prober::ProbeSpec spec, std::chrono::milliseconds timeout = 5s) {
  std::vector<std::pair<prober::ProbeSpec, std::chrono::milliseconds>> probes;
  probes.emplace_back(std::move(spec), timeout);
  probes.emplace_back(spec_for(healthy_server().port()),
                      std::max<std::chrono::milliseconds>(timeout, 5s));
  auto outs = run_together(std::move(probes));
  const Outcome& hostile = outs[0];
  const Outcome& healthy = outs[1];
  const std::string why = healthy.result.failure
                              ? "the healthy probe beside it failed: " +
                                    std::string(to_string(healthy.result.failure->reason)) + " " +
                                    healthy.result.failure->detail
                              : std::string();
  CHECK_MESSAGE(healthy.result.success, why);
  if (hostile.result.failure && hostile.result.failure->reason == FailureReason::timeout) {
    CHECK_MESSAGE(healthy.ended < hostile.deadline, "the healthy probe waited for the hostile one");
  }
  return std::move(outs.front());
}

inline bool has_phase(const ProbeResult& r, Phase phase) {
  for (const auto& p : r.phases) {
    if (p.phase == phase) return true;
  }
  return false;
}

inline testing::SmtpServerOptions with_cert(testing::SmtpBehaviour behaviour,
                                            testing::IssuedCert cert = pki().good) {
  testing::SmtpServerOptions options;
  options.behaviour = behaviour;
  options.cert = std::move(cert);
  return options;
}

}  // namespace probe_test
