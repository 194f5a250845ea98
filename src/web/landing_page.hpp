#pragma once
/// \file
/// The status page at "/" and the pages it links to. Domains come first (one row each: the
/// verdict, failing addresses with their reason, DNSSEC, DANE, MTA-STS mode, earliest expiry,
/// a link to the domain's report), failing ones first; then one row per target, sorted by days
/// until the leaf certificate expires (unknown last). No script and no external asset: every
/// page works offline under kContentSecurityPolicy, with the one stylesheet at /style.css.
/// Every text from a config, a DNS answer or a server is HTML-escaped.

#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/report/report.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace starttls_exporter::web {

/// Sent with every HTML page: nothing but same-origin stylesheets and images, no script, no
/// frames, no forms, no <base>.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

/// The stylesheet served at /style.css.
extern const std::string_view kStyleSheet;

/// The status page. `now` is the reference for days to expiry. `senders`: the TLS-RPT reports
/// per domain, shown after the domains (no table when empty).
std::string render_landing_page(const std::vector<report::DomainSummary>& domains,
                                const std::vector<store::TargetSnapshot>& targets, SystemTime now,
                                std::string_view version,
                                const std::vector<report::SenderReports>& senders = {});

/// A whole page titled `title` around `body` (HTML, already escaped), with a link back to "/".
std::string render_page(std::string_view title, std::string_view body);

/// The link from the status page to a domain's report: "report?domain=NAME&module=MODULE",
/// each value percent-encoded.
std::string report_link(std::string_view domain, std::string_view module);

}  // namespace starttls_exporter::web
