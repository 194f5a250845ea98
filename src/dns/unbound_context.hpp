#pragma once
/// \file
/// The one owner of a libunbound context. Private to src/dns.
///
/// Configure, then freeze: libunbound refuses settings after the first query, so everything is
/// set in the constructor, which fails closed (DnsError) on any setting it cannot apply.

#include <unbound.h>

#include <memory>

#include "starttls_exporter/dns/dns.hpp"

namespace starttls_exporter::dns::detail {

struct ContextDeleter {
  void operator()(ub_ctx* ctx) const noexcept { ub_ctx_delete(ctx); }
};
using ContextPtr = std::unique_ptr<ub_ctx, ContextDeleter>;

/// A context with libunbound's worker thread (ub_ctx_async(ctx, 1)), the forwarders (or
/// resolv.conf's), the trust anchor loaded (at least one record, every line accepted), and
/// the built-in local zones for special-use names switched off, so a configured domain under
/// test., invalid., home.arpa. ... is resolved, not answered NXDOMAIN locally. Throws DnsError.
ContextPtr make_context(const ResolverSettings& settings);

/// ub_strerror's text for `code`.
std::string unbound_error(int code);

}  // namespace starttls_exporter::dns::detail
