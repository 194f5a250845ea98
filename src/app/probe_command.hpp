#pragma once
/// \file
/// `starttls_exporter probe ADDRESS[:PORT] | DOMAIN[:PORT] [flags]`: one probe now, with the same
/// scheduler, prober and verification as the scheduled ones, reported for a person (text) or a
/// script (JSON). The operator's own command: any address or domain may be given. A domain is
/// resolved as the exporter resolves configured domains (MX, DNSSEC) and each of its addresses
/// probed with its MX host's name.
///
/// Exit codes: 0 the probe succeeded; 1 it ran and failed; 2 usage, configuration or internal
/// error (nothing was probed, or the probe could not report).

#include <optional>
#include <string>
#include <vector>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/duration.hpp"

namespace starttls_exporter::app {

enum class ReportFormat { text, json };

/// The probe command's arguments, as given.
struct ProbeFlags {
  std::string target;                        ///< ADDRESS[:PORT], required
  std::string module;                        ///< --module: take settings from this config module
  std::string config_file;                   ///< --config.file (with --module)
  std::optional<config::Protocol> protocol;  ///< --protocol
  bool implicit_tls = false;                 ///< --implicit-tls
  std::optional<std::string> server_name;    ///< --server-name (empty: no SNI, no name check)
  std::string ca_file;                       ///< --ca-file; empty: the module's, else the system's
  std::string mta_sts_ca_file;  ///< --mta-sts.ca-file (domain form); empty: --ca-file's store
  std::optional<std::string> ehlo_name;         ///< --ehlo-name
  std::optional<std::string> certificate_file;  ///< --certificate-file: the module's otherwise
  std::optional<Duration> timeout;              ///< --timeout; default: the module's, else 10s
  ReportFormat output = ReportFormat::text;     ///< --output
  /// Domain form only: --dns.resolver (repeatable; default: /etc/resolv.conf's),
  /// --dns.trust-anchor-file (default /usr/share/dns/root.key), --dns.allowed-reserved-cidr
  /// (repeatable: reserved addresses inside are probed).
  std::vector<config::ResolverAddress> dns_resolvers;
  std::string trust_anchor_file = config::kDefaultTrustAnchorFile;
  std::vector<config::IpNetwork> allowed_reserved;
  /// Domain form: --service=NAME finds the domain's service by SRV (RFC 6186) instead of its
  /// MX hosts; --host probes the name itself (its addresses, TLSA at _PORT._tcp.NAME).
  std::optional<config::MailService> service;
  bool host = false;
  bool help = false;
};

/// Parses the arguments after "probe". Throws FlagError.
ProbeFlags parse_probe_flags(const std::vector<std::string>& args);

/// The probe command's --help text.
std::string probe_usage();

/// Runs the command: parses `args`, probes, prints the report to stdout (errors to stderr) and
/// returns the exit code above.
int probe_command(const std::vector<std::string>& args);

}  // namespace starttls_exporter::app
