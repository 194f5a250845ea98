#pragma once
/// \file
/// A mail domain's path as a sender finds it (RFC 5321 §5.1, RFC 7505): its MX hosts in
/// preference order and each host's addresses, with the DNSSEC status of every answer the
/// verdict depends on. Built by resolve_mail_path from DNS answers (src/dns). The same shape
/// holds a mail service found by SRV (resolve_service_path: RFC 6186, RFC 8314, RFC 7673) and
/// one host named in the configuration (resolve_host_path: RFC 7671).

#include <asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/dane.hpp"
#include "starttls_exporter/dns/dns.hpp"

namespace starttls_exporter::dns {

/// Why a domain is not (fully) deliverable as resolved. A fixed set: each value is one
/// `reason` label of probe_domain_failure_info; address_failed is added by the metrics when
/// a probed address's last probe failed.
enum class DomainFailure {
  mx_lookup_failed,       ///< the MX lookup failed (SERVFAIL, resolver error)
  dns_bogus,              ///< an answer the verdict depends on failed DNSSEC validation
  dns_timeout,            ///< a lookup got no answer before dns.timeout
  nxdomain,               ///< the domain does not exist
  null_mx,                ///< "MX 0 ." (RFC 7505): the domain accepts no mail
  no_addresses,           ///< no MX host has an address that may be probed
  address_reserved,       ///< an MX host has an address in a reserved range (not probed)
  address_lookup_failed,  ///< an MX host's A or AAAA lookup failed (SERVFAIL, error)
  too_many_hosts,         ///< more MX hosts than dns.max_mx_hosts: the rest are not probed
  too_many_addresses,     ///< more addresses than dns.max_addresses_per_host on a host
  address_failed,         ///< (metrics) a probed address's last probe failed
  dane_failed,            ///< (metrics) DANE did not authenticate a probed address (RFC 7672)
  srv_lookup_failed,      ///< a service's SRV lookup failed (SERVFAIL, resolver error)
  no_srv_records,         ///< no SRV records at _SERVICE._tcp.DOMAIN: the service is not found
  service_not_offered,    ///< the SRV target "." (RFC 2782, RFC 6186 §3.4): not offered here
};
std::string_view to_string(DomainFailure failure) noexcept;
const std::vector<DomainFailure>& all_domain_failures();

struct ReservedAddress {
  std::string address;
  std::string range;  ///< loopback, private, cgnat, link_local, documentation, multicast, ...
};

/// What a path was resolved from: a domain's MX records, a service's SRV records, or one host
/// named in the configuration.
enum class PathKind { mx, srv, host };

struct MxHost {
  std::string name;  ///< as the MX or SRV record names it (the domain itself when implicit)
  std::uint16_t preference = 0;           ///< MX preference, or SRV priority
  std::string canonical_name;             ///< after CNAMEs; equal to name when there was none
  std::vector<std::string> addresses;     ///< to probe, A records first, each host's order kept
  std::vector<ReservedAddress> reserved;  ///< found but not probed
  bool secure = true;  ///< its address answers validated (vacuously true before lookups)
  /// Its TLSA RRset at _PORT._tcp (not_applicable when not looked up: see resolve_mail_path).
  dane::TlsaLookup tlsa;
  std::uint16_t port = 0;    ///< the SRV record's port; 0: the entry's port (MX and host)
  std::uint16_t weight = 0;  ///< the SRV record's weight
};

/// A TXT RRset as a sender reads it: the MTA-STS record at `_mta-sts.DOMAIN` (RFC 8461 §3.1)
/// or the TLS-RPT record at `_smtp._tls.DOMAIN` (RFC 8460 §3).
struct TxtLookup {
  Outcome outcome = Outcome::error;
  bool secure = false;
  std::vector<std::string> texts;  ///< each record's strings concatenated, in answer order
  friend bool operator==(const TxtLookup&, const TxtLookup&) = default;
};

struct MailPath {
  PathKind kind = PathKind::mx;
  std::string domain;     ///< the mail domain, the SRV owner name (_imaps._tcp.DOMAIN) or the host
  bool resolved = false;  ///< the MX answer was usable (data, or nodata for implicit MX)
  bool implicit_mx = false;  ///< no MX records: the domain itself is the MX host
  bool null_mx = false;
  std::vector<MxHost> hosts;  ///< in preference order, at most dns.max_mx_hosts
  bool secure = false;        ///< the MX answer and every address answer validated secure
  std::set<DomainFailure> failures;
  std::optional<SystemTime> signature_expiry;  ///< earliest RRSIG expiration relied on
  std::chrono::seconds ttl{0};                 ///< the smallest TTL of the answers (0 when none)
  /// Looked up once the MX answer was usable and is not a null MX. Neither counts in
  /// `secure`, `failures` or `signature_expiry`: MTA-STS and TLS-RPT do not need DNSSEC, and
  /// a sender delivers without them.
  std::optional<TxtLookup> mta_sts_txt;
  std::optional<TxtLookup> tlsrpt_txt;
  std::size_t address_count() const;
};

/// The reserved range `address` (a canonical IP literal) lies in, or "" when it is a public
/// address. IPv4-mapped IPv6 is its own range.
std::string reserved_range(std::string_view address);

/// Whether `address` may be connected to: a public address, or a reserved one inside
/// dns.allowed_reserved_cidrs.
bool may_connect(const std::string& address, const config::DnsSettings& settings);

/// The address record types dns.address_family asks for, A first.
std::vector<RecordType> address_types(const config::DnsSettings& settings);

/// How lookups are made: Resolver::lookup in production, a table in tests.
using LookupFunction = std::function<asio::awaitable<Answer>(std::string, RecordType)>;

/// Resolves `domain`'s mail path under the dns settings' bounds, address families and
/// allowed reserved ranges. With `tlsa_port`, each MX host from a secure MX answer whose
/// addresses are secure also gets its TLSA RRset at _PORT._tcp.HOST (RFC 7672 §2.2). The
/// TLSA answers' signatures count in signature_expiry. Never throws except std::bad_alloc.
asio::awaitable<MailPath> resolve_mail_path(LookupFunction lookup, std::string domain,
                                            const config::DnsSettings& settings,
                                            std::optional<std::uint16_t> tlsa_port);

/// The SRV owner name of `service` at `domain` ("_imaps._tcp.example.com", RFC 6186 §3).
std::string srv_name(std::string_view service, std::string_view domain);

/// Resolves the SRV RRset at `srv_owner` (RFC 2782, RFC 6186 §3.4): its targets in the order
/// a client tries them (priority, then weight, largest first), each with its port and
/// addresses, under the same bounds as MX hosts (dns.max_mx_hosts, addresses per host). A
/// lone "." target says the service is not offered. With `tlsa`, each target from a secure
/// SRV answer whose addresses are secure gets its TLSA RRset at _PORT._tcp.TARGET, the SRV
/// port (RFC 7673 §3: the target is the TLSA base domain). No TXT lookups: MTA-STS and
/// TLS-RPT are for MX delivery only. Never throws except std::bad_alloc.
asio::awaitable<MailPath> resolve_service_path(LookupFunction lookup, std::string srv_owner,
                                               const config::DnsSettings& settings, bool tlsa);

/// Resolves one configured host: its addresses and, with `tlsa_port` and secure addresses,
/// its TLSA RRset at _PORT._tcp.NAME (the CNAME target first, as for MX hosts), read under
/// `rules`: SMTP's (RFC 7672) for a host probed as an MX is, else RFC 7671's. Never throws
/// except std::bad_alloc.
asio::awaitable<MailPath> resolve_host_path(LookupFunction lookup, std::string host,
                                            const config::DnsSettings& settings,
                                            std::optional<std::uint16_t> tlsa_port,
                                            dane::DaneRules rules);

}  // namespace starttls_exporter::dns
