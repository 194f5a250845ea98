#include "sections.hpp"

#include "starttls_exporter/config/config_keys.hpp"
#include "starttls_exporter/core/files.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {
namespace {

// A CA bundle is a few hundred kilobytes; this bound only stops a mistaken path.
constexpr std::size_t kMaxCaFileBytes = 16 * 1024 * 1024;

constexpr std::int64_t kMaxConcurrency = 100000;

Global parse_global(const Entry* entry, const Reader& reader) {
  Global global;
  if (entry == nullptr) return global;
  const Fields fields = reader.fields(entry->value, "global", keys::kGlobal);
  if (const Entry* e = fields.find("interval")) global.interval = reader.duration(*e);
  if (const Entry* e = fields.find("timeout")) global.timeout = reader.duration(*e);
  if (const Entry* e = fields.find("concurrency")) {
    global.concurrency = static_cast<int>(reader.integer(*e, 1, kMaxConcurrency));
  }
  if (const Entry* e = fields.find("scrape_timeout_margin")) {
    // Zero is allowed (no margin), unlike the other durations.
    const std::string text = reader.scalar(*e, "a duration such as 500ms");
    const auto margin = parse_duration(text);
    if (!margin) {
      reader.fail(*e,
                  quote(text) + " is not a duration (use units y, w, d, h, m, s, ms as in 500ms)");
    }
    global.scrape_timeout_margin = *margin;
  }
  return global;
}

// tls.min_version: the exporter toolkit's spelling (TLS10 ... TLS13).
TlsVersion parse_min_version(const Entry& entry, const Reader& reader) {
  static constexpr std::pair<std::string_view, TlsVersion> kNames[] = {
      {"TLS10", TlsVersion::tls1_0},
      {"TLS11", TlsVersion::tls1_1},
      {"TLS12", TlsVersion::tls1_2},
      {"TLS13", TlsVersion::tls1_3},
  };
  const std::string text = reader.scalar(entry, "a TLS version such as TLS12");
  for (const auto& [name, version] : kNames) {
    if (text == name) return version;
  }
  reader.fail(entry,
              "unknown TLS version " + quote(text) + " (supported: TLS10, TLS11, TLS12, TLS13)");
}

bool parse_bool(const Entry& entry, const Reader& reader) {
  const std::string text = reader.scalar(entry, "true or false");
  if (text != "true" && text != "false")
    reader.fail(entry, "expected true or false, got " + quote(text));
  return text == "true";
}

// tls.ca_file: read once now (Reader::named_file); the trust store is built from these bytes.
TlsSettings parse_tls(const Entry& entry, const Reader& reader) {
  TlsSettings tls;
  const Fields fields = reader.fields(entry.value, entry.path, keys::kModuleTls);
  if (const Entry* e = fields.find("min_version")) tls.min_version = parse_min_version(*e, reader);
  if (const Entry* e = fields.find("legacy_probe")) tls.legacy_probe = parse_bool(*e, reader);
  if (const Entry* e = fields.find("handshake_per_key_type")) {
    tls.handshake_per_key_type = parse_bool(*e, reader);
  }
  if (const Entry* e = fields.find("mode")) {
    const std::string mode = reader.scalar(*e, "starttls or implicit");
    if (mode != "starttls" && mode != "implicit") {
      reader.fail(*e, "unknown TLS mode " + quote(mode) +
                          " (supported: starttls, implicit: TLS right after connect)");
    }
    tls.mode = mode == "implicit" ? TlsMode::implicit : TlsMode::starttls;
  }
  const Entry* ca = fields.find("ca_file");
  if (ca == nullptr) return tls;
  LoadedFile file = reader.named_file(
      *ca, "must not be empty (leave it out for the system trust store)", kMaxCaFileBytes);
  tls.ca_file = std::move(file.path);
  tls.ca_pem = std::move(file.bytes);
  tls.ca_file_location = reader.location(*ca);
  return tls;
}

MetricsSettings parse_metrics(const Entry& entry, const Reader& reader) {
  MetricsSettings metrics;
  if (entry.value.IsNull()) return metrics;
  const Fields fields = reader.fields(entry.value, entry.path, keys::kModuleMetrics);
  if (const Entry* e = fields.find("phase_durations"))
    metrics.phase_durations = parse_bool(*e, reader);
  if (const Entry* e = fields.find("chain_certificates")) {
    metrics.chain_certificates = parse_bool(*e, reader);
  }
  if (const Entry* e = fields.find("tls_details")) metrics.tls_details = parse_bool(*e, reader);
  return metrics;
}

MtaStsSettings parse_mta_sts(const Entry* entry, const Reader& reader) {
  MtaStsSettings out;
  if (entry == nullptr || entry->value.IsNull()) return out;
  const Fields fields = reader.fields(entry->value, "mta_sts", keys::kMtaSts);
  if (const Entry* e = fields.find("refresh")) {
    out.refresh = reader.duration(*e);
    if (out.refresh < std::chrono::seconds(1)) reader.fail(*e, "must be at least 1s");
  }
  if (const Entry* e = fields.find("timeout")) {
    out.timeout = reader.duration(*e);
    if (out.timeout <= Duration::zero()) reader.fail(*e, "must be above 0");
  }
  if (const Entry* ca = fields.find("ca_file")) {
    LoadedFile file = reader.named_file(
        *ca, "must not be empty (leave it out for the system trust store)", kMaxCaFileBytes);
    out.tls.ca_file = std::move(file.path);
    out.tls.ca_pem = std::move(file.bytes);
    out.tls.ca_file_location = reader.location(*ca);
  }
  return out;
}

Module parse_module(const Entry& entry, const Global& global, OwnTimeouts& own_timeouts,
                    const Reader& reader) {
  if (const auto problem = module_name_problem(entry.name)) {
    reader.fail(reader.location(entry.key), entry.path, *problem);
  }
  Module module;
  module.name = entry.name;
  module.timeout = global.timeout;
  const Fields fields = reader.fields(entry.value, entry.path, keys::kModule);
  if (const Entry* e = fields.find("protocol")) {
    const std::string protocol = reader.scalar(*e, "a protocol name");
    const auto parsed = parse_protocol(protocol);
    if (!parsed) {
      reader.fail(*e,
                  "unknown protocol " + quote(protocol) + " (supported: " + protocol_names() + ")");
    }
    module.protocol = *parsed;
  }
  if (const Entry* e = fields.find("timeout")) {
    module.timeout = reader.duration(*e);
    own_timeouts.insert(module.name);
  }
  if (const Entry* e = fields.find("ehlo_name")) {
    module.ehlo_name = reader.scalar(*e, "a host name");
    if (const auto problem = ehlo_name_problem(module.ehlo_name)) reader.fail(*e, *problem);
  }
  if (const Entry* e = fields.find("tls")) module.tls = parse_tls(*e, reader);
  if (const Entry* e = fields.find("source_address")) {
    const std::string text = reader.scalar(*e, "an IP address");
    const auto ip = canonical_ip(text);
    if (!ip) reader.fail(*e, quote(text) + " is not an IPv4 or IPv6 address");
    module.source_address = *ip;
    module.source_address_location = reader.location(*e);
  }
  if (const Entry* e = fields.find("metrics")) module.metrics = parse_metrics(*e, reader);
  if (const Entry* e = fields.find("certificate_file")) {
    module.certificate_file = parse_certificate_file(*e, reader);
  }
  return module;
}

}  // namespace

std::vector<IpNetwork> parse_allowed_cidrs(const Entry& entry, const Reader& reader) {
  std::vector<IpNetwork> networks;
  if (entry.value.IsNull()) return networks;
  if (!entry.value.IsSequence()) {
    reader.fail(entry, "expected a sequence of networks such as [127.0.0.0/8], got " +
                           std::string(describe(entry.value)));
  }
  for (std::size_t i = 0; i < entry.value.size(); ++i) {
    const Entry item{entry.name, entry.path + "[" + std::to_string(i) + "]", entry.key,
                     entry.value[i]};
    std::string problem;
    auto network = parse_ip_network(reader.scalar(item, "a network such as 127.0.0.0/8"), problem);
    if (!network) reader.fail(item, problem);
    networks.push_back(std::move(*network));
  }
  return networks;
}

Config build_config(const Document& document, const Reader& reader) {
  const YAML::Node& root = document.root;
  if (root.IsNull()) {
    reader.fail({reader.file(), 1, 1}, "",
                "the file is empty; write \"targets: []\" for a configuration without targets");
  }
  if (!root.IsMap()) {
    reader.fail(reader.location(root), "",
                "the top level must be a mapping with the keys global, modules, targets, dns "
                "and domains, got " +
                    std::string(describe(root)));
  }
  const Fields top = reader.fields(root, "", keys::kTop);

  Config config;
  config.source_file = reader.file();
  config.global = parse_global(top.find("global"), reader);

  OwnTimeouts own_timeouts;
  if (const Entry* modules = top.find("modules")) {
    const Fields fields = reader.fields(modules->value, "modules", {});
    for (const Entry& entry : fields.all()) {
      config.modules.emplace(entry.name, parse_module(entry, config.global, own_timeouts, reader));
    }
  }
  config.targets = parse_targets(top.find("targets"), document, config, own_timeouts, reader);
  if (const Entry* cidrs = top.find("probe_allowed_cidrs")) {
    config.probe_allowed_cidrs = parse_allowed_cidrs(*cidrs, reader);
  }
  config.domains = parse_domains(top.find("domains"), config, own_timeouts, reader);
  for (auto& host : parse_hosts(top.find("hosts"), config, own_timeouts, reader)) {
    config.domains.push_back(std::move(host));
  }
  const Entry* resolved = top.find("domains") ? top.find("domains") : top.find("hosts");
  config.dns = parse_dns(top.find("dns"), config.domains.empty() ? nullptr : resolved, reader);
  config.mta_sts = parse_mta_sts(top.find("mta_sts"), reader);
  config.tlsrpt = parse_tlsrpt(top.find("tlsrpt"), reader);
  return config;
}

}  // namespace starttls_exporter::config::detail
