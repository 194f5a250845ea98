#pragma once
/// \file
/// The opt-in per-key-type handshakes (module tls.handshake_per_key_type): after the main
/// probe, one more run of the whole probe pipeline per key type (ECDSA, then RSA) whose
/// handshake offers only that type's signature algorithms, so a server holding an RSA and an
/// ECDSA certificate shows both, each judged by DANE. Private to src/prober.

#include <asio/awaitable.hpp>

#include <chrono>

#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

/// Returns `main` with ProbeResult::key_types filled when spec.handshake_per_key_type is set
/// and `main` completed a handshake; otherwise `main` unchanged. The extra connections share
/// `deadline` with the main probe (one without time left records a timeout). When DANE
/// matched the main handshake but a key type's certificate matches no record, `main` fails
/// with dane_failed (policy::judge_key_types). Phases and duration stay the main probe's.
/// Never throws.
asio::awaitable<ProbeResult> with_key_type_handshakes(
    ProbeResult main, ProbeSpec spec, std::chrono::steady_clock::time_point deadline);

}  // namespace starttls_exporter::prober
