#include "probe_report.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "report_format.hpp"
#include "starttls_exporter/net.hpp"

namespace starttls_exporter::app {
namespace {

std::string fixed(double value, int decimals) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*f", decimals, value);
  return buf.data();
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string reason_names(const VerifyVerdict& verdict) {
  std::vector<std::string> names;
  for (const FailureReason reason : verdict.reasons) names.emplace_back(to_string(reason));
  return join(names, ", ");
}

/// Colours only where the caller asked for them (a terminal).
struct Paint {
  bool on;
  std::string operator()(const std::string& text, const char* code) const {
    return on ? std::string("\x1b[") + code + "m" + text + "\x1b[0m" : text;
  }
};

std::string outcome_line(const ProbeResult& result, const Paint& paint) {
  if (result.success) return "Result: " + paint("SUCCESS", "1;32") + "\n";
  std::string line = "Result: " + paint("FAILURE", "1;31");
  if (const auto& f = result.failure) {
    line +=
        " in phase " + std::string(to_string(f->phase)) + ": " + std::string(to_string(f->reason));
    if (f->smtp_code != 0) line += " (SMTP " + std::to_string(f->smtp_code) + ")";
    if (!f->detail.empty()) line += ": " + f->detail;
  }
  return line + "\n";
}

std::string phases_section(const ProbeResult& result) {
  std::string out = "\nPhases:\n";
  for (const auto& phase : result.phases) {
    std::string name(to_string(phase.phase));
    name.resize(std::max<std::size_t>(name.size(), 14), ' ');
    out += "  " + name + fixed(phase.seconds * 1000, 1) + " ms\n";
  }
  out += "  total         " + fixed(result.duration_seconds * 1000, 1) + " ms\n";
  return out;
}

std::string certificate_line(std::size_t index, const CertificateFacts& cert, SystemTime now) {
  std::string line = "  [" + std::to_string(index) + "] subject: " + cert.subject + "\n";
  line += "      issuer: " + cert.issuer + "\n";
  if (!cert.dns_names.empty()) line += "      SANs: " + join(cert.dns_names, ", ") + "\n";
  line += "      not after: " + rfc3339(cert.not_after) + " (" +
          fixed(days_between(now, cert.not_after), 1) + " days left)\n";
  return line;
}

std::string tls_section(const TlsFacts& tls, SystemTime now) {
  std::string out = "\nTLS: " + tls.version + ", " + tls.cipher;
  if (!tls.group.empty()) out += ", group " + tls.group;
  out += "\n";
  if (!tls.chain.empty()) {
    const CertificateFacts& leaf = tls.chain.front();
    out += "Key: " + leaf.public_key_algorithm + " " + std::to_string(leaf.public_key_bits) +
           " bits, signed with " + leaf.signature_algorithm + "\n";
  }
  out += "Chain as sent (" + std::to_string(tls.chain.size()) + " certificates, " +
         (tls.chain_complete ? "complete" : "incomplete or out of order") + "):\n";
  for (std::size_t i = 0; i < tls.chain.size(); ++i) out += certificate_line(i, tls.chain[i], now);
  if (!tls.ocsp) {
    out += "OCSP: not stapled\n";
  } else {
    out += "OCSP: stapled, " + ocsp_status_name(*tls.ocsp);
    if (tls.ocsp->next_update) out += ", next update " + rfc3339(*tls.ocsp->next_update);
    out += "\n";
  }
  return out;
}

std::string verdict_line(const VerifyVerdict& verdict, const Paint& paint) {
  if (verdict.verified) return "Verification: " + paint("verified", "32") + "\n";
  return "Verification: " + paint("failed", "31") + ": " + reason_names(verdict) + "\n";
}

std::string legacy_line(const LegacyProbe& legacy) {
  std::string out = "Legacy TLS 1.0/1.1: ";
  if (!legacy.accepted) return out + "not answered\n";
  return out + (*legacy.accepted ? "accepted (" + legacy.version + ")" : "refused") + "\n";
}

}  // namespace

std::string text_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now,
                        bool colour) {
  const Paint paint{colour};
  const prober::ProbeSpec& spec = request.spec;
  std::string out = "Probe of " + net::format_endpoint(spec.address, spec.port) + " (" +
                    std::string(config::protocol_name(spec.protocol)) + ", " +
                    tls_mode_name(spec.tls_mode) + "), server name " +
                    (spec.server_name.empty() ? "none" : spec.server_name) + ", timeout " +
                    format_duration(request.timeout) + "\n";
  out += outcome_line(result, paint);
  out += phases_section(result);
  out += "\nDialogue:\n";
  for (const auto& line : result.transcript) out += "  " + line + "\n";
  if (result.tls) out += tls_section(*result.tls, now);
  if (result.verify) out += verdict_line(*result.verify, paint);
  if (result.legacy) out += legacy_line(*result.legacy);
  return out;
}

namespace {

std::string host_line(const dns::MxHost& host) {
  std::string line = "  MX " + std::to_string(host.preference) + " " + host.name;
  if (host.canonical_name != host.name) line += " (CNAME to " + host.canonical_name + ")";
  line += ": " + (host.addresses.empty() ? std::string("no address") : join(host.addresses, ", "));
  for (const auto& reserved : host.reserved) {
    line += "; " + reserved.address + " (" + reserved.range + ", not probed)";
  }
  return line + "\n";
}

std::string failure_names(const dns::MailPath& path) {
  std::vector<std::string> names;
  for (const auto failure : path.failures) names.emplace_back(dns::to_string(failure));
  return names.empty() ? "none" : join(names, ", ");
}

}  // namespace

std::string domain_text_report(const runtime::DomainProbe& probe,
                               const std::vector<ProbeRequest>& requests, std::uint16_t port,
                               SystemTime now, bool colour) {
  const Paint paint{colour};
  const store::DomainState& state = *probe.state;
  const dns::MailPath* path = state.path.get();
  std::string out = "Mail domain " + state.domain.name + " (port " + std::to_string(port) +
                    "), resolved in " + fixed(state.resolve_seconds * 1000, 1) + " ms\n";
  if (!path) return out + "Result: " + paint("FAILURE", "1;31") + ": no resolver\n";
  out += std::string("DNSSEC: ") +
         (path->secure ? paint("secure", "32") : paint("not secure", "33")) + "\n";
  if (path->null_mx) out += "Null MX (RFC 7505): the domain accepts no mail\n";
  if (path->implicit_mx) out += "No MX records: the domain itself is the MX host\n";
  for (const auto& host : path->hosts) out += host_line(host);
  out += "Failures: " + failure_names(*path) + "\n";
  if (path->signature_expiry)
    out += "Signatures expire: " + rfc3339(*path->signature_expiry) + "\n";
  for (std::size_t i = 0; i < probe.results.size() && i < requests.size(); ++i) {
    out += "\n=== " + probe.results[i].first.endpoint + " (" +
           probe.results[i].first.labels.at("mx") + ")\n";
    out += text_report(requests[i], probe.results[i].second, now, colour);
  }
  return out;
}

}  // namespace starttls_exporter::app
