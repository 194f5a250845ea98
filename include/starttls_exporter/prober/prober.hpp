#pragma once
/// \file
/// One probe: connect, the protocol dialogue up to STARTTLS, TLS handshake, verification, quit.

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/policy/policy.hpp"
#include "starttls_exporter/tls_client/certificate_file.hpp"
#include "starttls_exporter/tls_client/tls_client.hpp"

namespace starttls_exporter::prober {

/// Everything one probe needs; copied into the probe's coroutine frame.
struct ProbeSpec {
  std::string address;  ///< IP literal, no brackets
  std::uint16_t port = 25;
  std::string server_name;  ///< SNI and certificate name; empty: no SNI, hostname not checked
  std::string ehlo_name = "localhost";  ///< EHLO/LHLO argument (SMTP, submission, LMTP)
  std::shared_ptr<const tls::TrustStore> trust;
  /// Keep the dialogue log in ProbeResult::transcript (/probe?debug=true). Off for scheduled
  /// probes: nothing reads it there, and at 10,000 targets it would be ~15 MB of memory.
  bool record_transcript = false;
  config::Protocol protocol = config::Protocol::smtp;    ///< which dialogue runs
  config::TlsMode tls_mode = config::TlsMode::starttls;  ///< implicit: TLS right after connect
  /// IP literal bound before connecting (module source_address); empty: the kernel chooses.
  std::string source_address;
  /// A handshake negotiating an older version fails in phase verify with tls_version_too_old,
  /// after the facts are recorded. Unset: any version passes.
  std::optional<TlsVersion> min_version;
  /// After a probe that completed a handshake, one more connection runs the same dialogue but
  /// offers only TLS 1.0/1.1 (ProbeResult::legacy), within the same deadline.
  bool legacy_probe = false;
  tls::VersionOffer versions = tls::VersionOffer::all;  ///< what the handshake offers
  /// After a probe that completed a handshake, one more connection per key type (ECDSA, then
  /// RSA) whose handshake offers only that type (ProbeResult::key_types), within the same
  /// deadline; each is judged by DANE like the main one.
  bool handshake_per_key_type = false;
  std::optional<KeyType> key_type;  ///< set: this handshake offers only that key type
  /// Domain mode: the MX host's TLSA lookup; the handshake is then judged as a DANE sender
  /// would (ProbeResult::dane, policies). Null for `targets:` entries: PKIX as configured.
  std::shared_ptr<const dane::DaneExpectation> dane;
  /// Domain mode, a valid MTA-STS policy in enforce mode: its rule joins the verdict.
  std::optional<policy::MtaStsRequirement> mta_sts;
  /// certificate_file (module or target): the PEM the daemon is meant to serve, a resolved path
  /// or glob; after the probe it is judged beside the served leaf and, where DANE applies,
  /// against the TLSA records (ProbeResult::certificate_file). Empty: no such check.
  std::string certificate_file;
  /// The files as a running exporter keeps them (re-read when they change); must outlive the
  /// probe. Null: read afresh (one-shot commands). Set by the caller of run_probe.
  tls::CertificateFiles* certificate_files = nullptr;
  /// The verdict cache of the Exporter running this probe; must outlive it. Null: every chain
  /// is verified afresh. Set by the caller of run_probe, never by the config.
  tls::ChainCache* chain_cache = nullptr;
};

/// Copies `module`'s probe settings into `spec` (ehlo_name, protocol, TLS mode, source_address,
/// min_version, legacy_probe, handshake_per_key_type, certificate_file); address, port, server_name
/// and trust stay the caller's.
void apply_module(ProbeSpec& spec, const config::Module& module);

/// Bounds on what a server may send us; a reply over them fails with reply_too_long and costs at
/// most these many bytes of memory.
struct ReplyLimits {
  std::size_t max_line_bytes = 4096;
  std::size_t max_reply_bytes = 64 * 1024;
  std::size_t max_reply_lines = 512;
};

/// Runs one probe on the calling coroutine's executor, ending by `deadline` (plus scheduling
/// delay): when it passes, the socket is closed and the running phase fails with `timeout`.
/// Never throws: every error, including internal ones, becomes a Failure in the result.
asio::awaitable<ProbeResult> run_probe(ProbeSpec spec,
                                       std::chrono::steady_clock::time_point deadline);

}  // namespace starttls_exporter::prober
