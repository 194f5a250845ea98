#include "format.hpp"

#include <array>
#include <cstdio>

namespace starttls_exporter::report {

std::string fixed(double value, int decimals) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*f", decimals, value);
  return buf.data();
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
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

}  // namespace starttls_exporter::report
