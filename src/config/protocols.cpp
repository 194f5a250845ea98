#include <array>
#include <utility>

#include "starttls_exporter/config/config.hpp"

namespace starttls_exporter::config {
namespace {

struct ProtocolRow {
  Protocol protocol;
  std::string_view name;
  std::uint16_t starttls_port;
  std::uint16_t implicit_port;
};

// IANA's ports; LMTP and ManageSieve have no implicit-TLS port, so theirs stay the same.
constexpr std::array kProtocols{
    ProtocolRow{Protocol::smtp, "smtp", 25, 465},
    ProtocolRow{Protocol::submission, "submission", 587, 465},
    ProtocolRow{Protocol::lmtp, "lmtp", 24, 24},
    ProtocolRow{Protocol::imap, "imap", 143, 993},
    ProtocolRow{Protocol::pop3, "pop3", 110, 995},
    ProtocolRow{Protocol::sieve, "sieve", 4190, 4190},
};

// RFC 6186 §3.1 (submission, imap, imaps, pop3, pop3s) and RFC 8314 §5.1 (submissions).
constexpr std::array kServices{
    MailService{"submissions", Protocol::submission, TlsMode::implicit},
    MailService{"submission", Protocol::submission, TlsMode::starttls},
    MailService{"imaps", Protocol::imap, TlsMode::implicit},
    MailService{"imap", Protocol::imap, TlsMode::starttls},
    MailService{"pop3s", Protocol::pop3, TlsMode::implicit},
    MailService{"pop3", Protocol::pop3, TlsMode::starttls},
};

}  // namespace

std::optional<MailService> parse_service(std::string_view name) noexcept {
  for (const auto& service : kServices) {
    if (service.name == name) return service;
  }
  return std::nullopt;
}

Module module_for_service(const Module& base, const MailService& service) {
  Module out = base;
  out.name = base.name + "/" + std::string(service.name);
  out.protocol = service.protocol;
  out.tls.mode = service.mode;
  return out;
}

std::string service_names() {
  std::string out;
  for (const auto& service : kServices) {
    if (!out.empty()) out += ", ";
    out += service.name;
  }
  return out;
}

std::string_view protocol_name(Protocol protocol) noexcept {
  for (const auto& row : kProtocols) {
    if (row.protocol == protocol) return row.name;
  }
  return "unknown";
}

std::uint16_t default_port(Protocol protocol, TlsMode mode) noexcept {
  for (const auto& row : kProtocols) {
    if (row.protocol == protocol) {
      return mode == TlsMode::implicit ? row.implicit_port : row.starttls_port;
    }
  }
  return 25;
}

std::optional<Protocol> parse_protocol(std::string_view name) noexcept {
  for (const auto& row : kProtocols) {
    if (row.name == name) return row.protocol;
  }
  return std::nullopt;
}

std::string protocol_names() {
  std::string out;
  for (const auto& row : kProtocols) {
    if (!out.empty()) out += ", ";
    out += row.name;
  }
  return out;
}

}  // namespace starttls_exporter::config
