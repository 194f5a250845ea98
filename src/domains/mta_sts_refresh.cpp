#include "mta_sts_refresh.hpp"

#include <algorithm>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/prober/policy_fetch.hpp"

namespace starttls_exporter::domains {
namespace {

using Clock = std::chrono::steady_clock;

/// The first address of `host` that may be connected to, or a reason why there is none.
asio::awaitable<std::string> policy_address(dns::LookupFunction& lookup, const std::string& host,
                                            const config::DnsSettings& dns, std::string& why) {
  why = host + " has no address";
  for (const auto type : dns::address_types(dns)) {
    const dns::Answer answer = co_await lookup(host, type);
    if (answer.outcome != dns::Outcome::data && answer.outcome != dns::Outcome::nodata &&
        answer.outcome != dns::Outcome::nxdomain) {
      why = host + ": address lookup " + std::string(dns::to_string(answer.outcome));
    }
    for (const auto& address : answer.addresses) {
      if (dns::may_connect(address, dns)) co_return address;
      why = host + " has only reserved addresses (" + address + ")";
    }
  }
  co_return std::string{};
}

}  // namespace

asio::awaitable<std::shared_ptr<const mta_sts::PolicyState>> refresh_policy(
    dns::LookupFunction lookup, const dns::MailPath& path, const config::DnsSettings& dns,
    const MtaStsOptions& options, const PolicyMemory& memory) {
  const auto& previous = memory.policy;
  if (!options.trust || !path.mta_sts_txt || path.mta_sts_txt->outcome != dns::Outcome::data) {
    co_return nullptr;
  }
  const auto record = mta_sts::parse_sts_records(path.mta_sts_txt->texts).record;
  if (!record) co_return nullptr;
  const auto now = Clock::now();
  const bool same_id = previous && previous->record_id == record->id;
  if (same_id && now - memory.fetched_at < options.refresh) co_return previous;

  auto state = std::make_shared<mta_sts::PolicyState>();
  state->record_id = record->id;
  const auto deadline = now + options.timeout;
  prober::PolicyFetchSpec spec;
  spec.host = "mta-sts." + path.domain;
  spec.trust = options.trust;
  std::string why;
  spec.address = co_await policy_address(lookup, spec.host, dns, why);
  if (spec.address.empty()) {
    state->failure = mta_sts::FetchFailure::fetch_failed;
    state->detail = why;
  } else {
    const prober::PolicyFetch fetched = co_await prober::fetch_policy(std::move(spec), deadline);
    state->failure = fetched.failure;
    state->detail = fetched.detail;
    state->cert_not_after = fetched.cert_not_after;
    if (!fetched.failure) {
      state->body_hash = text::fnv1a64(fetched.body);
      state->parse = mta_sts::parse_policy(fetched.body);
    }
  }
  state->fetch_seconds = std::chrono::duration<double>(Clock::now() - now).count();
  // RFC 8461 §3.1: a changed policy needs a new id; senders that cached the old one keep it.
  if (same_id) {
    state->changed_without_new_id =
        previous->changed_without_new_id ||
        (!state->failure && !previous->failure && state->body_hash != previous->body_hash);
    if (state->failure && !previous->failure) state->body_hash = previous->body_hash;
  }
  co_return state;
}

}  // namespace starttls_exporter::domains
