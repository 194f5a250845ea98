// ClientSession: handshake and application data over a non-blocking descriptor, waiting for
// readiness through Asio so the coroutine never blocks its thread.
#include <arpa/inet.h>

#include <array>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "asio_transport.hpp"
#include "client_session_impl.hpp"
#include "gnutls_error.hpp"
#include "trust_store_impl.hpp"

namespace starttls_exporter::tls {
namespace {

// Accepts every version GnuTLS still implements, so an old server completes its handshake and
// is reported with its version instead of failing as a protocol error.
constexpr const char* kPriorities = "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0:%COMPAT";
// Offers nothing newer than TLS 1.1: completing this handshake proves the server accepts it.
constexpr const char* kLegacyPriorities = "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:%COMPAT";

// One key type's signature algorithms (TLS 1.3 and 1.2) and TLS 1.2 key exchanges: a server
// holding certificates of several types must then present one of this type, or fail.
constexpr const char* kEcdsaOnly =
    ":-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SECP384R1-SHA384"
    ":+SIGN-ECDSA-SECP521R1-SHA512:+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SHA512"
    ":-KX-ALL:+ECDHE-ECDSA";
constexpr const char* kRsaOnly =
    ":-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-PSS-RSAE-SHA512"
    ":+SIGN-RSA-SHA256:+SIGN-RSA-SHA384:+SIGN-RSA-SHA512:-KX-ALL:+ECDHE-RSA:+DHE-RSA:+RSA";

std::string priority_string(VersionOffer versions, std::optional<KeyType> key_type) {
  std::string priorities = versions == VersionOffer::legacy_only ? kLegacyPriorities : kPriorities;
  if (key_type) priorities += *key_type == KeyType::rsa ? kRsaOnly : kEcdsaOnly;
  return priorities;
}

/// Every offer's priorities, parsed once for the process (gnutls_priority_set_direct parsed
/// the string again for each session: 6 µs of a handshake's CPU). Immutable once built, so
/// sessions on any thread share them. Null where GnuTLS refused a string (then each session
/// reports the error).
class PriorityCache {
 public:
  PriorityCache() {
    for (const VersionOffer versions : {VersionOffer::all, VersionOffer::legacy_only}) {
      for (const auto key_type : {std::optional<KeyType>{}, std::optional<KeyType>{KeyType::ecdsa},
                                  std::optional<KeyType>{KeyType::rsa}}) {
        gnutls_priority_t raw = nullptr;
        if (gnutls_priority_init2(&raw, priority_string(versions, key_type).c_str(), nullptr, 0) ==
            0) {
          slot(versions, key_type).reset(raw);
        }
      }
    }
  }
  gnutls_priority_t get(VersionOffer versions, std::optional<KeyType> key_type) const {
    return slots_[index(versions, key_type)].get();
  }

 private:
  static std::size_t index(VersionOffer versions, std::optional<KeyType> key_type) {
    const std::size_t offer = versions == VersionOffer::legacy_only ? 3 : 0;
    return offer + (!key_type ? 0 : *key_type == KeyType::ecdsa ? 1 : 2);
  }
  PriorityPtr& slot(VersionOffer versions, std::optional<KeyType> key_type) {
    return slots_[index(versions, key_type)];
  }
  std::array<PriorityPtr, 6> slots_;
};

const PriorityCache& priority_cache() {
  static const PriorityCache cache;  // thread-safe initialisation (C++11 magic statics)
  return cache;
}

int set_priorities(gnutls_session_t session, VersionOffer versions,
                   std::optional<KeyType> key_type) {
  if (gnutls_priority_t cached = priority_cache().get(versions, key_type)) {
    return gnutls_priority_set(session, cached);
  }
  const char* bad = nullptr;
  return gnutls_priority_set_direct(session, priority_string(versions, key_type).c_str(), &bad);
}

using Impl = SessionState;

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

HandshakeOutcome failed(FailureReason reason, std::string detail) {
  return {false, reason, std::move(detail)};
}

// Classifies a fatal handshake error; the socket state and errno say more than GnuTLS' code.
HandshakeOutcome classify(const Impl& impl, int rc) {
  if (closed_by_deadline(impl.io)) {
    return failed(FailureReason::timeout, "socket closed by the deadline");
  }
  if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
    const char* name = gnutls_alert_get_name(gnutls_alert_get(impl.session.get()));
    return failed(FailureReason::tls_alert_received, name ? name : "unknown alert");
  }
  if (rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PUSH_ERROR) {
    const int err = impl.io.last_errno;
    if (err == ECONNRESET || err == EPIPE) {
      return failed(FailureReason::connection_reset, std::strerror(err));
    }
    return failed(FailureReason::io_error, err ? std::strerror(err) : gnutls_strerror(rc));
  }
  if (impl.io.peer_eof || rc == GNUTLS_E_PREMATURE_TERMINATION) {
    return failed(FailureReason::connection_closed, "peer closed the connection");
  }
  return failed(FailureReason::tls_protocol_error, gnutls_strerror(rc));
}

// The error a fatal record-layer code means for read_some/write_all.
std::error_code io_error(const Impl& impl, long rc) {
  if (closed_by_deadline(impl.io)) return asio::error::operation_aborted;
  if ((rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PUSH_ERROR) && impl.io.last_errno != 0) {
    return {impl.io.last_errno, std::system_category()};
  }
  if (rc == GNUTLS_E_PREMATURE_TERMINATION) return asio::error::eof;
  return make_gnutls_error(static_cast<int>(rc));
}

}  // namespace

ClientSession::ClientSession(asio::ip::tcp::socket& socket, const ClientSettings& settings)
    : impl_(std::make_unique<ClientSession::Impl>(socket, settings)) {}

ClientSession::~ClientSession() = default;

asio::awaitable<HandshakeOutcome> ClientSession::handshake() {
  try {
    SessionState& impl = *impl_;
    gnutls_session_t raw = nullptr;
    int rc = gnutls_init(&raw, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
    if (rc < 0) co_return failed(FailureReason::internal_error, gnutls_strerror(rc));
    impl.session.reset(raw);
    // The OCSP status request asks the server to staple its response (facts() reports it,
    // verify() judges it).
    if ((rc = set_priorities(raw, impl.versions, impl.key_type)) < 0 ||
        (rc = gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE,
                                     impl.trust->impl().credentials.get())) < 0 ||
        (rc = gnutls_ocsp_status_request_enable_client(raw, nullptr, 0, nullptr)) < 0) {
      co_return failed(FailureReason::internal_error, gnutls_strerror(rc));
    }
    if (!impl.server_name.empty() && !is_ip_literal(impl.server_name)) {
      gnutls_server_name_set(raw, GNUTLS_NAME_DNS, impl.server_name.data(),
                             impl.server_name.size());
    }
    attach(raw, impl.io);  // the caller's deadline closes the socket instead of a timer
    for (;;) {
      rc = gnutls_handshake(raw);
      if (rc == GNUTLS_E_SUCCESS) break;
      if (rc == GNUTLS_E_AGAIN) {
        if (!co_await wait_ready(impl.io)) {
          co_return failed(FailureReason::timeout, "socket closed by the deadline");
        }
      } else if (gnutls_error_is_fatal(rc)) {
        co_return classify(impl, rc);
      }  // else: interrupted or a warning alert; the handshake continues
    }
    impl.handshake_done = true;
    co_return HandshakeOutcome{true, FailureReason::internal_error, {}};
  } catch (const std::exception& e) {
    co_return failed(FailureReason::internal_error, e.what());
  }
}

asio::awaitable<std::error_code> ClientSession::write_all(std::string_view data) {
  SessionState& impl = *impl_;
  if (!impl.handshake_done) co_return asio::error::not_connected;
  while (!data.empty()) {
    const auto n = gnutls_record_send(impl.session.get(), data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n == GNUTLS_E_AGAIN) {
      if (!co_await wait_ready(impl.io)) co_return asio::error::operation_aborted;
    } else if (n != GNUTLS_E_INTERRUPTED) {
      co_return io_error(impl, n);
    }
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> ClientSession::read_some(std::span<char> buffer,
                                                          std::size_t& bytes_read) {
  SessionState& impl = *impl_;
  bytes_read = 0;
  if (!impl.handshake_done) co_return asio::error::not_connected;
  for (;;) {
    const auto n = gnutls_record_recv(impl.session.get(), buffer.data(), buffer.size());
    if (n > 0) {
      bytes_read = static_cast<std::size_t>(n);
      co_return std::error_code{};
    }
    if (n == 0) co_return asio::error::eof;  // close_notify
    if (n == GNUTLS_E_AGAIN) {
      if (!co_await wait_ready(impl.io)) co_return asio::error::operation_aborted;
    } else if (gnutls_error_is_fatal(static_cast<int>(n))) {
      co_return io_error(impl, n);
    }  // else: interrupted, a warning alert or a session ticket; keep reading
  }
}

void ClientSession::send_close_notify() noexcept {
  if (impl_->handshake_done) gnutls_bye(impl_->session.get(), GNUTLS_SHUT_WR);
}

}  // namespace starttls_exporter::tls
