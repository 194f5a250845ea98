#pragma once
/// \file
/// The exporter's configuration: plain types, loaded and validated by load_config().
/// Only src/config/ knows the file format (YAML); everything else sees these types.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/core/duration.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::config {

/// Where a value came from, for error messages ("config.yaml:12:5").
struct SourceLocation {
  std::string file;
  int line = 0;                   ///< 1-based; 0 when unknown
  int column = 0;                 ///< 1-based; 0 when unknown
  std::string to_string() const;  ///< "file:line:column", or "file" when the line is unknown
  /// Where a setting was written is not part of the setting: any two locations compare equal,
  /// so settings' defaulted operator== (reload equality) ignores a line that moved.
  friend bool operator==(const SourceLocation&, const SourceLocation&) { return true; }
};

/// A configuration error. what() is the whole message: "file:line:column: key: problem".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(SourceLocation where, std::string key, std::string problem);
  const SourceLocation& where() const noexcept { return where_; }
  const std::string& key() const noexcept { return key_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  SourceLocation where_;
  std::string key_;
  std::string problem_;
};

/// The mail protocol a module speaks up to the TLS handshake. submission is SMTP that also
/// reports AUTH offered before TLS; sieve is ManageSieve (RFC 5804).
enum class Protocol { smtp, submission, lmtp, imap, pop3, sieve };

/// starttls: the protocol's upgrade command; implicit: TLS right after connect (465, 993, 995).
enum class TlsMode { starttls, implicit };

/// A mail service a domain announces by SRV (RFC 6186 §3, RFC 8314 §5.1): the SRV label
/// ("imaps") and how it is spoken.
struct MailService {
  std::string_view name;
  Protocol protocol;
  TlsMode mode;
};
/// The service spelled `name` (submissions, submission, imaps, imap, pop3s, pop3), or nullopt.
std::optional<MailService> parse_service(std::string_view name) noexcept;
/// Every service's spelling, comma-separated, for messages.
std::string service_names();

struct Module;
/// `base` speaking `service`: its protocol and TLS mode, the rest (CA file, timeout, EHLO
/// name, ...) kept; named "BASE/SERVICE". What domains[].services and `probe --service` use.
Module module_for_service(const Module& base, const MailService& service);

/// The `protocol:` spelling ("submission"); "unknown" outside the enum.
std::string_view protocol_name(Protocol protocol) noexcept;
/// The Protocol spelled `name` ("submission"), or nullopt.
std::optional<Protocol> parse_protocol(std::string_view name) noexcept;
/// Every protocol's spelling, comma-separated, for messages ("smtp, submission, ...").
std::string protocol_names();
/// The port a target of this protocol and mode uses when it names none (smtp 25, submission 587,
/// lmtp 24, imap 143, pop3 110, sieve 4190; implicit: smtp and submission 465, imap 993, pop3
/// 995; implicit lmtp and sieve have no registered port and keep 24 and 4190).
std::uint16_t default_port(Protocol protocol, TlsMode mode) noexcept;

/// A file named by the configuration, read once at load: the bytes every later user gets.
struct LoadedFile {
  std::string path;   ///< as resolved (relative names: against the config file's directory)
  std::string bytes;  ///< the whole file as it was read
  friend bool operator==(const LoadedFile&, const LoadedFile&) = default;
};

struct TlsSettings {
  std::string ca_file;  ///< resolved path; empty: the system trust store
  std::string ca_pem;   ///< ca_file's bytes, read once at load (the trust store is built from them)
  SourceLocation ca_file_location;   ///< for errors found later (e.g. the file is not PEM)
  TlsMode mode = TlsMode::starttls;  ///< tls.mode
  /// tls.min_version: a handshake that negotiates an older version fails the probe with
  /// tls_version_too_old (after its facts are recorded). Unset: any version passes.
  std::optional<TlsVersion> min_version;
  /// tls.legacy_probe: after each probe that completed a handshake, one more connection offers
  /// only TLS 1.0/1.1 and reports whether the server accepts it.
  bool legacy_probe = false;
  /// tls.handshake_per_key_type: after each probe that completed a handshake, one more
  /// connection per key type (ECDSA, RSA) offering only that type, each judged by DANE.
  bool handshake_per_key_type = false;
};

/// modules.NAME.metrics: the optional series groups of the module's targets. Off by default so
/// that a page of many targets stays small (about 1.4 KB per successful target instead of 3.3);
/// what the shipped alerts and dashboard read is never behind one of these.
struct MetricsSettings {
  /// probe_phase_duration_seconds per target (the fleet-wide histogram
  /// starttls_exporter_probe_phase_duration_seconds is always there).
  bool phase_durations = false;
  /// probe_ssl_chain_cert_info and probe_ssl_chain_cert_not_after_timestamp_seconds, one series
  /// per certificate sent.
  bool chain_certificates = false;
  /// probe_tls_key_exchange_group_info, probe_ssl_leaf_public_key_size,
  /// probe_ssl_leaf_signature_algorithm_info, probe_ssl_chain_complete, probe_ssl_ocsp_*.
  bool tls_details = false;

  bool operator==(const MetricsSettings&) const = default;
  /// Every group on: what one-shot reports show.
  static MetricsSettings all() { return {true, true, true}; }
};

/// certificate_file: the PEM file a daemon is meant to serve, as a path or a glob (a path with
/// * ? [ ]), resolved against the config file's directory. The file is re-read when its mtime
/// changes; at load every match must hold a certificate and no private key.
struct CertificateFileSetting {
  std::string pattern;  ///< resolved; empty: none configured
  SourceLocation location;
  friend bool operator==(const CertificateFileSetting&, const CertificateFileSetting&) = default;
};

struct Module {
  std::string name;
  Protocol protocol = Protocol::smtp;
  Duration timeout{0};  ///< effective: the module's own, else global.timeout
  std::string ehlo_name = "localhost";
  TlsSettings tls;
  /// source_address: canonical IP literal every probe of this module binds before connecting;
  /// empty: the kernel chooses. Targets of the other address family are a config error.
  std::string source_address;
  SourceLocation source_address_location;
  MetricsSettings metrics;
  CertificateFileSetting certificate_file;  ///< for every target and domain of the module
};

struct Target {
  std::string address;  ///< canonical IP literal, no brackets ("192.0.2.25", "2001:db8::25")
  std::uint16_t port = 25;
  std::string module;       ///< key into Config::modules
  std::string server_name;  ///< SNI and expected certificate name; may be empty (then no SNI)
  Duration interval{0};     ///< effective: the target's own, else global.interval
  std::map<std::string, std::string> labels;  ///< static labels added to every series
  CertificateFileSetting certificate_file;    ///< the target's own, else its module's

  /// "192.0.2.25:25", or "[2001:db8::25]:25" for IPv6: the `target` label.
  std::string endpoint() const;
  /// Identity of a target: endpoint plus module. Duplicate keys are a config error.
  std::string key() const;
};

struct Global {
  Duration interval = std::chrono::seconds(60);
  Duration timeout = std::chrono::seconds(10);
  int concurrency = 256;
  /// /probe: subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds to get the probe's
  /// deadline, so the answer arrives before Prometheus gives up. >= 0.
  Duration scrape_timeout_margin = std::chrono::milliseconds(500);
};

/// An IP network of probe_allowed_cidrs: "127.0.0.0/8", "2001:db8::/32" (a bare address is a
/// network of one address).
struct IpNetwork {
  std::string text;  ///< canonical "address/prefix"
  bool ipv6 = false;
  std::array<std::uint8_t, 16> bytes{};  ///< network address, host bits zero (IPv4: first 4)
  int prefix_length = 0;                 ///< 0..32 (IPv4) or 0..128 (IPv6)

  /// True when the IP literal `address` lies in this network. An address of the other family
  /// (IPv4-mapped IPv6 included) or anything that is not an IP literal is not contained.
  bool contains(std::string_view address) const;
  friend bool operator==(const IpNetwork&, const IpNetwork&) = default;
};

/// A DNS server the resolver forwards to (dns.resolver): "IP" or "IP:PORT" ("[IPv6]:PORT").
struct ResolverAddress {
  std::string ip;  ///< canonical IP literal
  std::uint16_t port = 53;
  friend bool operator==(const ResolverAddress&, const ResolverAddress&) = default;
};

/// Which address records of an MX host are looked up and probed (dns.address_family).
enum class AddressFamilies { any, ipv4, ipv6 };

/// The dns section: how mail domains are resolved (DNSSEC validated by the exporter itself).
struct DnsSettings {
  /// Where queries go; empty: the nameservers of /etc/resolv.conf.
  std::vector<ResolverAddress> resolvers;
  /// The DNSSEC trust anchor (DS or DNSKEY records, zone-file lines), read once at load when
  /// domains are configured; default /usr/share/dns/root.key (package dns-root-data).
  LoadedFile trust_anchor;
  SourceLocation trust_anchor_location;
  Duration timeout = std::chrono::seconds(5);       ///< one lookup
  Duration min_refresh = std::chrono::seconds(60);  ///< record TTLs are clamped to
  Duration max_refresh = std::chrono::hours(1);     ///< [min_refresh, max_refresh]
  /// Reserved addresses (loopback, RFC 1918, ...) inside these networks are probed anyway.
  std::vector<IpNetwork> allowed_reserved_cidrs;
  AddressFamilies address_family = AddressFamilies::any;
  /// MX hosts per domain; more are reported (too_many_hosts), not probed. Far above real
  /// domains (a handful of MX hosts; a dozen is rare): the bound stops a hostile zone, not a
  /// real one (README "Mail domains").
  int max_mx_hosts = 50;
  /// Addresses per MX host and family; more are reported (too_many_addresses), not probed.
  int max_addresses_per_host = 64;
  /// Reload equality: a changed dns section restarts every domain with a new resolver.
  friend bool operator==(const DnsSettings&, const DnsSettings&) = default;
};

/// mta_sts: how each domain's MTA-STS policy is fetched (RFC 8461 §3.3).
struct MtaStsSettings {
  TlsSettings tls;  ///< only the CA file: the policy hosts' trust store (default: the system's)
  Duration refresh = std::chrono::hours(1);     ///< refetched this often, and when the id changes
  Duration timeout = std::chrono::seconds(10);  ///< the whole fetch: resolve, connect, TLS, HTTP
};

/// One mail domain (domains[]): its MX hosts and their addresses are found by DNS and probed.
/// What a domains entry resolves: a mail domain's MX hosts (RFC 5321 §5.1), one of its mail
/// services by SRV (domains[].services: RFC 6186, RFC 8314), or one host (hosts[]).
enum class DomainKind { mx, service, host };

/// One entry the domain watcher resolves: a domains[] entry, each of its services, and each
/// hosts[] entry, in file order.
struct Domain {
  std::string name;  ///< lower case, no trailing dot ("example.com"; the host for kind host)
  std::string module;
  DomainKind kind = DomainKind::mx;
  std::string service;  ///< kind service: its SRV label ("imaps")
  /// kind host: the file the host's daemon serves (hosts[].certificate_file, else its
  /// module's); the other kinds use their module's.
  CertificateFileSetting certificate_file;
  std::optional<std::uint16_t> port;          ///< unset: the module's protocol's port
  Duration interval{0};                       ///< effective: the domain's own, else global.interval
  std::map<std::string, std::string> labels;  ///< on the domain's series
  friend bool operator==(const Domain&, const Domain&) = default;
};

/// tlsrpt: TLS-RPT reports (RFC 8460) senders send about the configured domains: where they
/// are kept and which are accepted. Without `database` the exporter takes no reports.
struct TlsrptSettings {
  std::string database;  ///< resolved path of the SQLite file; empty: reports are not taken
  std::string maildir;   ///< resolved path of the Maildir watched for report mails; may be empty
  SourceLocation database_location;  ///< where `database` was set, for errors opening it
  SourceLocation maildir_location;
  Duration retention = std::chrono::hours(24 * 90);  ///< report details kept; totals forever
  /// Policy domains accepted besides the configured domains[] (lower case, no trailing dot).
  std::vector<std::string> domains;
  /// Organizations named in labels, in the order first seen; later ones are "other".
  std::size_t max_organizations = 20;
  friend bool operator==(const TlsrptSettings&, const TlsrptSettings&) = default;
};

/// The path every domain's trust anchor defaults to.
inline constexpr const char* kDefaultTrustAnchorFile = "/usr/share/dns/root.key";

struct Config {
  std::string source_file;
  std::string source_text;  ///< the bytes that were parsed: what /config serves
  Global global;
  std::map<std::string, Module> modules;
  std::vector<Target> targets;
  /// Addresses /probe may connect to besides the configured targets' address:port pairs.
  std::vector<IpNetwork> probe_allowed_cidrs;
  DnsSettings dns;
  std::vector<Domain> domains;
  MtaStsSettings mta_sts;
  TlsrptSettings tlsrpt;
};

/// Parses "ADDRESS/PREFIX" or a bare address. Returns nullopt and sets `problem` when `text` is
/// not a network or has host bits set (the message then names the network meant).
std::optional<IpNetwork> parse_ip_network(std::string_view text, std::string& problem);

/// Label names that static target labels may not use: every label the exporter itself puts on
/// a series, plus the names Prometheus attaches at scrape time (job, instance). Sorted. The one
/// list of them; other areas may use it to check their own label names.
const std::vector<std::string_view>& reserved_label_names();

/// Reads and validates a config file. Applies defaults first, then validates.
/// Throws ConfigError naming file:line:column and the key for every problem it finds
/// (the first one). Never returns a partially valid Config.
Config load_config(const std::string& path);

/// As load_config, from text already in memory; `file_name` is used in messages.
Config parse_config(const std::string& yaml_text, const std::string& file_name);

}  // namespace starttls_exporter::config
