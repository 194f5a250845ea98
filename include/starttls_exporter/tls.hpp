#pragma once
/// \file
/// TLS client over an already connected Asio socket. Only src/tls/ includes GnuTLS; this header
/// hides it behind pimpl so the prober never sees a GnuTLS type.
///
/// Threading: a ClientSession is used from the one thread that runs its socket's executor.
/// TrustStore is immutable after construction and shared across threads.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>

#include "starttls_exporter/probe_result.hpp"

namespace starttls_exporter::tls {

/// A GnuTLS failure outside a probe (loading a CA file, ...). what() carries GnuTLS' own message.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Trust anchors plus client credentials, built once per module and shared by all its probes.
class TrustStore {
 public:
  /// The system trust store. Throws TlsError when it cannot be loaded.
  static std::shared_ptr<const TrustStore> system();
  /// The CA certificates of one PEM file. Throws TlsError (naming the file) when unreadable,
  /// not PEM, or empty.
  static std::shared_ptr<const TrustStore> from_pem_file(const std::string& path);

  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit TrustStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Which protocol versions the client offers.
enum class VersionOffer {
  all,          ///< every version GnuTLS implements, TLS 1.0 to 1.3 (old servers still report)
  legacy_only,  ///< only TLS 1.0 and 1.1: does the server still accept them?
};

struct ClientSettings {
  std::shared_ptr<const TrustStore> trust;  ///< required
  std::string server_name;  ///< SNI and the name checked against the certificate; never an IP
  VersionOffer versions = VersionOffer::all;
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

/// The GnuTLS runtime version ("3.7.9"), for build_info.
std::string library_version();

// ---- Server side: TLS on the exporter's own web port ---------------------------------------

/// Client certificates, in the exporter toolkit's terms (NoClientCert ... RequireAndVerify).
enum class ClientAuth { none, request, require_any, verify_if_given, require_and_verify };

struct ServerSettings {
  std::string cert_file;       ///< PEM certificate, optionally followed by its chain
  std::string key_file;        ///< PEM private key of cert_file (unencrypted)
  std::string client_ca_file;  ///< PEM CAs; required by verify_if_given and require_and_verify
  ClientAuth client_auth = ClientAuth::none;
  TlsVersion min_version = TlsVersion::tls1_2;  ///< tls1_2 or tls1_3
  TlsVersion max_version = TlsVersion::tls1_3;  ///< tls1_2 or tls1_3
};

/// Loads the files of `settings` as the terminator would, to validate a configuration. Throws
/// TlsError naming the file that fails (unreadable, not PEM, key not matching the certificate).
void check_server_settings(const ServerSettings& settings);

struct TerminatorLimits {
  std::chrono::milliseconds handshake_timeout{10'000};  ///< accept to handshake done
  std::chrono::milliseconds idle_timeout{120'000};      ///< no byte in either direction
  int max_connections = 64;  ///< more are accepted and closed at once (and logged)
};

/// TLS termination in front of a plaintext HTTP server on loopback: accepts on the public
/// address, runs the handshake, then relays bytes both ways to 127.0.0.1:backend_port.
///
/// Threads: one accept thread plus one thread per connection (at most max_connections), each
/// waiting in poll(2) with deadlines. client_of() is thread-safe; the rest is called from the
/// thread that owns the object.
class Terminator {
 public:
  /// Loads the credentials (TlsError naming the file) and binds `listen_address` ("HOST:PORT";
  /// ":9725" is every interface, IPv6 too when available; "localhost" is 127.0.0.1; IPv6 in
  /// brackets). Throws std::invalid_argument for a malformed address and std::runtime_error
  /// when it cannot listen. Accepts nothing before start().
  Terminator(const std::string& listen_address, const ServerSettings& settings,
             TerminatorLimits limits = {});
  ~Terminator();  ///< stop()
  Terminator(const Terminator&) = delete;
  Terminator& operator=(const Terminator&) = delete;

  int port() const noexcept;  ///< the port actually bound (resolves port 0)
  /// Starts accepting; connections are relayed to 127.0.0.1:backend_port. Call once.
  void start(int backend_port);
  /// Closes the listener and every connection, waits for their threads. Idempotent; prompt.
  void stop() noexcept;

  /// The real client's address ("192.0.2.7", "::1") when `peer_ip`:`peer_port`, as the backend
  /// sees its peer, is a relay connection this terminator holds open; nullopt otherwise (a
  /// direct connection to the backend, which must be refused).
  std::optional<std::string> client_of(const std::string& peer_ip, int peer_port) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace starttls_exporter::tls
