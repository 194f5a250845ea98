#pragma once
/// \file
/// The probe command's report of one probe: text for a person, JSON for a script. Pure
/// functions of the request and its result.

#include <string>

#include "starttls_exporter/domain_watcher.hpp"
#include "starttls_exporter/duration.hpp"
#include "starttls_exporter/probe_result.hpp"
#include "starttls_exporter/prober.hpp"

namespace starttls_exporter::app {

/// What was probed, and how.
struct ProbeRequest {
  std::string module;  ///< the --module name, or "(flags)"
  Duration timeout{0};
  prober::ProbeSpec spec;
};

/// Sections: the probe (endpoint, protocol, server name, timeout), the result, each phase with
/// its duration, the dialogue as the server and client spoke it (escaped), the negotiated TLS
/// parameters and the leaf's key, the chain one line per certificate (subject, issuer, SANs,
/// not-after, days left), the verification verdict with every reason, OCSP stapling, and the
/// legacy-version probe when it ran. `colour`: ANSI colours on the verdict lines.
std::string text_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now,
                        bool colour);

/// One JSON object with the same facts; its keys are documented in README ("The probe
/// command") and stable. Times are RFC 3339 UTC strings; absent facts are null.
std::string json_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now);

/// The domain form: the mail path (MX hosts in preference order, their addresses, reserved
/// ones not probed, DNSSEC, failure reasons, signature expiry), then text_report for each
/// probed address. `requests` is in the order of probe.results.
std::string domain_text_report(const runtime::DomainProbe& probe,
                               const std::vector<ProbeRequest>& requests, std::uint16_t port,
                               SystemTime now, bool colour);

/// The domain form in JSON: {"domain", "module", "port", "success", "resolved", "dnssec_secure",
/// "implicit_mx", "null_mx", "failures", "signature_expiry", "resolve_seconds", "mx": [...],
/// "addresses": [json_report of each address]}.
std::string domain_json_report(const runtime::DomainProbe& probe,
                               const std::vector<ProbeRequest>& requests, std::uint16_t port,
                               SystemTime now);

}  // namespace starttls_exporter::app
