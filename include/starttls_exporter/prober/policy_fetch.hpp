#pragma once
/// \file
/// The MTA-STS policy fetch (RFC 8461 §3.3): `GET /.well-known/mta-sts.txt` over HTTPS from
/// `mta-sts.DOMAIN` at an address the exporter resolved itself, with SNI and a PKIX-verified
/// certificate for that name, never following redirects, within one deadline (src/prober).
///
/// Choice: the project's own GnuTLS client (the probes' tls::ClientSession and deadline-bound
/// Connection) and a small bounded HTTP/1.0 reader, not libcurl: one TLS stack and one
/// verification for MX hosts and policy hosts, no resolver inside a library, the deadline and
/// the byte bounds enforced by the same code as a probe's, and a reader that is fuzzed.

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"

namespace starttls_exporter::prober {

/// The policy body bound of RFC 8461 §3.3's advice (64 KiB).
inline constexpr std::size_t kMaxPolicyBytes = 64 * 1024;

using mta_sts::FetchFailure;

struct PolicyFetchSpec {
  std::string address;  ///< IP literal of mta-sts.DOMAIN, resolved by the caller
  std::uint16_t port = 443;
  std::string host;  ///< "mta-sts.DOMAIN": SNI, Host header and the certificate's name
  std::shared_ptr<const tls::TrustStore> trust;
};

struct PolicyFetch {
  std::optional<FetchFailure> failure;  ///< unset: `body` is the policy file
  std::string detail;                   ///< what went wrong, in words
  int status = 0;                       ///< the HTTP status, 0 when none was read
  std::string body;
  /// The policy host's leaf certificate's NotAfter, whenever a handshake completed.
  std::optional<SystemTime> cert_not_after;
  double duration_seconds = 0;
};

/// Runs one fetch on the calling coroutine's executor, ending by `deadline`. Never throws.
asio::awaitable<PolicyFetch> fetch_policy(PolicyFetchSpec spec,
                                          std::chrono::steady_clock::time_point deadline);

}  // namespace starttls_exporter::prober
