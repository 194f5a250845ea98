// json_report: one address's report as JSON (nlohmann-json). Keys are the interface (README,
// "The probe command"); add keys, never rename or remove them.
#include "address_json.hpp"

#include <cmath>

#include "format.hpp"
#include "starttls_exporter/core/net.hpp"

namespace starttls_exporter::report {
namespace {

using Json = nlohmann::ordered_json;

Json number(double value) {
  return std::isfinite(value) ? Json(value) : Json(nullptr);
}

Json optional_bool(const std::optional<bool>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json optional_time(const std::optional<SystemTime>& t) {
  return t ? Json(rfc3339(*t)) : Json(nullptr);
}

Json failure_json(const std::optional<Failure>& failure) {
  if (!failure) return nullptr;
  return {{"phase", to_string(failure->phase)},
          {"reason", to_string(failure->reason)},
          {"smtp_code", failure->smtp_code != 0 ? Json(failure->smtp_code) : Json(nullptr)},
          {"detail", failure->detail}};
}

Json certificate_json(const CertificateFacts& cert, SystemTime now) {
  return {{"subject", cert.subject},
          {"issuer", cert.issuer},
          {"dns_names", cert.dns_names},
          {"serial", cert.serial_hex},
          {"sha256", cert.sha256_hex},
          {"not_before", rfc3339(cert.not_before)},
          {"not_after", rfc3339(cert.not_after)},
          {"days_left", number(days_between(now, cert.not_after))},
          {"public_key_algorithm", cert.public_key_algorithm},
          {"public_key_bits", cert.public_key_bits},
          {"signature_algorithm", cert.signature_algorithm}};
}

Json ocsp_json(const std::optional<OcspStaple>& ocsp) {
  if (!ocsp) return nullptr;
  return {{"status", ocsp_status_name(*ocsp)},
          {"this_update", optional_time(ocsp->this_update)},
          {"next_update", optional_time(ocsp->next_update)},
          {"revocation_time", optional_time(ocsp->revocation_time)}};
}

Json tls_json(const std::optional<TlsFacts>& tls, SystemTime now) {
  if (!tls) return nullptr;
  Json chain = Json::array();
  for (const auto& c : tls->chain) chain.push_back(certificate_json(c, now));
  return {{"version", tls->version},   {"cipher", tls->cipher},
          {"group", tls->group},       {"chain_complete", tls->chain_complete},
          {"chain", std::move(chain)}, {"ocsp", ocsp_json(tls->ocsp)}};
}

Json verification_json(const std::optional<VerifyVerdict>& verdict) {
  if (!verdict) return nullptr;
  Json reasons = Json::array();
  for (const auto r : verdict->reasons) reasons.push_back(to_string(r));
  return {{"verified", verdict->verified}, {"reasons", std::move(reasons)}};
}

Json legacy_json(const std::optional<LegacyProbe>& legacy) {
  if (!legacy) return nullptr;
  return {{"accepted", optional_bool(legacy->accepted)},
          {"version", legacy->version},
          {"duration_seconds", number(legacy->duration_seconds)}};
}

Json phases_json(const std::vector<PhaseDuration>& phases) {
  Json out = Json::array();
  for (const auto& p : phases) {
    out.push_back({{"phase", to_string(p.phase)}, {"seconds", number(p.seconds)}});
  }
  return out;
}

/// What the certificate file on disk holds beside the served leaf (README "Renewals").
Json certificate_file_json(const std::optional<CertificateFileCheck>& file, SystemTime now) {
  if (!file) return nullptr;
  return {{"path", file->path},
          {"status", file->status ? Json(to_string(*file->status)) : Json(nullptr)},
          {"detail", file->detail},
          {"leaf", file->leaf ? certificate_json(*file->leaf, now) : Json(nullptr)},
          {"served_matches", optional_bool(file->served_matches)},
          {"dane_match", optional_bool(file->dane_match)},
          {"leaf_record", file->leaf_record}};
}

}  // namespace

nlohmann::ordered_json address_json(const ProbeRequest& request, const ProbeResult& result,
                                    SystemTime now) {
  const prober::ProbeSpec& spec = request.spec;
  return {{"target", net::format_endpoint(spec.address, spec.port)},
          {"address", spec.address},
          {"port", spec.port},
          {"module", request.module},
          {"protocol", config::protocol_name(spec.protocol)},
          {"tls_mode", tls_mode_name(spec.tls_mode)},
          {"server_name", spec.server_name},
          {"timeout_seconds", number(std::chrono::duration<double>(request.timeout).count())},
          {"started", rfc3339(result.started)},
          {"success", result.success},
          {"duration_seconds", number(result.duration_seconds)},
          {"failure", failure_json(result.failure)},
          {"starttls_advertised", optional_bool(result.starttls_advertised)},
          {"plaintext_auth_offered", optional_bool(result.plaintext_auth_offered)},
          {"phases", phases_json(result.phases)},
          {"transcript", result.transcript},
          {"tls", tls_json(result.tls, now)},
          {"verification", verification_json(result.verify)},
          {"legacy", legacy_json(result.legacy)},
          {"certificate_file", certificate_file_json(result.certificate_file, now)}};
}

std::string dump(const nlohmann::ordered_json& json) {
  // Replacement, not an exception, for bytes a server sent that are not UTF-8: the transcript
  // and certificate names are the server's.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string json_report(const ProbeRequest& request, const ProbeResult& result, SystemTime now) {
  return dump(address_json(request, result, now));
}

}  // namespace starttls_exporter::report
