#pragma once
/// \file
/// The rule that decided one address, in one line, and the facts DANE rested on. Private to
/// src/report.

#include <string>
#include <vector>

#include "starttls_exporter/domains/domain_round.hpp"

namespace starttls_exporter::report {

/// "DANE applies: 3 1 1 matched the leaf; PKIX not required", "MTA-STS enforce:
/// mx.example.net matches no pattern (mx: *.example.com)", "PKIX: verified for
/// mx.example.com", ... `policy`: the domain's MTA-STS policy, when any.
std::string decided_by(const domains::AddressProbe& address, const mta_sts::PolicyState* policy);

/// One published TLSA record with whether a sender uses it: "3 1 1 ab12… usable" or
/// "1 1 1 ab12… unusable: usage 0/1 …".
struct PublishedRecord {
  std::string record;  ///< presentation form
  bool usable = false;
  std::string why_not;  ///< set when not usable
};
std::vector<PublishedRecord> published_records(const dane::TlsaLookup& tlsa);

/// "secure", "insecure (ignored)", "none", "bogus: WHY", "lookup failed: WHY", "not looked
/// up (MX or address answers not DNSSEC-secure)".
std::string tlsa_status_text(const dane::TlsaLookup& tlsa);

}  // namespace starttls_exporter::report
