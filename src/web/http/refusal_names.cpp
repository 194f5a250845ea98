// The `reason` label values of the web port's refusal counters.
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/web/http_server.hpp"

namespace starttls_exporter::http {

std::string_view name_of(ConnectionRefusal reason) noexcept {
  using enum ConnectionRefusal;
  static constexpr std::pair<ConnectionRefusal, std::string_view> kNames[] = {
      {client_limit, "client_limit"},
      {total_limit, "total_limit"},
      {evicted, "evicted"},
      {head_timeout, "head_timeout"},
      {handshake_failed, "handshake_failed"},
      {handshake_timeout, "handshake_timeout"},
      {stalled, "stalled"}};
  return text::name_in(kNames, reason);
}

std::string_view name_of(RequestRefusal reason) noexcept {
  using enum RequestRefusal;
  static constexpr std::pair<RequestRefusal, std::string_view> kNames[] = {
      {malformed, "malformed"},
      {uri_too_long, "uri_too_long"},
      {headers_too_large, "headers_too_large"},
      {too_many_headers, "too_many_headers"},
      {body_too_large, "body_too_large"},
      {unsupported_transfer_coding, "unsupported_transfer_coding"},
      {unsupported_version, "unsupported_version"},
      {unauthorized, "unauthorized"},
      {auth_throttled, "auth_throttled"}};
  return text::name_in(kNames, reason);
}

}  // namespace starttls_exporter::http
