// resolve_mail_path: RFC 5321 §5.1 (MX in preference order; no MX: the domain itself, the
// "implicit MX"), RFC 7505 (null MX), and the exporter's bounds and address rules; the same
// for SRV-discovered services (RFC 6186, RFC 7673) and configured hosts.
#include "starttls_exporter/dns/mail_path.hpp"

#include <algorithm>

namespace starttls_exporter::dns {
namespace {

/// Records an answer's TTL, signature expiry and DNSSEC status in `path`.
void note(MailPath& path, const Answer& answer) {
  if (answer.ttl.count() > 0 && (path.ttl.count() == 0 || answer.ttl < path.ttl)) {
    path.ttl = answer.ttl;
  }
  if (answer.signature_expiry &&
      (!path.signature_expiry || *answer.signature_expiry < *path.signature_expiry)) {
    path.signature_expiry = answer.signature_expiry;
  }
}

/// The failure an unusable answer stands for, or nullopt when it is usable.
std::optional<DomainFailure> failure_of(const Answer& answer, DomainFailure lookup_failed) {
  switch (answer.outcome) {
    case Outcome::bogus:
      return DomainFailure::dns_bogus;
    case Outcome::timeout:
      return DomainFailure::dns_timeout;
    case Outcome::servfail:
    case Outcome::error:
      return lookup_failed;
    case Outcome::data:
    case Outcome::nodata:
    case Outcome::nxdomain:
      return std::nullopt;
  }
  return lookup_failed;
}

/// Adds one address answer's records to `host` under the bounds and reserved-range rules.
void add_addresses(MailPath& path, MxHost& host, const Answer& answer,
                   const config::DnsSettings& settings) {
  std::size_t taken = 0;
  for (const auto& address : answer.addresses) {
    const std::string range = reserved_range(address);
    if (!range.empty() && !may_connect(address, settings)) {
      host.reserved.push_back({address, range});
      path.failures.insert(DomainFailure::address_reserved);
      continue;
    }
    if (taken == static_cast<std::size_t>(settings.max_addresses_per_host)) {
      path.failures.insert(DomainFailure::too_many_addresses);
      break;
    }
    if (std::find(host.addresses.begin(), host.addresses.end(), address) == host.addresses.end()) {
      host.addresses.push_back(address);
      ++taken;
    }
  }
}

asio::awaitable<void> resolve_host(const LookupFunction& lookup, MailPath& path, MxHost& host,
                                   const config::DnsSettings& settings) {
  for (const RecordType type : address_types(settings)) {
    const Answer answer = co_await lookup(host.name, type);
    note(path, answer);
    if (const auto failure = failure_of(answer, DomainFailure::address_lookup_failed)) {
      path.failures.insert(*failure);
      host.secure = false;
      continue;
    }
    host.secure = host.secure && answer.secure;
    if (!answer.canonical_name.empty()) host.canonical_name = answer.canonical_name;
    add_addresses(path, host, answer, settings);
  }
}

/// One TLSA answer as a DANE sender reads it (RFC 7672 §2.2): only secure records count; a
/// bogus or failed lookup makes the sender defer, so it is never "no TLSA".
dane::TlsaLookup tlsa_of(const Answer& answer, std::string base_name) {
  dane::TlsaLookup out;
  out.base_name = std::move(base_name);
  out.secure = answer.secure;
  out.signature_expiry = answer.signature_expiry;
  switch (answer.outcome) {
    case Outcome::data:
      out.status = answer.secure ? dane::TlsaStatus::secure : dane::TlsaStatus::insecure;
      if (answer.secure) out.records = answer.tlsa;
      break;
    case Outcome::nodata:
    case Outcome::nxdomain:
      out.status = dane::TlsaStatus::none;
      break;
    case Outcome::bogus:
      out.status = dane::TlsaStatus::bogus;
      out.detail = answer.why_bogus;
      break;
    case Outcome::servfail:
    case Outcome::timeout:
    case Outcome::error:
      out.status = dane::TlsaStatus::failed;
      out.detail = answer.outcome == Outcome::timeout ? "timeout" : answer.error;
      break;
  }
  return out;
}

/// The host's TLSA RRset at _PORT._tcp.NAME. RFC 7672 §2.2.3: for a CNAME'd MX host, the
/// expanded name first, then the name as published when the expanded one has none.
asio::awaitable<void> resolve_tlsa(const LookupFunction& lookup, MailPath& path, MxHost& host,
                                   std::uint16_t port) {
  const std::string prefix = "_" + std::to_string(port) + "._tcp.";
  std::vector<std::string> bases{host.canonical_name};
  if (host.canonical_name != host.name) bases.push_back(host.name);
  for (const auto& base : bases) {
    const Answer answer = co_await lookup(prefix + base, RecordType::tlsa);
    note(path, answer);
    host.tlsa = tlsa_of(answer, base);
    // An MX host's records are read as an SMTP sender reads them (RFC 7672), a service's or a
    // configured host's as any other TLS client does (RFC 7671, RFC 7673).
    host.tlsa.rules = path.kind == PathKind::mx ? dane::DaneRules::smtp : dane::DaneRules::service;
    if (host.tlsa.status != dane::TlsaStatus::none) break;
  }
}

/// The MX hosts of a usable MX answer (or the implicit one), bounded; false for a null MX.
bool choose_hosts(MailPath& path, const Answer& mx, const config::DnsSettings& settings) {
  if (mx.outcome == Outcome::nodata) {  // RFC 5321 §5.1: the domain is its own MX
    path.implicit_mx = true;
    path.hosts.push_back({path.domain, 0, path.domain, {}, {}, true, {}});
    return true;
  }
  // RFC 7505 §3: a null MX must be the only MX; with others it still says "no mail here".
  if (std::any_of(mx.mx.begin(), mx.mx.end(), [](const MxRecord& r) { return r.host.empty(); })) {
    path.null_mx = true;
    path.failures.insert(DomainFailure::null_mx);
    return false;
  }
  for (const MxRecord& record : mx.mx) {  // sorted by preference
    const bool seen = std::any_of(path.hosts.begin(), path.hosts.end(),
                                  [&](const MxHost& h) { return h.name == record.host; });
    if (seen) continue;
    if (path.hosts.size() == static_cast<std::size_t>(settings.max_mx_hosts)) {
      path.failures.insert(DomainFailure::too_many_hosts);
      break;
    }
    path.hosts.push_back({record.host, record.preference, record.host, {}, {}, true, {}});
  }
  return true;
}

/// The targets of a usable SRV answer, bounded; false when the service is not offered.
bool choose_targets(MailPath& path, const Answer& srv, const config::DnsSettings& settings) {
  // RFC 2782: a lone "." target says the service is decidedly not available at this domain.
  if (std::any_of(srv.srv.begin(), srv.srv.end(),
                  [](const SrvRecord& r) { return r.target.empty(); })) {
    path.failures.insert(DomainFailure::service_not_offered);
    return false;
  }
  for (const SrvRecord& record : srv.srv) {  // sorted by priority, then weight
    const bool seen = std::any_of(path.hosts.begin(), path.hosts.end(), [&](const MxHost& h) {
      return h.name == record.target && h.port == record.port;
    });
    if (seen) continue;
    if (path.hosts.size() == static_cast<std::size_t>(settings.max_mx_hosts)) {
      path.failures.insert(DomainFailure::too_many_hosts);
      break;
    }
    MxHost host{record.target, record.priority, record.target, {}, {}, true, {}};
    host.port = record.port;
    host.weight = record.weight;
    path.hosts.push_back(std::move(host));
  }
  return true;
}

/// Every host's addresses, then its TLSA RRset where `dane_allowed` and its addresses are
/// secure (RFC 7672 §2.2.2, RFC 7673 §3.2); sets path.secure with `first_secure` (the MX or
/// SRV answer's status) and the no_addresses failure.
asio::awaitable<void> resolve_hosts(const LookupFunction& lookup, MailPath& path,
                                    const config::DnsSettings& settings, bool first_secure,
                                    std::optional<std::uint16_t> tlsa_port, bool dane_allowed) {
  bool secure = first_secure;
  for (MxHost& host : path.hosts) {
    co_await resolve_host(lookup, path, host, settings);
    secure = secure && host.secure;
    const auto port = host.port != 0 ? std::optional<std::uint16_t>(host.port) : tlsa_port;
    if (port && dane_allowed && host.secure && !host.addresses.empty()) {
      co_await resolve_tlsa(lookup, path, host, *port);
    }
  }
  path.secure = secure;
  if (path.address_count() == 0) path.failures.insert(DomainFailure::no_addresses);
}

asio::awaitable<TxtLookup> lookup_txt(LookupFunction& lookup, std::string name) {
  const Answer answer = co_await lookup(std::move(name), RecordType::txt);
  co_return TxtLookup{answer.outcome, answer.secure, answer.texts};
}

}  // namespace

bool may_connect(const std::string& address, const config::DnsSettings& settings) {
  if (reserved_range(address).empty()) return true;
  return std::any_of(settings.allowed_reserved_cidrs.begin(), settings.allowed_reserved_cidrs.end(),
                     [&](const config::IpNetwork& n) { return n.contains(address); });
}

std::vector<RecordType> address_types(const config::DnsSettings& settings) {
  std::vector<RecordType> types;
  if (settings.address_family != config::AddressFamilies::ipv6) types.push_back(RecordType::a);
  if (settings.address_family != config::AddressFamilies::ipv4) types.push_back(RecordType::aaaa);
  return types;
}

std::size_t MailPath::address_count() const {
  std::size_t count = 0;
  for (const auto& host : hosts) count += host.addresses.size();
  return count;
}

asio::awaitable<MailPath> resolve_mail_path(LookupFunction lookup, std::string domain,
                                            const config::DnsSettings& settings,
                                            std::optional<std::uint16_t> tlsa_port) {
  MailPath path;
  path.domain = std::move(domain);
  const Answer mx = co_await lookup(path.domain, RecordType::mx);
  note(path, mx);
  if (const auto failure = failure_of(mx, DomainFailure::mx_lookup_failed)) {
    path.failures.insert(*failure);
    co_return path;
  }
  if (mx.outcome == Outcome::nxdomain) {
    path.failures.insert(DomainFailure::nxdomain);
    co_return path;
  }
  path.resolved = true;
  bool secure = mx.secure;
  if (!choose_hosts(path, mx, settings)) {
    path.secure = secure;
    co_return path;
  }
  // RFC 7672 §2.2.1 and §2.2.2: TLSA records are looked up only for an MX host that came
  // from a secure MX answer (or a secure implicit MX) and whose addresses are secure; an
  // attacker could otherwise have chosen the host. Postfix and Exim do the same.
  co_await resolve_hosts(lookup, path, settings, secure, tlsa_port, mx.secure);
  path.mta_sts_txt = co_await lookup_txt(lookup, "_mta-sts." + path.domain);
  path.tlsrpt_txt = co_await lookup_txt(lookup, "_smtp._tls." + path.domain);
  co_return path;
}

std::string srv_name(std::string_view service, std::string_view domain) {
  return "_" + std::string(service) + "._tcp." + std::string(domain);
}

asio::awaitable<MailPath> resolve_service_path(LookupFunction lookup, std::string srv_owner,
                                               const config::DnsSettings& settings, bool tlsa) {
  MailPath path;
  path.kind = PathKind::srv;
  path.domain = std::move(srv_owner);
  const Answer srv = co_await lookup(path.domain, RecordType::srv);
  note(path, srv);
  if (const auto failure = failure_of(srv, DomainFailure::srv_lookup_failed)) {
    path.failures.insert(*failure);
    co_return path;
  }
  if (srv.outcome != Outcome::data) {  // RFC 6186 §3: no record, no service to find
    path.failures.insert(DomainFailure::no_srv_records);
    path.secure = srv.secure;
    co_return path;
  }
  path.resolved = true;
  if (!choose_targets(path, srv, settings)) {
    path.secure = srv.secure;
    co_return path;
  }
  // RFC 7673 §3.1, §3.2: an insecure SRV answer could name any host, so its targets get no
  // TLSA lookup (DANE does not apply); nor does a target whose addresses are insecure.
  co_await resolve_hosts(lookup, path, settings, srv.secure, std::nullopt, tlsa && srv.secure);
  co_return path;
}

asio::awaitable<MailPath> resolve_host_path(LookupFunction lookup, std::string host,
                                            const config::DnsSettings& settings,
                                            std::optional<std::uint16_t> tlsa_port,
                                            dane::DaneRules rules) {
  MailPath path;
  path.kind = PathKind::host;
  path.domain = host;
  path.resolved = true;
  path.hosts.push_back({host, 0, host, {}, {}, true, {}});
  co_await resolve_hosts(lookup, path, settings, true, tlsa_port, true);
  path.hosts.front().tlsa.rules = rules;
  co_return path;
}

}  // namespace starttls_exporter::dns
