// domain_text_report: a mail domain's verdict and everything it rests on, for on-call.
#include "decision.hpp"
#include "format.hpp"
#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::report {
namespace {

std::string host_line(const dns::MxHost& host, dns::PathKind kind) {
  std::string line = kind == dns::PathKind::srv ? "  SRV " + std::to_string(host.preference) + " " +
                                                      std::to_string(host.weight) + " " +
                                                      std::to_string(host.port) + " " + host.name
                     : kind == dns::PathKind::host
                         ? "  Host " + host.name
                         : "  MX " + std::to_string(host.preference) + " " + host.name;
  if (host.canonical_name != host.name) line += " (CNAME to " + host.canonical_name + ")";
  line += ": " + (host.addresses.empty() ? std::string("no address") : join(host.addresses));
  for (const auto& reserved : host.reserved) {
    line += "; " + reserved.address + " (" + reserved.range + ", not probed)";
  }
  return line + "\n";
}

std::string failure_names(const std::set<dns::DomainFailure>& failures) {
  std::vector<std::string> names;
  for (const auto failure : failures) names.emplace_back(dns::to_string(failure));
  return names.empty() ? "none" : join(names);
}

/// The first address of `host` that completed a handshake with a DANE check.
const dane::DaneCheck* served_check(const domains::DomainProbe& probe, const std::string& host) {
  for (const auto& address : probe.addresses) {
    if (address.target.info.labels.at("mx") == host && address.result && address.result->dane) {
      return &*address.result->dane;
    }
  }
  return nullptr;
}

std::string dane_section(const domains::DomainProbe& probe, const dns::MxHost& host,
                         std::uint16_t port) {
  if (host.port != 0) port = host.port;  // an SRV target's own port (RFC 7673 §3.3)
  std::string out = "  " + host.name + ": TLSA at _" + std::to_string(port) + "._tcp." +
                    (host.tlsa.base_name.empty() ? host.name : host.tlsa.base_name) + ": " +
                    tlsa_status_text(host.tlsa) + "\n";
  for (const auto& record : published_records(host.tlsa)) {
    out += "    published " + record.record +
           (record.usable ? "  (usable)" : "  (unusable: " + record.why_not + ")") + "\n";
  }
  const dane::DaneCheck* check = served_check(probe, host.name);
  if (!check) return out;
  for (const auto& record : check->chain_records) {
    out += "    would match the served " +
           std::string(record.starts_with("3 ") ? "leaf:   " : "issuer: ") + record + "\n";
  }
  if (check->applies) {
    out += std::string("    matched: ") + (check->matched ? "yes" : "no") +
           "; rollover ready: " + (check->rollover_ready ? "yes" : "no") + "\n";
  }
  return out;
}

std::string mta_sts_section(const dns::MailPath& path, const mta_sts::PolicyState* policy) {
  std::string out = "MTA-STS: ";
  if (!path.mta_sts_txt || path.mta_sts_txt->outcome != dns::Outcome::data) {
    return out + "no _mta-sts record\n";
  }
  const auto record = mta_sts::parse_sts_records(path.mta_sts_txt->texts);
  if (!record.record) {
    return out + "record unusable: " + std::string(mta_sts::to_string(*record.failure)) + "\n";
  }
  out += "record id " + record.record->id + "\n";
  if (!policy) return out + "  policy not fetched (no trust store for policy hosts)\n";
  if (policy->failure) {
    return out + "  policy unusable: " + std::string(mta_sts::to_string(*policy->failure)) +
           (policy->detail.empty() ? "" : " (" + policy->detail + ")") + "\n";
  }
  if (!policy->parse.policy) return out + "  policy unusable: it does not parse\n";
  const mta_sts::Policy& p = *policy->parse.policy;
  out += "  mode " + std::string(mta_sts::to_string(p.mode)) + ", max_age " +
         std::to_string(p.max_age) + ", mx " + join(p.mx) + "\n";
  for (const auto& host : path.hosts) {
    std::string matched;
    for (const auto& pattern : p.mx) {
      if (matched.empty() && mta_sts::mx_matches(pattern, host.name)) matched = pattern;
    }
    out +=
        "  " + host.name + (matched.empty() ? " matches no pattern" : " matches " + matched) + "\n";
  }
  if (policy->cert_not_after) {
    out += "  policy host certificate expires " + rfc3339(*policy->cert_not_after) + "\n";
  }
  return out;
}

std::string tlsrpt_section(const dns::MailPath& path) {
  if (!path.tlsrpt_txt || path.tlsrpt_txt->outcome != dns::Outcome::data) {
    return "TLS-RPT: no _smtp._tls record\n";
  }
  const auto parsed = mta_sts::parse_tlsrpt_records(path.tlsrpt_txt->texts);
  if (!parsed.record) {
    return "TLS-RPT: record unusable: " + std::string(mta_sts::to_string(*parsed.failure)) + "\n";
  }
  return "TLS-RPT: rua " + join(parsed.record->rua) + "\n";
}

/// "ENDPOINT (MX): pass: RULE", the address's verdict and the rule that decided it.
std::string address_line(const domains::AddressProbe& address, const mta_sts::PolicyState* policy,
                         const Paint& paint) {
  const std::string verdict = !address.result           ? paint("pending", "33")
                              : address.result->success ? paint("pass", "32")
                                                        : paint("FAIL", "31");
  return address.target.info.endpoint + " (" + address.target.info.labels.at("mx") +
         "): " + verdict + ": " + decided_by(address, policy);
}

/// "Mail domain example.com (port 25)", "Service imaps of example.com (SRV
/// _imaps._tcp.example.com)", "Host imap.example.com (port 993)".
std::string heading(const domains::DomainState& state, std::uint16_t port) {
  const config::Domain& entry = state.domain;
  switch (entry.kind) {
    case config::DomainKind::service:
      return "Service " + entry.service + " of " + entry.name + " (SRV " +
             dns::srv_name(entry.service, entry.name) + ")";
    case config::DomainKind::host:
      return "Host " + entry.name + " (port " + std::to_string(port) + ")";
    case config::DomainKind::mx:
      break;
  }
  return "Mail domain " + entry.name + " (port " + std::to_string(port) + ")";
}

}  // namespace

DomainText domain_text(const domains::DomainProbe& probe, std::uint16_t port, SystemTime now,
                       const Paint& paint) {
  const domains::DomainState& state = *probe.state;
  const dns::MailPath* path = state.path.get();
  DomainText text;
  std::string& out = text.head;
  out = heading(state, port) + ", resolved in " + fixed(state.resolve_seconds * 1000, 1) + " ms\n";
  if (!path) {
    out += "Result: " + paint("FAILURE", "1;31") + ": not resolved yet\n";
    return text;
  }
  const policy::DomainVerdict verdict = domain_verdict(probe);
  out += "Result: " + (verdict.success ? paint("SUCCESS", "1;32") : paint("FAILURE", "1;31")) +
         " (" + std::to_string(probe.addresses.size() - verdict.failing) + " of " +
         std::to_string(probe.addresses.size()) + " addresses pass)\n";
  out += "Failures: " + failure_names(verdict.failures) + "\n";
  out += std::string("DNSSEC: ") +
         (path->secure ? paint("secure", "32") : paint("not secure", "33")) + "\n";
  if (path->null_mx) out += "Null MX (RFC 7505): the domain accepts no mail\n";
  if (path->implicit_mx) out += "No MX records: the domain itself is the MX host\n";
  for (const auto& host : path->hosts) out += host_line(host, path->kind);
  if (path->signature_expiry) {
    out += "Signatures expire: " + rfc3339(*path->signature_expiry) + "\n";
  }
  if (!path->hosts.empty()) {
    out += "DANE:\n";
    for (const auto& host : path->hosts) out += dane_section(probe, host, port);
  }
  if (path->resolved && !path->null_mx) {
    out += mta_sts_section(*path, state.mta_sts.get());
    out += tlsrpt_section(*path);
  }
  out += "Decided by:\n";
  for (const auto& address : probe.addresses) {
    out += "  " + address_line(address, state.mta_sts.get(), paint) + "\n";
  }
  for (const auto& address : probe.addresses) {
    text.addresses.push_back(
        {address_line(address, state.mta_sts.get(), paint),
         address.target.info.endpoint + " (" + address.target.info.labels.at("mx") + ")",
         address.result
             ? address_text({state.domain.module, address.target.timeout, address.target.spec},
                            *address.result, now, paint)
             : "Not probed yet.\n"});
  }
  return text;
}

std::string domain_text_report(const domains::DomainProbe& probe, std::uint16_t port,
                               SystemTime now, bool colour) {
  const DomainText text =
      domain_text(probe, port, now, Paint{colour ? Colour::ansi : Colour::none});
  std::string out = text.head;
  for (const auto& address : text.addresses) out += "\n=== " + address.name + "\n" + address.body;
  return out;
}

policy::DomainVerdict domain_verdict(const domains::DomainProbe& probe) {
  std::vector<const ProbeResult*> latest;
  for (const auto& address : probe.addresses) latest.push_back(address.result.get());
  return policy::judge_domain(probe.state->path.get(), latest);
}

}  // namespace starttls_exporter::report
