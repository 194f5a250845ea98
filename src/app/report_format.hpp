#pragma once
/// \file
/// Formatting shared by the probe command's text and JSON reports.

#include <string>

#include "starttls_exporter/config.hpp"
#include "starttls_exporter/probe_result.hpp"

namespace starttls_exporter::app {

/// "2026-12-02T04:20:00Z".
std::string rfc3339(SystemTime t);

/// Days from `from` to `to` (negative when `to` is earlier).
double days_between(SystemTime from, SystemTime to);

/// "starttls" or "implicit".
std::string tls_mode_name(config::TlsMode mode);

/// "good", "revoked", "unknown", or "unparsed" when the response gave no verdict on the leaf.
std::string ocsp_status_name(const OcspStaple& ocsp);

}  // namespace starttls_exporter::app
