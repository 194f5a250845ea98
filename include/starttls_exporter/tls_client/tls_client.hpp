#pragma once
/// \file
/// The probe's TLS client over an already connected Asio socket (src/tls_client). This header
/// hides GnuTLS behind pimpl so the prober never sees a GnuTLS type.
///
/// Threading: a ClientSession is used from the one thread that runs its socket's executor.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/lib/gnutls/trust_store.hpp"

namespace starttls_exporter::tls {

class ChainCache;

/// Which protocol versions the client offers.
enum class VersionOffer {
  all,          ///< every version GnuTLS implements, TLS 1.0 to 1.3 (old servers still report)
  legacy_only,  ///< only TLS 1.0 and 1.1: does the server still accept them?
};

struct ClientSettings {
  std::shared_ptr<const TrustStore> trust;  ///< required
  std::string server_name;  ///< SNI and the name checked against the certificate; never an IP
  VersionOffer versions = VersionOffer::all;
  /// Set: offer only this key type's signature algorithms (and TLS 1.2 key exchanges), so a
  /// server with certificates of several types has to present one of this type.
  std::optional<KeyType> key_type = std::nullopt;
  /// Verdicts on chains presented before (chain_cache.hpp); must outlive the session. Null:
  /// every chain is parsed and verified afresh (one-shot commands, policy fetches).
  ChainCache* chain_cache = nullptr;
};

/// How a handshake ended. `completed` or one of: timeout (socket closed under us by the
/// deadline), connection_closed, connection_reset, io_error, tls_alert_received (detail = the
/// alert's name), tls_protocol_error (detail = GnuTLS' message).
struct HandshakeOutcome {
  bool completed = false;
  FailureReason reason = FailureReason::internal_error;
  std::string detail;
};

/// One client-side TLS session on a connected TCP socket.
///
/// Deadline contract: the session never owns a timer. The caller enforces its deadline by
/// closing the socket; every pending or later operation then fails promptly (handshake()
/// reports FailureReason::timeout). The session reads the socket's descriptor afresh at every
/// I/O call, so a closed-and-reused descriptor number is never touched.
class ClientSession {
 public:
  /// `socket` must outlive the session and must not be read by anyone else meanwhile.
  ClientSession(asio::ip::tcp::socket& socket, const ClientSettings& settings);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Runs the handshake to completion without judging the certificate. Never throws.
  asio::awaitable<HandshakeOutcome> handshake();

  /// Negotiated parameters, the certificates the server sent, whether they form a complete
  /// chain, and the stapled OCSP response (the client always asks for one). Only after a
  /// completed handshake.
  TlsFacts facts() const;

  /// Chain to the trust store, hostname against server_name, validity dates, and the stapled
  /// OCSP response when there is one (a stapled "revoked" gives cert_revoked). Only after a
  /// completed handshake; never fails the handshake itself.
  VerifyVerdict verify() const;

  /// The presented chain against the MX host's TLSA records (RFC 7672 §3): DANE-EE matches
  /// the leaf, ignoring names and dates; DANE-TA needs the chain up to the matched anchor to
  /// verify, in date, with a leaf naming one of the reference names. Only after a completed
  /// handshake. Under DaneRules::service, PKIX-TA and PKIX-EE records also need
  /// `pkix_verified` (verify()'s verdict, which the caller already has).
  dane::DaneCheck check_dane(const dane::DaneExpectation& expectation, SystemTime now,
                             bool pkix_verified) const;

  /// Application data over TLS (QUIT after the handshake). Never throw; errors in the result.
  asio::awaitable<std::error_code> write_all(std::string_view data);
  asio::awaitable<std::error_code> read_some(std::span<char> buffer, std::size_t& bytes_read);

  /// Sends close_notify, best effort, without waiting for the peer's.
  void send_close_notify() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Facts of one DER-encoded certificate, or nullopt when it does not parse. Never throws.
/// Untrusted input: it is the fuzz target for certificate parsing.
std::optional<CertificateFacts> certificate_facts_from_der(std::span<const unsigned char> der);

}  // namespace starttls_exporter::tls
