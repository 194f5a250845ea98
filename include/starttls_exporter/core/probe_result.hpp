#pragma once
/// \file
/// The immutable outcome of one probe: what every later stage (store, collector, /probe) reads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "starttls_exporter/core/dane.hpp"

namespace starttls_exporter {

using SystemTime = std::chrono::system_clock::time_point;

/// The phases of a probe. Every phase that started records its duration. The first seven run in
/// this order for SMTP; the later values were added for the other protocols (capability: IMAP
/// CAPABILITY, POP3 CAPA, ManageSieve's capabilities re-sent after TLS; lhlo: LMTP's LHLO;
/// logout: IMAP and ManageSieve LOGOUT). With implicit TLS the greeting (banner) follows verify.
enum class Phase {
  connect,
  banner,
  ehlo,
  starttls,
  tls_handshake,
  verify,
  quit,
  capability,
  lhlo,
  logout,
};
inline constexpr std::size_t kPhaseCount = static_cast<std::size_t>(Phase::logout) + 1;

/// Stable lower-case name used as the `phase` label ("tls_handshake").
std::string_view to_string(Phase phase) noexcept;

/// Why a probe failed. A fixed, documented set: each value is one `reason` label in
/// `probe_failure_info{phase,reason}` and has a paragraph in README's failure table.
enum class FailureReason {
  // Transport, any phase.
  timeout,                     ///< the whole-probe deadline ran out in this phase
  connection_refused,          ///< RST on connect
  network_unreachable,         ///< ENETUNREACH
  host_unreachable,            ///< EHOSTUNREACH
  out_of_descriptors,          ///< EMFILE/ENFILE: this host, not the server, is the problem
  connect_error,               ///< any other connect(2) error
  connection_closed,           ///< peer closed (EOF) before the phase finished
  connection_reset,            ///< ECONNRESET / EPIPE
  io_error,                    ///< any other socket error
  address_family_unsupported,  ///< this host cannot use the target's address family (no IPv6)
  source_address_unavailable,  ///< the module's source_address cannot be bound here
  // SMTP dialogue.
  malformed_reply,       ///< not an SMTP reply: bad code, mixed codes, binary garbage
  reply_too_long,        ///< a line or the whole reply exceeded its bound
  rejected_temporary,    ///< 4xx where 2xx was expected (greeting 421, STARTTLS 454, ...)
  rejected_permanent,    ///< 5xx where 2xx was expected (greeting 554, ...)
  starttls_not_offered,  ///< EHLO did not list STARTTLS, or only HELO was accepted
  response_injection,    ///< plaintext bytes followed the STARTTLS 220 before TLS began
  // TLS handshake.
  tls_alert_received,  ///< the server sent a fatal alert; the alert name is in `Failure::detail`
  tls_protocol_error,  ///< anything else GnuTLS reports as fatal during the handshake
  // Verification (probe completed the handshake; certificate facts are present).
  cert_expired,
  cert_not_yet_valid,
  cert_untrusted,  ///< no chain to a trusted CA
  cert_self_signed,
  cert_hostname_mismatch,
  cert_revoked,
  cert_insecure_algorithm,
  cert_invalid,  ///< any other verification failure
  // Not a certificate reason: never in VerifyVerdict::reasons.
  tls_version_too_old,  ///< the negotiated version is below the module's tls.min_version
  dane_failed,          ///< DANE applies to the MX host and did not authenticate the server (why:
                        ///< DaneCheck)
  /// The domain's MTA-STS policy is in enforce mode and the MX host matches none of its mx
  /// patterns (RFC 8461 §4.1): senders that honour it refuse to deliver here.
  mta_sts_mx_mismatch,
  internal_error,  ///< a bug in the exporter; logged with detail
};

/// Stable snake_case name used as the `reason` label ("response_injection").
std::string_view to_string(FailureReason reason) noexcept;

/// Every FailureReason, in declaration order (for documentation tests and exhaustive rendering).
const std::vector<FailureReason>& all_failure_reasons();

struct Failure {
  Phase phase = Phase::connect;
  FailureReason reason = FailureReason::internal_error;
  int smtp_code = 0;   ///< the reply code when the server rejected us (421, 454, 554), else 0
  std::string detail;  ///< human text for logs and /probe?debug: errno text, TLS alert name, ...
};

/// A TLS protocol version; the known versions compare in age order (ssl3_0 < tls1_3).
enum class TlsVersion { unknown, ssl3_0, tls1_0, tls1_1, tls1_2, tls1_3 };

/// Facts about one X.509 certificate as the server sent it.
struct CertificateFacts {
  std::string subject;                 ///< RFC 4514 DN
  std::string issuer;                  ///< RFC 4514 DN
  std::vector<std::string> dns_names;  ///< subjectAltName dNSName and iPAddress entries, in order
  std::string serial_hex;              ///< lower-case hex, no separators
  std::string sha256_hex;              ///< SHA-256 of the DER encoding, lower-case hex
  SystemTime not_before{};
  SystemTime not_after{};
  std::string public_key_algorithm = {};  ///< "RSA", "RSA-PSS", "ECDSA", "Ed25519", ...
  unsigned public_key_bits = 0;          ///< key size in bits (RSA modulus, EC curve); 0 if unknown
  std::string signature_algorithm = {};  ///< GnuTLS' name: "ECDSA-SHA256", "RSA-SHA256"
};

/// The certificates a server sent, in order (front() is the leaf). Immutable and shared: every
/// result that saw the same chain (one MX certificate served on many addresses, the same
/// server probed again) holds one copy, handed out by the chain verdict cache. Copies are
/// cheap; push_back() copies the certificates first, so no other holder sees a change.
class CertificateChain {
 public:
  using value_type = CertificateFacts;
  using const_iterator = std::vector<CertificateFacts>::const_iterator;

  CertificateChain() = default;
  CertificateChain(std::initializer_list<CertificateFacts> certificates)
      : shared_(std::make_shared<const std::vector<CertificateFacts>>(certificates)) {}
  explicit CertificateChain(std::vector<CertificateFacts> certificates)
      : shared_(std::make_shared<const std::vector<CertificateFacts>>(std::move(certificates))) {}

  const std::vector<CertificateFacts>& certificates() const noexcept {
    static const std::vector<CertificateFacts> kNone;
    return shared_ ? *shared_ : kNone;
  }
  std::size_t size() const noexcept { return certificates().size(); }
  bool empty() const noexcept { return certificates().empty(); }
  const CertificateFacts& operator[](std::size_t i) const { return certificates()[i]; }
  const CertificateFacts& front() const { return certificates().front(); }
  const CertificateFacts& back() const { return certificates().back(); }
  const_iterator begin() const noexcept { return certificates().begin(); }
  const_iterator end() const noexcept { return certificates().end(); }
  void push_back(CertificateFacts certificate) {
    auto copy = std::make_shared<std::vector<CertificateFacts>>(certificates());
    copy->push_back(std::move(certificate));
    shared_ = std::move(copy);
  }
  /// Certificate `i` to change (tests, fixtures): the certificates are copied first, so no
  /// other holder of the chain sees the change.
  CertificateFacts& edit(std::size_t i) {
    auto copy = std::make_shared<std::vector<CertificateFacts>>(certificates());
    CertificateFacts& certificate = copy->at(i);
    shared_ = std::move(copy);
    return certificate;
  }
  /// Whether both hold the very same certificates object (not merely equal ones).
  bool shares_with(const CertificateChain& other) const noexcept {
    return shared_ != nullptr && shared_ == other.shared_;
  }

 private:
  std::shared_ptr<const std::vector<CertificateFacts>> shared_;
};

/// The OCSP response a server stapled for its leaf certificate.
struct OcspStaple {
  enum class Status { good, revoked, unknown };
  /// The response's verdict on the leaf; unset when the response does not parse, is not
  /// "successful", or holds no entry for the leaf.
  std::optional<Status> status;
  std::optional<SystemTime> this_update;
  std::optional<SystemTime> next_update;      ///< unset when the response has none
  std::optional<SystemTime> revocation_time;  ///< set when status is revoked
};

/// What a completed handshake revealed. Present whenever a handshake completed, even when
/// verification then failed.
struct TlsFacts {
  std::string version;     ///< "TLS 1.3", "TLS 1.2", ... (blackbox_exporter's spelling)
  std::string cipher;      ///< IANA name, "TLS_AES_256_GCM_SHA384"
  std::string group;       ///< key-exchange group, "X25519"; empty when none applies
  CertificateChain chain;  ///< as sent by the server; chain[0] is the leaf
  TlsVersion negotiated = TlsVersion::unknown;  ///< `version` as an ordered value
  /// The chain as sent is complete and in order: each certificate's issuer name (and authority
  /// key identifier, when present) matches the next one's subject (and key identifier), and the
  /// last one is self-issued or issued by a certificate of the trust store. Signatures are
  /// judged by verification, not here. False for an empty chain.
  bool chain_complete = false;
  std::optional<OcspStaple> ocsp = {};  ///< set when the server stapled an OCSP response
};

/// The verification verdict, judged after the facts were recorded.
struct VerifyVerdict {
  bool verified = false;
  std::vector<FailureReason> reasons;  ///< empty when verified; cert_* values only
};

struct PhaseDuration {
  Phase phase;
  double seconds;
};

/// The opt-in legacy-version handshake (module tls.legacy_probe): a second connection that runs
/// the same dialogue but offers only TLS 1.0 and 1.1.
struct LegacyProbe {
  /// true: the server completed a TLS 1.0/1.1 handshake; false: it refused one (alert, close,
  /// reset, protocol error during the handshake); unset: the legacy connection ended before the
  /// server answered the ClientHello (connect or dialogue failure, timeout, no time left).
  std::optional<bool> accepted;
  std::string version;             ///< the version negotiated when accepted ("TLS 1.0")
  double duration_seconds = 0;     ///< the legacy connection's own duration
  std::optional<Failure> failure;  ///< why no handshake completed; unset when accepted
};

/// The key types a dual-certificate server chooses between by the client's signature
/// algorithms (module tls.handshake_per_key_type): the `key_type` label.
enum class KeyType { ecdsa, rsa };
std::string_view to_string(KeyType key_type) noexcept;  ///< "ecdsa", "rsa"

/// One extra handshake of tls.handshake_per_key_type: a connection running the same dialogue
/// whose handshake offers only one key type's signature algorithms, so a server holding
/// certificates of both types has to present that one.
struct KeyTypeHandshake {
  KeyType key_type = KeyType::ecdsa;
  bool completed = false;               ///< the server presented a certificate of this type
  std::optional<dane::DaneCheck> dane;  ///< its DANE check (domain mode), when completed
  std::optional<Failure> failure;       ///< why no handshake completed; unset when completed
  double duration_seconds = 0;          ///< the extra connection's own duration
};

/// The rules a sender would apply to one address (the mail policy, src/policy): DANE where the
/// MX host has usable TLSA records (RFC 7672), MTA-STS in enforce mode (RFC 8461), else PKIX.
struct AppliedPolicies {
  bool dane = false;
  bool mta_sts = false;
  bool pkix = false;
};

/// What the certificate file on disk (certificate_file) holds, beside the leaf the server
/// served. A fixed set: each value is one `status` label of probe_ssl_certificate_file_info.
enum class CertificateFileStatus {
  current,             ///< the file's leaf is the served leaf
  renewed_not_served,  ///< the file's leaf is newer (issued later): the daemon was not reloaded
  file_older,          ///< the file's leaf is older than the served one
  different,           ///< another certificate, issued at the same time or for other names
  unreadable,          ///< no file, no certificate in it, a private key in it, or unparsable
};
std::string_view to_string(CertificateFileStatus status) noexcept;
const std::vector<CertificateFileStatus>& all_certificate_file_statuses();

/// The file a daemon is meant to serve (certificate_file), read beside the probe: a renewal on
/// disk that is not served yet, or that the published TLSA records will not match. A signal of
/// its own: it never changes `success`.
struct CertificateFileCheck {
  std::string path;  ///< the file judged (of those the pattern matches), else the pattern
  /// Unset when nothing was served to compare with (no handshake) and the file is readable.
  std::optional<CertificateFileStatus> status;
  std::string detail;                    ///< why unreadable; empty otherwise
  std::optional<CertificateFacts> leaf;  ///< the file's leaf, when readable
  std::optional<bool> served_matches;    ///< set when a leaf was served and the file read
  /// Set when DANE applies to the address (usable, secure TLSA records) and the file was read:
  /// whether those records authenticate the file's chain as they would the served one.
  std::optional<bool> dane_match;
  std::string leaf_record;  ///< "3 1 1 HEX" for the file's leaf key; empty when unreadable
};

/// One probe's complete outcome. Built by the prober, then never modified.
struct ProbeResult {
  SystemTime started{};
  double duration_seconds = 0;
  bool success = false;            ///< connect, STARTTLS, handshake and verification passed
  std::optional<Failure> failure;  ///< set exactly when !success
  std::optional<bool> starttls_advertised;  ///< unset when the dialogue never got to EHLO
  /// The server offered to take credentials before TLS (submission's EHLO AUTH, IMAP without
  /// LOGINDISABLED or with AUTH=, POP3 USER or SASL, ManageSieve SASL). Unset for smtp and lmtp,
  /// with implicit TLS, and when the pre-TLS capabilities were never read.
  std::optional<bool> plaintext_auth_offered;
  std::vector<PhaseDuration> phases;    ///< each phase that started, in order
  std::optional<TlsFacts> tls;          ///< set when a handshake completed
  std::optional<VerifyVerdict> verify;  ///< set when a handshake completed
  /// Set when the module enabled tls.legacy_probe and this probe completed a handshake.
  std::optional<LegacyProbe> legacy;
  /// Domain mode, after a completed handshake: DANE's verdict for the MX host's TLSA records.
  std::optional<dane::DaneCheck> dane;
  /// With tls.handshake_per_key_type, after a completed handshake: ECDSA's, then RSA's.
  std::vector<KeyTypeHandshake> key_types;
  /// Which verification rules decided `success` (probe_verification_policy_info); set when a
  /// handshake completed.
  std::optional<AppliedPolicies> policies;
  /// Set when the target's module or entry names a certificate_file.
  std::optional<CertificateFileCheck> certificate_file;
  std::vector<std::string>
      transcript;  ///< dialogue log for /probe?debug=true ("C: EHLO x", "S: 250 ...")
};

}  // namespace starttls_exporter
