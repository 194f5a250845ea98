#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/core/text.hpp"

#include <array>
#include <utility>

namespace starttls_exporter {
namespace {

constexpr std::array kPhaseNames{
    std::pair{Phase::connect, "connect"},
    std::pair{Phase::banner, "banner"},
    std::pair{Phase::ehlo, "ehlo"},
    std::pair{Phase::starttls, "starttls"},
    std::pair{Phase::tls_handshake, "tls_handshake"},
    std::pair{Phase::verify, "verify"},
    std::pair{Phase::quit, "quit"},
    std::pair{Phase::capability, "capability"},
    std::pair{Phase::lhlo, "lhlo"},
    std::pair{Phase::logout, "logout"},
};

using R = FailureReason;
constexpr std::array kReasonNames{
    std::pair{R::timeout, "timeout"},
    std::pair{R::connection_refused, "connection_refused"},
    std::pair{R::network_unreachable, "network_unreachable"},
    std::pair{R::host_unreachable, "host_unreachable"},
    std::pair{R::out_of_descriptors, "out_of_descriptors"},
    std::pair{R::connect_error, "connect_error"},
    std::pair{R::connection_closed, "connection_closed"},
    std::pair{R::connection_reset, "connection_reset"},
    std::pair{R::io_error, "io_error"},
    std::pair{R::address_family_unsupported, "address_family_unsupported"},
    std::pair{R::source_address_unavailable, "source_address_unavailable"},
    std::pair{R::malformed_reply, "malformed_reply"},
    std::pair{R::reply_too_long, "reply_too_long"},
    std::pair{R::rejected_temporary, "rejected_temporary"},
    std::pair{R::rejected_permanent, "rejected_permanent"},
    std::pair{R::starttls_not_offered, "starttls_not_offered"},
    std::pair{R::response_injection, "response_injection"},
    std::pair{R::tls_alert_received, "tls_alert_received"},
    std::pair{R::tls_protocol_error, "tls_protocol_error"},
    std::pair{R::cert_expired, "cert_expired"},
    std::pair{R::cert_not_yet_valid, "cert_not_yet_valid"},
    std::pair{R::cert_untrusted, "cert_untrusted"},
    std::pair{R::cert_self_signed, "cert_self_signed"},
    std::pair{R::cert_hostname_mismatch, "cert_hostname_mismatch"},
    std::pair{R::cert_revoked, "cert_revoked"},
    std::pair{R::cert_insecure_algorithm, "cert_insecure_algorithm"},
    std::pair{R::cert_invalid, "cert_invalid"},
    std::pair{R::tls_version_too_old, "tls_version_too_old"},
    std::pair{R::dane_failed, "dane_failed"},
    std::pair{R::mta_sts_mx_mismatch, "mta_sts_mx_mismatch"},
    std::pair{R::internal_error, "internal_error"},
};

using F = CertificateFileStatus;
constexpr std::array kFileStatusNames{
    std::pair{F::current, "current"},       std::pair{F::renewed_not_served, "renewed_not_served"},
    std::pair{F::file_older, "file_older"}, std::pair{F::different, "different"},
    std::pair{F::unreadable, "unreadable"},
};

}  // namespace

std::string_view to_string(CertificateFileStatus status) noexcept {
  return text::name_in(kFileStatusNames, status);
}

const std::vector<CertificateFileStatus>& all_certificate_file_statuses() {
  static const std::vector<CertificateFileStatus> all = [] {
    std::vector<CertificateFileStatus> v;
    for (const auto& entry : kFileStatusNames) v.push_back(entry.first);
    return v;
  }();
  return all;
}

std::string_view to_string(Phase phase) noexcept {
  return text::name_in(kPhaseNames, phase);
}
std::string_view to_string(FailureReason reason) noexcept {
  return text::name_in(kReasonNames, reason);
}
std::string_view to_string(KeyType key_type) noexcept {
  return key_type == KeyType::rsa ? "rsa" : "ecdsa";
}

const std::vector<FailureReason>& all_failure_reasons() {
  static const std::vector<FailureReason> all = [] {
    std::vector<FailureReason> v;
    for (const auto& entry : kReasonNames) v.push_back(entry.first);
    return v;
  }();
  return all;
}

}  // namespace starttls_exporter
