#pragma once
/// \file
/// Formatting shared by the text, JSON and HTML reports. Private to src/report.

#include <string>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::report {

using text::rfc3339;

/// `value` with `decimals` digits after the point.
std::string fixed(double value, int decimals);

/// The items with `separator` between them.
std::string join(const std::vector<std::string>& items, const char* separator = ", ");

/// Colours only where the caller asked for them (a terminal).
struct Paint {
  bool on;
  std::string operator()(const std::string& text, const char* code) const {
    return on ? std::string("\x1b[") + code + "m" + text + "\x1b[0m" : text;
  }
};

/// Days from `from` to `to` (negative when `to` is earlier).
double days_between(SystemTime from, SystemTime to);

/// "starttls" or "implicit".
std::string tls_mode_name(config::TlsMode mode);

/// "good", "revoked", "unknown", or "unparsed" when the response gave no verdict on the leaf.
std::string ocsp_status_name(const OcspStaple& ocsp);

}  // namespace starttls_exporter::report
