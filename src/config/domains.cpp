// The dns section and the domains sequence: mail domains whose MX hosts the exporter finds by
// DNS (RFC 5321 §5.1), validated with DNSSEC from dns.trust_anchor_file. The tlsrpt section:
// which of them take TLS-RPT reports, and where the reports are kept.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "sections.hpp"
#include "starttls_exporter/config/config_keys.hpp"
#include "starttls_exporter/core/files.hpp"
#include "starttls_exporter/core/net.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {
namespace {

// A trust anchor file is a few DS or DNSKEY lines; this bound only stops a mistaken path.
constexpr std::size_t kMaxTrustAnchorBytes = 1024 * 1024;
/// The largest dns.max_mx_hosts and dns.max_addresses_per_host accepted: a DNS answer over
/// TCP (64 KiB) holds a few thousand records at most, and every address is a probe.
constexpr std::int64_t kMaxFanOut = 1000;

}  // namespace

std::string parse_domain_name(const Entry& entry, const Reader& reader) {
  const std::string name = net::normalise_domain_name(reader.scalar(entry, "a domain name"));
  if (net::canonical_ip(name)) {
    reader.fail(entry, quote(name) + " is an IP address: list it under targets instead");
  }
  if (!net::is_dns_name(name) || net::ends_in_numeric_label(name)) {
    reader.fail(entry, quote(name) +
                           " is not a valid domain name (labels of letters, digits and hyphens; "
                           "internationalised names as xn-- A-labels)");
  }
  return name;
}

namespace {

Domain parse_domain(const YAML::Node& item, const std::string& path, const Config& config,
                    const OwnTimeouts& own_timeouts, const Reader& reader) {
  const Fields fields = reader.item_fields(item, path, keys::kDomain, {"domain", "module"});
  Domain domain;
  domain.name = parse_domain_name(*fields.find("domain"), reader);
  const Module& module = find_module(*fields.find("module"), config, reader);
  domain.module = module.name;
  if (const Entry* e = fields.find("port")) {
    domain.port = static_cast<std::uint16_t>(reader.integer(*e, 1, 65535));
  }
  domain.interval = config.global.interval;
  const Entry* interval = fields.find("interval");
  if (interval != nullptr) domain.interval = reader.duration(*interval);
  if (const Entry* e = fields.find("labels")) domain.labels = parse_labels(*e, reader);
  check_timeout_below_interval(module, domain.interval, interval, item, path, own_timeouts, reader);
  return domain;
}

/// dns.resolver: one "IP[:PORT]" or a sequence of them.
std::vector<ResolverAddress> parse_resolvers(const Entry& entry, const Reader& reader) {
  std::vector<Entry> items;
  if (entry.value.IsSequence()) {
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      items.push_back(
          {entry.name, entry.path + "[" + std::to_string(i) + "]", entry.key, entry.value[i]});
    }
  } else {
    items.push_back(entry);
  }
  std::vector<ResolverAddress> out;
  for (const Entry& item : items) {
    const std::string text = reader.scalar(item, "an IP address, optionally with :PORT");
    std::string problem;
    const auto address = net::parse_target_address(text, problem);
    if (!address) {
      reader.fail(item, quote(text) + " is not a resolver address: " + problem +
                            " (IPv6 with a port as [ADDRESS]:PORT)");
    }
    out.push_back({address->address, address->port_given ? address->port : std::uint16_t{53}});
  }
  if (out.empty())
    reader.fail(entry, "must name at least one resolver (leave it out for resolv.conf's)");
  return out;
}

AddressFamilies parse_family(const Entry& entry, const Reader& reader) {
  const std::string text = reader.scalar(entry, "any, ipv4 or ipv6");
  if (text == "any") return AddressFamilies::any;
  if (text == "ipv4") return AddressFamilies::ipv4;
  if (text == "ipv6") return AddressFamilies::ipv6;
  reader.fail(entry, "expected any, ipv4 or ipv6, got " + quote(text));
}

void parse_refresh(const Fields& fields, const Reader& reader, DnsSettings& dns) {
  if (const Entry* e = fields.find("timeout")) dns.timeout = reader.duration(*e);
  if (const Entry* e = fields.find("min_refresh")) dns.min_refresh = reader.duration(*e);
  if (const Entry* e = fields.find("max_refresh")) dns.max_refresh = reader.duration(*e);
  if (dns.min_refresh > dns.max_refresh) {
    reader.fail(*fields.find("min_refresh"),
                "must not be above dns.max_refresh (" + format_duration(dns.max_refresh) + ")");
  }
}

}  // namespace

std::vector<Domain> parse_domains(const Entry* entry, Config& config,
                                  const OwnTimeouts& own_timeouts, const Reader& reader) {
  std::vector<Domain> domains;
  if (entry == nullptr || entry->value.IsNull()) return domains;
  if (!entry->value.IsSequence()) {
    reader.fail(*entry,
                "expected a sequence of domains, got " + std::string(describe(entry->value)));
  }
  std::map<std::string, std::pair<std::size_t, int>> seen;  // name|module -> (index, line)
  for (std::size_t index = 0; index < entry->value.size(); ++index) {
    const YAML::Node& item = entry->value[index];
    const std::string path = "domains[" + std::to_string(index) + "]";
    Domain domain = parse_domain(item, path, config, own_timeouts, reader);
    const SourceLocation where = reader.location(item);
    const auto [it, inserted] =
        seen.try_emplace(domain.name + "|" + domain.module, index, where.line);
    if (!inserted) {
      reader.fail(where, path,
                  "duplicate domain " + domain.name + " with module " + domain.module +
                      ": same as domains[" + std::to_string(it->second.first) + "] at line " +
                      std::to_string(it->second.second));
    }
    std::vector<Domain> services;
    const Fields fields = reader.item_fields(item, path, keys::kDomain, {});
    if (const Entry* e = fields.find("services")) {
      services = parse_services(*e, domain, config, reader);
    }
    domains.push_back(std::move(domain));
    for (auto& service : services) domains.push_back(std::move(service));
  }
  return domains;
}

DnsSettings parse_dns(const Entry* entry, const Entry* domains, const Reader& reader) {
  DnsSettings dns;
  if (entry != nullptr && !entry->value.IsNull()) {
    const Fields fields = reader.fields(entry->value, "dns", keys::kDns);
    if (const Entry* e = fields.find("resolver")) dns.resolvers = parse_resolvers(*e, reader);
    parse_refresh(fields, reader, dns);
    if (const Entry* e = fields.find("allowed_reserved_cidrs")) {
      dns.allowed_reserved_cidrs = parse_allowed_cidrs(*e, reader);
    }
    if (const Entry* e = fields.find("address_family"))
      dns.address_family = parse_family(*e, reader);
    if (const Entry* e = fields.find("max_mx_hosts")) {
      dns.max_mx_hosts = static_cast<int>(reader.integer(*e, 1, kMaxFanOut));
    }
    if (const Entry* e = fields.find("max_addresses_per_host")) {
      dns.max_addresses_per_host = static_cast<int>(reader.integer(*e, 1, kMaxFanOut));
    }
    if (const Entry* anchor = fields.find("trust_anchor_file")) {
      dns.trust_anchor = reader.named_file(*anchor, "must not be empty", kMaxTrustAnchorBytes);
      dns.trust_anchor_location = reader.location(*anchor);
      return dns;
    }
  }
  if (domains != nullptr) {
    dns.trust_anchor = {kDefaultTrustAnchorFile, {}};
    dns.trust_anchor_location = reader.location(domains->key);
    if (const auto problem = read_regular_file(kDefaultTrustAnchorFile, dns.trust_anchor.bytes,
                                               kMaxTrustAnchorBytes)) {
      reader.fail(dns.trust_anchor_location, "dns.trust_anchor_file",
                  std::string("cannot read the default ") + kDefaultTrustAnchorFile + ": " +
                      *problem + " (install dns-root-data, or set dns.trust_anchor_file)");
    }
  }
  return dns;
}

}  // namespace starttls_exporter::config::detail

namespace starttls_exporter::config::detail {
namespace {

/// The largest tlsrpt.max_organizations: every organization is a label value on four families.
constexpr std::int64_t kMaxOrganizations = 1000;

/// A path as given, resolved against the config file's directory; the file need not exist.
std::string resolved_path(const Entry& entry, const Reader& reader, std::string_view what) {
  const std::string text = reader.scalar(entry, what);
  if (text.empty()) reader.fail(entry, "must not be empty (leave it out to turn it off)");
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(reader.file()).parent_path() / path;
  return path.string();
}

}  // namespace

TlsrptSettings parse_tlsrpt(const Entry* entry, const Reader& reader) {
  TlsrptSettings out;
  if (entry == nullptr || entry->value.IsNull()) return out;
  const Fields fields = reader.fields(entry->value, "tlsrpt", keys::kTlsrpt);
  if (const Entry* e = fields.find("database")) {
    out.database = resolved_path(*e, reader, "a file name");
    out.database_location = reader.location(*e);
  }
  if (const Entry* e = fields.find("maildir")) {
    out.maildir = resolved_path(*e, reader, "a directory name");
    out.maildir_location = reader.location(*e);
    if (out.database.empty()) reader.fail(*e, "needs tlsrpt.database: reports are kept there");
  }
  if (const Entry* e = fields.find("retention")) out.retention = reader.duration(*e);
  if (const Entry* e = fields.find("max_organizations")) {
    out.max_organizations = static_cast<std::size_t>(reader.integer(*e, 1, kMaxOrganizations));
  }
  if (const Entry* e = fields.find("domains"); e != nullptr && !e->value.IsNull()) {
    if (!e->value.IsSequence()) {
      reader.fail(*e,
                  "expected a sequence of domain names, got " + std::string(describe(e->value)));
    }
    for (std::size_t i = 0; i < e->value.size(); ++i) {
      const Entry item{e->name, e->path + "[" + std::to_string(i) + "]", e->key, e->value[i]};
      out.domains.push_back(parse_domain_name(item, reader));
    }
  }
  return out;
}

}  // namespace starttls_exporter::config::detail
