#include "starttls_exporter/report/report.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "format.hpp"
#include "starttls_exporter/core/net.hpp"

namespace starttls_exporter::report {
namespace {

std::string reason_names(const VerifyVerdict& verdict) {
  std::vector<std::string> names;
  for (const FailureReason reason : verdict.reasons) names.emplace_back(to_string(reason));
  return join(names, ", ");
}

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

/// The certificate file beside the served leaf, and by DANE before the daemon serves it.
std::string certificate_file_section(const CertificateFileCheck& file, SystemTime now,
                                     const Paint& paint) {
  std::string out = "\nCertificate file: " + file.path + "\n";
  if (!file.status) {
    out += "  not compared: no certificate was served\n";
  } else if (*file.status == CertificateFileStatus::current) {
    out += "  " + paint("current", "32") + ": the server serves the file's certificate\n";
  } else {
    out += "  " + paint(std::string(to_string(*file.status)), "33") +
           (*file.status == CertificateFileStatus::renewed_not_served
                ? ": the file holds a newer certificate than the one served; reload the daemon\n"
                : ": the file's certificate is not the one served\n");
  }
  if (!file.detail.empty()) out += "  problem: " + file.detail + "\n";
  if (file.leaf) out += certificate_line(0, *file.leaf, now);
  if (file.dane_match) {
    out += *file.dane_match
               ? "  DANE: the published TLSA records match it\n"
               : "  DANE: " + paint("no usable TLSA record matches it", "31") +
                     ": once served, DANE senders defer; publish " + file.leaf_record + " first\n";
  }
  return out;
}

}  // namespace

std::string text_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now,
                        bool colour) {
  return address_text(request, result, now, Paint{colour ? Colour::ansi : Colour::none});
}

std::string address_text(const ProbeRequest& request, const ProbeResult& result, SystemTime now,
                         const Paint& paint) {
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
  if (!spec.record_transcript) out += "  (not recorded: scheduled probes keep none)\n";
  if (result.tls) out += tls_section(*result.tls, now);
  if (result.verify) out += verdict_line(*result.verify, paint);
  if (result.legacy) out += legacy_line(*result.legacy);
  if (result.certificate_file)
    out += certificate_file_section(*result.certificate_file, now, paint);
  return out;
}

}  // namespace starttls_exporter::report
