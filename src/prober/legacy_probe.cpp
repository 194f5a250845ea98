#include "legacy_probe.hpp"

#include <exception>
#include <string>
#include <utility>

namespace starttls_exporter::prober {
namespace {

using Clock = std::chrono::steady_clock;

// Handshake endings that are the server's answer to a TLS 1.0/1.1-only ClientHello: it refused.
bool refused_by_server(const Failure& failure) {
  if (failure.phase != Phase::tls_handshake) return false;
  switch (failure.reason) {
    case FailureReason::tls_alert_received:
    case FailureReason::tls_protocol_error:
    case FailureReason::connection_closed:
    case FailureReason::connection_reset:
      return true;
    default:
      return false;
  }
}

bool is_legacy(TlsVersion version) {
  return version == TlsVersion::tls1_0 || version == TlsVersion::tls1_1;
}

// What the legacy run says, in the main result's terms; its transcript is appended, prefixed.
LegacyProbe judge(ProbeResult& legacy_run, std::vector<std::string>& transcript) {
  LegacyProbe legacy;
  legacy.duration_seconds = legacy_run.duration_seconds;
  if (legacy_run.tls) {
    legacy.accepted = true;
    legacy.version = legacy_run.tls->version;
  } else if (legacy_run.failure) {
    if (refused_by_server(*legacy_run.failure)) legacy.accepted = false;
    legacy.failure = std::move(legacy_run.failure);
  }
  for (auto& line : legacy_run.transcript) transcript.push_back("legacy " + std::move(line));
  return legacy;
}

}  // namespace

asio::awaitable<ProbeResult> with_legacy_probe(ProbeResult main, ProbeSpec spec,
                                               Clock::time_point deadline) {
  if (!spec.legacy_probe || !main.tls) co_return main;
  // The main result's transcript is kept only when the spec asks for one (/probe?debug).
  auto note = [&main, keep = spec.record_transcript](std::string line) {
    if (keep) main.transcript.push_back(std::move(line));
  };
  try {
    LegacyProbe legacy;
    if (is_legacy(main.tls->negotiated)) {
      legacy.accepted = true;
      legacy.version = main.tls->version;
      note("legacy probe: not needed, the probe itself negotiated " + main.tls->version);
    } else if (deadline - Clock::now() < kMinExtraConnectionBudget) {
      legacy.failure = Failure{Phase::connect, FailureReason::timeout, 0,
                               "no time left before the deadline for the legacy probe"};
      note("legacy probe: skipped, no time left before the deadline");
    } else {
      spec.legacy_probe = false;  // one extra connection, never more
      spec.min_version.reset();
      spec.versions = tls::VersionOffer::legacy_only;
      note("legacy probe: offering only TLS 1.0 and 1.1");
      ProbeResult legacy_run = co_await run_probe(std::move(spec), deadline);
      legacy = judge(legacy_run, main.transcript);
    }
    main.legacy = std::move(legacy);
  } catch (const std::exception&) {
    // Out of memory: the main result stands without the legacy verdict.
  }
  co_return main;
}

}  // namespace starttls_exporter::prober
