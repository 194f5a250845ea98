// json_report: the probe command's --output json. Keys are the interface (README, "The probe
// command"); add keys, never rename or remove them.
#include <charconv>
#include <cmath>

#include "probe_report.hpp"
#include "report_format.hpp"
#include "starttls_exporter/net.hpp"
#include "starttls_exporter/text.hpp"

namespace starttls_exporter::app {
namespace {

/// A JSON object written key by key; values are appended raw (already JSON).
class Object {
 public:
  Object& raw(std::string_view key, const std::string& json) {
    out_ += out_.size() == 1 ? "" : ",";
    text::append_json_string(out_, key);
    out_ += ':';
    out_ += json;
    return *this;
  }
  Object& str(std::string_view key, std::string_view value) { return raw(key, string(value)); }
  Object& num(std::string_view key, double value) { return raw(key, number(value)); }
  Object& boolean(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }
  std::string done() { return out_ + "}"; }

  static std::string string(std::string_view value) {
    std::string out;
    text::append_json_string(out, value);
    return out;
  }
  static std::string number(double value) {
    if (!std::isfinite(value)) return "null";
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return ec == std::errc{} ? std::string(buf, end) : "null";
  }

 private:
  std::string out_ = "{";
};

template <class T, class F>
std::string array(const std::vector<T>& items, F each) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += each(item);
  }
  return out + "]";
}

std::string optional_bool(const std::optional<bool>& value) {
  return value ? (*value ? "true" : "false") : "null";
}

std::string failure_json(const std::optional<Failure>& failure) {
  if (!failure) return "null";
  return Object()
      .str("phase", to_string(failure->phase))
      .str("reason", to_string(failure->reason))
      .raw("smtp_code", failure->smtp_code != 0 ? std::to_string(failure->smtp_code) : "null")
      .str("detail", failure->detail)
      .done();
}

std::string certificate_json(const CertificateFacts& cert, SystemTime now) {
  return Object()
      .str("subject", cert.subject)
      .str("issuer", cert.issuer)
      .raw("dns_names", array(cert.dns_names, Object::string))
      .str("serial", cert.serial_hex)
      .str("sha256", cert.sha256_hex)
      .str("not_before", rfc3339(cert.not_before))
      .str("not_after", rfc3339(cert.not_after))
      .num("days_left", days_between(now, cert.not_after))
      .str("public_key_algorithm", cert.public_key_algorithm)
      .num("public_key_bits", cert.public_key_bits)
      .str("signature_algorithm", cert.signature_algorithm)
      .done();
}

std::string optional_time(const std::optional<SystemTime>& t) {
  return t ? Object::string(rfc3339(*t)) : "null";
}

std::string ocsp_json(const std::optional<OcspStaple>& ocsp) {
  if (!ocsp) return "null";
  return Object()
      .str("status", ocsp_status_name(*ocsp))
      .raw("this_update", optional_time(ocsp->this_update))
      .raw("next_update", optional_time(ocsp->next_update))
      .raw("revocation_time", optional_time(ocsp->revocation_time))
      .done();
}

std::string tls_json(const std::optional<TlsFacts>& tls, SystemTime now) {
  if (!tls) return "null";
  return Object()
      .str("version", tls->version)
      .str("cipher", tls->cipher)
      .str("group", tls->group)
      .boolean("chain_complete", tls->chain_complete)
      .raw("chain", array(tls->chain.certificates(),
                          [now](const auto& c) { return certificate_json(c, now); }))
      .raw("ocsp", ocsp_json(tls->ocsp))
      .done();
}

std::string verification_json(const std::optional<VerifyVerdict>& verdict) {
  if (!verdict) return "null";
  return Object()
      .boolean("verified", verdict->verified)
      .raw("reasons",
           array(verdict->reasons, [](FailureReason r) { return Object::string(to_string(r)); }))
      .done();
}

std::string legacy_json(const std::optional<LegacyProbe>& legacy) {
  if (!legacy) return "null";
  return Object()
      .raw("accepted", optional_bool(legacy->accepted))
      .str("version", legacy->version)
      .num("duration_seconds", legacy->duration_seconds)
      .done();
}

std::string phase_json(const PhaseDuration& phase) {
  return Object().str("phase", to_string(phase.phase)).num("seconds", phase.seconds).done();
}

}  // namespace

std::string json_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now) {
  const prober::ProbeSpec& spec = request.spec;
  return Object()
             .str("target", net::format_endpoint(spec.address, spec.port))
             .str("address", spec.address)
             .num("port", spec.port)
             .str("module", request.module)
             .str("protocol", config::protocol_name(spec.protocol))
             .str("tls_mode", tls_mode_name(spec.tls_mode))
             .str("server_name", spec.server_name)
             .num("timeout_seconds", std::chrono::duration<double>(request.timeout).count())
             .str("started", rfc3339(result.started))
             .boolean("success", result.success)
             .num("duration_seconds", result.duration_seconds)
             .raw("failure", failure_json(result.failure))
             .raw("starttls_advertised", optional_bool(result.starttls_advertised))
             .raw("plaintext_auth_offered", optional_bool(result.plaintext_auth_offered))
             .raw("phases", array(result.phases, phase_json))
             .raw("transcript", array(result.transcript, Object::string))
             .raw("tls", tls_json(result.tls, now))
             .raw("verification", verification_json(result.verify))
             .raw("legacy", legacy_json(result.legacy))
             .done() +
         "\n";
}

namespace {

std::string host_json(const dns::MxHost& host) {
  return Object()
      .str("host", host.name)
      .num("preference", host.preference)
      .str("canonical_name", host.canonical_name)
      .raw("addresses", array(host.addresses, Object::string))
      .raw("reserved",
           array(host.reserved,
                 [](const dns::ReservedAddress& r) {
                   return Object().str("address", r.address).str("range", r.range).done();
                 }))
      .boolean("dnssec_secure", host.secure)
      .done();
}

}  // namespace

std::string domain_json_report(const runtime::DomainProbe& probe,
                               const std::vector<ProbeRequest>& requests, std::uint16_t port,
                               SystemTime now) {
  const store::DomainState& state = *probe.state;
  const dns::MailPath empty;
  const dns::MailPath& path = state.path ? *state.path : empty;
  std::vector<std::string> failures;
  for (const auto failure : path.failures) failures.emplace_back(dns::to_string(failure));
  bool success = path.resolved && path.failures.empty() && !probe.results.empty();
  std::string addresses = "[";
  for (std::size_t i = 0; i < probe.results.size() && i < requests.size(); ++i) {
    success = success && probe.results[i].second.success;
    std::string report = json_report(requests[i], probe.results[i].second, now);
    report.pop_back();  // the newline
    addresses += (i == 0 ? "" : ",") + report;
  }
  addresses += "]";
  return Object()
             .str("domain", state.domain.name)
             .str("module", state.domain.module)
             .num("port", port)
             .boolean("success", success)
             .boolean("resolved", path.resolved)
             .boolean("dnssec_secure", path.secure)
             .boolean("implicit_mx", path.implicit_mx)
             .boolean("null_mx", path.null_mx)
             .raw("failures", array(failures, Object::string))
             .raw("signature_expiry", optional_time(path.signature_expiry))
             .num("resolve_seconds", state.resolve_seconds)
             .raw("mx", array(path.hosts, host_json))
             .raw("addresses", addresses)
             .done() +
         "\n";
}

}  // namespace starttls_exporter::app
