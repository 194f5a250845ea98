#pragma once
/// \file
/// The opt-in legacy-version probe (module tls.legacy_probe): after the main probe, one more run
/// of the whole probe pipeline — connect, the module's dialogue up to TLS, handshake — offering
/// only TLS 1.0 and 1.1, so it works for every protocol and TLS mode. Private to src/prober.

#include <asio/awaitable.hpp>

#include <chrono>

#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

/// Less time than this left before the deadline: an extra connection (the legacy probe, a key
/// type's handshake) is not attempted.
inline constexpr std::chrono::milliseconds kMinExtraConnectionBudget{100};

/// Returns `main` with ProbeResult::legacy filled when spec.legacy_probe is set and `main`
/// completed a handshake; otherwise `main` unchanged. Shares `deadline` with the main probe
/// (which has already run): the legacy connection gets whatever time is left. When the main
/// probe itself negotiated TLS 1.0 or 1.1, acceptance is already proven and no connection is
/// made. `main.duration_seconds` and phases stay the main probe's own. Never throws.
asio::awaitable<ProbeResult> with_legacy_probe(ProbeResult main, ProbeSpec spec,
                                               std::chrono::steady_clock::time_point deadline);

}  // namespace starttls_exporter::prober
