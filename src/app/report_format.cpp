#include "report_format.hpp"

#include <array>
#include <ctime>

namespace starttls_exporter::app {

std::string rfc3339(SystemTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf.data(), n);
}

double days_between(SystemTime from, SystemTime to) {
  return std::chrono::duration<double>(to - from).count() / 86400;
}

std::string tls_mode_name(config::TlsMode mode) {
  return mode == config::TlsMode::implicit ? "implicit" : "starttls";
}

std::string ocsp_status_name(const OcspStaple& ocsp) {
  if (!ocsp.status) return "unparsed";
  switch (*ocsp.status) {
    case OcspStaple::Status::good:
      return "good";
    case OcspStaple::Status::revoked:
      return "revoked";
    case OcspStaple::Status::unknown:
      return "unknown";
  }
  return "unparsed";
}

}  // namespace starttls_exporter::app
