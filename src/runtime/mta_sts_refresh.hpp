#pragma once
/// \file
/// A domain's MTA-STS policy kept current (RFC 8461 §3.3, §5): fetched when its TXT record
/// first appears, when the record's id changes, and every mta_sts.refresh. Private to
/// src/runtime.

#include <asio/awaitable.hpp>

#include <chrono>
#include <memory>

#include "starttls_exporter/config.hpp"
#include "starttls_exporter/domain_watcher.hpp"
#include "starttls_exporter/mail_path.hpp"
#include "starttls_exporter/mta_sts.hpp"

namespace starttls_exporter::runtime {

/// The policy after `path` was resolved. Null when the domain has no usable MTA-STS record
/// (the record series say why) or no trust store is set; `previous` when it is not due. A
/// fetch resolves mta-sts.DOMAIN with `lookup` under dns's family and reserved-range rules,
/// and ends by options.timeout. `fetched_at` is the last fetch's time, updated here.
asio::awaitable<std::shared_ptr<const mta_sts::PolicyState>> refresh_policy(
    dns::LookupFunction lookup, const dns::MailPath& path, const config::DnsSettings& dns,
    const MtaStsOptions& options, std::shared_ptr<const mta_sts::PolicyState> previous,
    std::chrono::steady_clock::time_point& fetched_at);

}  // namespace starttls_exporter::runtime
