#pragma once
/// \file
/// The keys the configuration loader accepts, section by section: the one list the loader
/// checks files against and the README's configuration table is checked against (tests/docs).

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace starttls_exporter::config::keys {

inline constexpr std::array<std::string_view, 9> kTop{
    "global", "modules", "targets", "probe_allowed_cidrs", "dns", "domains",
    "hosts",  "mta_sts", "tlsrpt"};
inline constexpr std::array<std::string_view, 4> kGlobal{"interval", "timeout", "concurrency",
                                                         "scrape_timeout_margin"};
inline constexpr std::array<std::string_view, 7> kModule{
    "protocol", "timeout", "ehlo_name", "tls", "source_address", "metrics", "certificate_file"};
inline constexpr std::array<std::string_view, 5> kModuleTls{
    "ca_file", "mode", "min_version", "legacy_probe", "handshake_per_key_type"};
inline constexpr std::array<std::string_view, 3> kModuleMetrics{
    "phase_durations", "chain_certificates", "tls_details"};
inline constexpr std::array<std::string_view, 7> kTarget{
    "address", "port", "module", "server_name", "interval", "labels", "certificate_file"};

inline constexpr std::array<std::string_view, 9> kDns{
    "resolver",       "trust_anchor_file", "timeout",
    "min_refresh",    "max_refresh",       "allowed_reserved_cidrs",
    "address_family", "max_mx_hosts",      "max_addresses_per_host"};
inline constexpr std::array<std::string_view, 3> kMtaSts{"ca_file", "refresh", "timeout"};
inline constexpr std::array<std::string_view, 5> kTlsrpt{"database", "maildir", "retention",
                                                         "domains", "max_organizations"};
inline constexpr std::array<std::string_view, 6> kDomain{"domain",   "module", "port",
                                                         "interval", "labels", "services"};
inline constexpr std::array<std::string_view, 6> kHost{"name",     "module", "port",
                                                       "interval", "labels", "certificate_file"};

/// Every leaf key as the README writes it: "global.interval", "modules.NAME.tls.ca_file",
/// "targets[].labels", "probe_allowed_cidrs". Sections themselves ("modules.NAME.tls") are
/// not listed; their keys are.
std::vector<std::string> documented_paths();

}  // namespace starttls_exporter::config::keys
