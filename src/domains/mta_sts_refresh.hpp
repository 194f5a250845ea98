#pragma once
/// \file
/// A domain's MTA-STS policy kept current (RFC 8461 §3.3, §5): fetched when its TXT record
/// first appears, when the record's id changes, and every mta_sts.refresh. Private to
/// src/domains.

#include <asio/awaitable.hpp>

#include <chrono>
#include <memory>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/dns/mail_path.hpp"
#include "starttls_exporter/domains/domain_round.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"

namespace starttls_exporter::domains {

/// The policy after `path` was resolved. Null when the domain has no usable MTA-STS record
/// (the record series say why) or no trust store is set; memory.policy when it is not due. A
/// fetch resolves mta-sts.DOMAIN with `lookup` under dns's family and reserved-range rules,
/// and ends by options.timeout. The caller records a new policy (another object than
/// memory.policy) in `memory` with the time of the fetch.
asio::awaitable<std::shared_ptr<const mta_sts::PolicyState>> refresh_policy(
    dns::LookupFunction lookup, const dns::MailPath& path, const config::DnsSettings& dns,
    const MtaStsOptions& options, const PolicyMemory& memory);

}  // namespace starttls_exporter::domains
