#pragma once
// Shared by the probe tests: a process-wide test PKI and a one-shot probe runner.

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "smtp_test_server.hpp"
#include "starttls_exporter/prober.hpp"
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
  return spec;
}

struct Outcome {
  ProbeResult result;
  Clock::time_point deadline;
  Clock::time_point ended;
};

/// Runs one probe on a fresh io_context until it completes.
inline Outcome run(prober::ProbeSpec spec, std::chrono::milliseconds timeout = 5s) {
  asio::io_context io;
  Outcome out;
  out.deadline = Clock::now() + timeout;
  bool done = false;
  asio::co_spawn(io, prober::run_probe(std::move(spec), out.deadline),
                 [&](std::exception_ptr e, ProbeResult r) {
                   if (e) std::abort();  // run_probe promises never to throw
                   out.result = std::move(r);
                   out.ended = Clock::now();
                   done = true;
                 });
  io.run();
  if (!done) throw std::runtime_error("probe did not complete");
  return out;
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
