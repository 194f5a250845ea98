#pragma once
/// \file
/// Builds a Config from a parsed YAML document: defaults first, then validation, section by
/// section (global, modules, targets — in that order whatever their order in the file).
/// Private to src/config.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "document.hpp"
#include "starttls_exporter/config/config.hpp"
#include "yaml_reader.hpp"

namespace starttls_exporter::config::detail {

/// Throws ConfigError for the first problem found. Relative tls.ca_file paths are resolved
/// against the directory of reader.file(), and the file is opened to check it is readable.
Config build_config(const Document& document, const Reader& reader);

/// Names of the modules that set their own timeout (the others inherit global.timeout); used
/// to say where an effective timeout came from.
using OwnTimeouts = std::set<std::string, std::less<>>;

/// The `targets` sequence (`entry` may be null: no targets), from `document`'s slices when it
/// has them. `config` must already hold the
/// global settings and the modules; the targets get the effective interval.
std::vector<Target> parse_targets(const Entry* entry, const Document& document,
                                  const Config& config, const OwnTimeouts& own_timeouts,
                                  const Reader& reader);

/// A sequence of networks such as [127.0.0.0/8] (an empty key is an empty list).
std::vector<IpNetwork> parse_allowed_cidrs(const Entry& entry, const Reader& reader);

/// The keys every probed entry (targets[], hosts[]) shares, with the module's defaults.
struct ProbedEntry {
  std::uint16_t port = 0;  ///< the entry's, else the module's protocol and mode's
  Duration interval{0};    ///< the entry's, else global.interval
  std::map<std::string, std::string> labels;
  CertificateFileSetting certificate_file;  ///< the entry's, else the module's
};
/// Reads port, interval, labels and certificate_file of an entry at `path` and checks the
/// module's timeout against its interval.
ProbedEntry parse_probed_entry(const Fields& fields, const Module& module, const Config& config,
                               const YAML::Node& item, const std::string& path,
                               const OwnTimeouts& own_timeouts, const Reader& reader);

/// The module an entry names; fails naming the defined ones.
const Module& find_module(const Entry& entry, const Config& config, const Reader& reader);

/// A `labels:` mapping of static labels (names and values checked).
std::map<std::string, std::string> parse_labels(const Entry& entry, const Reader& reader);

/// Fails at `interval` (else at `item`, `path`) unless `module`'s timeout is below `value`.
void check_timeout_below_interval(const Module& module, Duration value, const Entry* interval,
                                  const YAML::Node& item, const std::string& path,
                                  const OwnTimeouts& own_timeouts, const Reader& reader);

/// "example.com", "Example.COM." -> "example.com"; fails for anything that is not a DNS name.
std::string parse_domain_name(const Entry& entry, const Reader& reader);

/// The `domains` sequence (`entry` may be null). `config` must hold global and the modules;
/// each entry's services follow it (parse_services), their derived modules added to config.
std::vector<Domain> parse_domains(const Entry* entry, Config& config,
                                  const OwnTimeouts& own_timeouts, const Reader& reader);

/// A domain entry's `services`: a list of service names (each spoken with the entry's module,
/// as the derived module "MODULE/SERVICE" added to `config`) or a mapping of service to a
/// module of its own (which must speak that service). One kind-service entry each.
std::vector<Domain> parse_services(const Entry& entry, const Domain& domain, Config& config,
                                   const Reader& reader);

/// The `hosts` sequence (`entry` may be null): each a kind-host entry, its port the module's
/// default unless given.
std::vector<Domain> parse_hosts(const Entry* entry, const Config& config,
                                const OwnTimeouts& own_timeouts, const Reader& reader);

/// The `dns` section (`entry` may be null: defaults). The trust anchor is read when `domains`
/// (the domains key, null when none are configured) is set; errors about the default one are
/// located there.
DnsSettings parse_dns(const Entry* entry, const Entry* domains, const Reader& reader);

/// A certificate_file entry: the pattern resolved against the config file's directory; every
/// file it matches now must be readable, hold a PEM certificate and no private key.
CertificateFileSetting parse_certificate_file(const Entry& entry, const Reader& reader);

/// The `tlsrpt` section (`entry` may be null: reports are not taken). Paths are resolved
/// against the config file's directory; the files need not exist yet.
TlsrptSettings parse_tlsrpt(const Entry* entry, const Reader& reader);

}  // namespace starttls_exporter::config::detail
