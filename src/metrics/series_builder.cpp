// Series of one target: each family's samples from the target's latest and last-handshake
// results.
#include "series_builder.hpp"

#include <algorithm>
#include <bitset>
#include <chrono>
#include <cmath>
#include <string>

namespace starttls_exporter::metrics {
namespace {

// When a probe started, to the millisecond: finer digits are scheduling noise, and on a page of
// 10,000 targets each series' three extra digits cost 30 KB.
double probe_start_seconds(SystemTime started) {
  return unix_seconds(std::chrono::floor<std::chrono::milliseconds>(started));
}

// Days to 1e-5 (under a second), for the same reason: a value that moves with each scrape needs
// no sixteen digits.
double rounded_days(std::chrono::duration<double> left) {
  return std::round(left.count() / 86400.0 * 1e5) / 1e5;
}

// Probe and phase durations to the microsecond: a network round trip has no meaningful
// nanoseconds, and the three digits cost 30 KB on a page of 10,000 targets.
double rounded_seconds(double seconds) {
  return std::round(seconds * 1e6) / 1e6;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

void append_legacy(SeriesSink& sink, const LegacyProbe& legacy) {
  if (legacy.accepted) sink.add(Fam::tls_legacy_version_accepted, *legacy.accepted ? 1 : 0, {});
  if (legacy.duration_seconds > 0) {
    sink.add(Fam::tls_legacy_probe_duration, rounded_seconds(legacy.duration_seconds), {});
  }
}

void append_key_types(SeriesSink& sink, const std::vector<KeyTypeHandshake>& key_types) {
  if (!sink.wants(Fam::tls_key_type_handshake_success, Fam::dane_key_type_leaf_tlsa_info)) return;
  for (const auto& handshake : key_types) {
    const std::string_view key_type = to_string(handshake.key_type);
    sink.add(Fam::tls_key_type_handshake_success, handshake.completed ? 1 : 0,
             {{"key_type", key_type}});
    if (!handshake.dane) continue;
    if (handshake.dane->applies) {
      sink.add(Fam::dane_key_type_match, handshake.dane->matched ? 1 : 0, {{"key_type", key_type}});
    }
    if (!handshake.dane->leaf_record.empty()) {
      sink.add(Fam::dane_key_type_leaf_tlsa_info, 1,
               {{"key_type", key_type}, {"record", handshake.dane->leaf_record}});
    }
  }
}

void append_certificate_file(SeriesSink& sink, const CertificateFileCheck& file) {
  if (!sink.wants(Fam::ssl_file_cert_not_after, Fam::dane_file_leaf_tlsa_info)) return;
  if (file.leaf) sink.add(Fam::ssl_file_cert_not_after, unix_seconds(file.leaf->not_after), {});
  if (file.served_matches) sink.add(Fam::ssl_served_matches_file, *file.served_matches ? 1 : 0, {});
  if (file.status) {
    sink.add(Fam::ssl_certificate_file_info, 1,
             {{"status", to_string(*file.status)}, {"file", file.path}});
  }
  if (!file.dane_match) return;
  sink.add(Fam::dane_file_cert_match, *file.dane_match ? 1 : 0, {});
  if (!file.leaf_record.empty()) {
    sink.add(Fam::dane_file_leaf_tlsa_info, 1, {{"record", file.leaf_record}});
  }
}

void append_phases(SeriesSink& sink, const ProbeResult& r) {
  if (!sink.wants(Fam::phase_duration, Fam::phase_duration)) return;
  std::bitset<32> seen;  // a phase listed twice would make duplicate series
  for (const auto& p : r.phases) {
    const auto bit = static_cast<std::size_t>(p.phase);
    if (bit >= seen.size() || seen.test(bit)) continue;
    seen.set(bit);
    sink.add(Fam::phase_duration, rounded_seconds(p.seconds), {{"phase", to_string(p.phase)}});
  }
}

void append_latest(SeriesSink& sink, const ProbeResult& r, const TargetView& view) {
  sink.add(Fam::success, r.success ? 1 : 0, {});
  sink.add(Fam::duration, rounded_seconds(r.duration_seconds), {});
  if (view.series.phase_durations) append_phases(sink, r);
  if (r.failure) {
    sink.add(Fam::failure_info, 1,
             {{"phase", to_string(r.failure->phase)}, {"reason", to_string(r.failure->reason)}});
    if (r.failure->smtp_code != 0) sink.add(Fam::failure_smtp_code, r.failure->smtp_code, {});
  }
  if (r.starttls_advertised) {
    sink.add(Fam::starttls_advertised, *r.starttls_advertised ? 1 : 0, {});
  }
  if (r.plaintext_auth_offered) {
    sink.add(Fam::plaintext_auth_offered, *r.plaintext_auth_offered ? 1 : 0, {});
  }
  if (r.legacy) append_legacy(sink, *r.legacy);
  if (!r.key_types.empty()) append_key_types(sink, r.key_types);
  if (r.certificate_file) append_certificate_file(sink, *r.certificate_file);
  if (view.with_history && sink.wants(Fam::last_run_timestamp, Fam::last_run_timestamp)) {
    sink.add(Fam::last_run_timestamp, probe_start_seconds(r.started), {});
  }
}

void append_chain(SeriesSink& sink, const TlsFacts& tls, bool verified, bool chain_group,
                  SystemTime now) {
  const auto earliest =
      std::min_element(tls.chain.begin(), tls.chain.end(), [](const auto& a, const auto& b) {
        return a.not_after < b.not_after;
      })->not_after;
  sink.add(Fam::ssl_earliest_cert_expiry, unix_seconds(earliest), {});
  // We verify the chain as sent, so the verified chain's expiry is the same minimum: a copy of
  // the series above under blackbox_exporter's other name, kept for the dashboards that read it
  // and off by default with the chain_certificates group (95 bytes per target).
  if (verified && chain_group) sink.add(Fam::ssl_last_chain_expiry, unix_seconds(earliest), {});
  const auto& leaf = tls.chain.front();
  const std::string sans = join_names(leaf.dns_names);
  sink.add(Fam::ssl_last_chain_info, 1,
           {{"fingerprint_sha256", leaf.sha256_hex},
            {"subject", leaf.subject},
            {"issuer", leaf.issuer},
            {"subjectalternative", sans},
            {"serialnumber", leaf.serial_hex}});
  sink.add(Fam::ssl_cert_not_after, unix_seconds(leaf.not_after), {});
  sink.add(Fam::ssl_cert_expiry_days, rounded_days(leaf.not_after - now), {});
}

std::string_view ocsp_status_name(OcspStaple::Status status) {
  switch (status) {
    case OcspStaple::Status::good:
      return "good";
    case OcspStaple::Status::revoked:
      return "revoked";
    case OcspStaple::Status::unknown:
      break;
  }
  return "unknown";
}

// metrics.chain_certificates: one series per certificate sent, by position.
void append_chain_certificates(SeriesSink& sink, const TlsFacts& tls) {
  for (std::size_t i = 0; i < tls.chain.size(); ++i) {
    const auto& cert = tls.chain[i];
    const std::string position = std::to_string(i);
    sink.add(Fam::ssl_chain_cert_info, 1,
             {{"position", position},
              {"subject", cert.subject},
              {"issuer", cert.issuer},
              {"serialnumber", cert.serial_hex},
              {"fingerprint_sha256", cert.sha256_hex}});
    sink.add(Fam::ssl_chain_cert_not_after, unix_seconds(cert.not_after), {{"position", position}});
  }
}

// metrics.tls_details, certificate part: the leaf's algorithms and chain completeness.
void append_leaf_details(SeriesSink& sink, const TlsFacts& tls) {
  const auto& leaf = tls.chain.front();
  if (leaf.public_key_bits > 0) {
    sink.add(Fam::ssl_leaf_public_key_size, leaf.public_key_bits,
             {{"algorithm", leaf.public_key_algorithm}});
  }
  if (!leaf.signature_algorithm.empty()) {
    sink.add(Fam::ssl_leaf_signature_algorithm_info, 1, {{"algorithm", leaf.signature_algorithm}});
  }
  sink.add(Fam::ssl_chain_complete, tls.chain_complete ? 1 : 0, {});
}

void append_ocsp(SeriesSink& sink, const std::optional<OcspStaple>& ocsp) {
  sink.add(Fam::ssl_ocsp_stapled, ocsp ? 1 : 0, {});
  if (!ocsp) return;
  if (ocsp->status)
    sink.add(Fam::ssl_ocsp_status_info, 1, {{"status", ocsp_status_name(*ocsp->status)}});
  if (ocsp->next_update) sink.add(Fam::ssl_ocsp_next_update, unix_seconds(*ocsp->next_update), {});
}

void append_policies(SeriesSink& sink, const AppliedPolicies& applied) {
  if (applied.dane) sink.add(Fam::verification_policy_info, 1, {{"policy", "dane"}});
  if (applied.mta_sts) sink.add(Fam::verification_policy_info, 1, {{"policy", "mta_sts"}});
  if (applied.pkix) sink.add(Fam::verification_policy_info, 1, {{"policy", "pkix"}});
}

void append_dane(SeriesSink& sink, const dane::DaneCheck& dane) {
  sink.add(Fam::dane_tlsa_records, static_cast<double>(dane.usable_records), {});
  sink.add(Fam::dane_dnssec_secure, dane.tlsa_secure ? 1 : 0, {});
  if (!dane.leaf_record.empty())
    sink.add(Fam::dane_leaf_tlsa_info, 1, {{"record", dane.leaf_record}});
  if (dane.tlsa_signature_expiry) {
    sink.add(Fam::dane_tlsa_signature_expiry, unix_seconds(*dane.tlsa_signature_expiry), {});
  }
  if (!dane.applies) return;
  sink.add(Fam::dane_match, dane.matched ? 1 : 0, {});
  for (const auto& record : dane.matched_records) {
    const std::string usage = std::to_string(record.usage);
    const std::string selector = std::to_string(record.selector);
    const std::string matching = std::to_string(record.matching_type);
    sink.add(Fam::dane_matched_record_info, 1,
             {{"usage", usage}, {"selector", selector}, {"matching_type", matching}});
  }
  if (dane.failure) sink.add(Fam::dane_failure_info, 1, {{"reason", to_string(*dane.failure)}});
  sink.add(Fam::dane_rollover_ready, dane.rollover_ready ? 1 : 0, {});
  sink.add(Fam::dane_tlsa_records_unmatched, static_cast<double>(dane.unmatched_records), {});
}

void append_handshake(SeriesSink& sink, const TargetView& view, SystemTime now) {
  const TlsFacts& tls = *view.tls;
  const VerifyVerdict& verify = *view.verify;
  sink.add(Fam::tls_version_info, 1, {{"version", tls.version}});
  sink.add(Fam::tls_cipher_info, 1, {{"cipher", tls.cipher}});
  const config::MetricsSettings& series = view.series;
  if (series.tls_details && !tls.group.empty()) {
    sink.add(Fam::tls_group_info, 1, {{"group", tls.group}});
  }
  // Each group is computed only when the sink takes one of its families.
  if (!tls.chain.empty() && sink.wants(Fam::ssl_earliest_cert_expiry, Fam::ssl_cert_expiry_days)) {
    append_chain(sink, tls, verify.verified, series.chain_certificates, now);
  }
  if (series.tls_details && !tls.chain.empty() &&
      sink.wants(Fam::ssl_leaf_public_key_size, Fam::ssl_chain_complete)) {
    append_leaf_details(sink, tls);
  }
  if (series.chain_certificates && !tls.chain.empty() &&
      sink.wants(Fam::ssl_chain_cert_info, Fam::ssl_chain_cert_not_after)) {
    append_chain_certificates(sink, tls);
  }
  if (series.tls_details && sink.wants(Fam::ssl_ocsp_stapled, Fam::ssl_ocsp_next_update)) {
    append_ocsp(sink, tls.ocsp);
  }
  sink.add(Fam::ssl_cert_verified, verify.verified ? 1 : 0, {});
  std::bitset<64> seen;
  for (auto reason : verify.reasons) {
    const auto bit = static_cast<std::size_t>(reason);
    if (bit >= seen.size() || seen.test(bit)) continue;
    seen.set(bit);
    sink.add(Fam::ssl_cert_verify_error_info, 1, {{"reason", to_string(reason)}});
  }
  if (view.policies) append_policies(sink, *view.policies);
  if (view.dane && sink.wants(Fam::dane_tlsa_records, Fam::dane_tlsa_records_unmatched)) {
    append_dane(sink, *view.dane);
  }
}

}  // namespace

void append_target(SeriesSink& sink, const Labels& base, const TargetView& view, SystemTime now) {
  sink.begin_target(base);
  if (view.latest) append_latest(sink, *view.latest, view);
  if (!view.latest && view.with_history && sink.wants(Fam::pending, Fam::pending)) {
    sink.add(Fam::pending, 1, {});
  }
  if (view.with_history && view.last_success &&
      sink.wants(Fam::last_success_timestamp, Fam::last_success_timestamp)) {
    sink.add(Fam::last_success_timestamp, probe_start_seconds(*view.last_success), {});
  }
  if (view.tls && view.verify &&
      sink.wants(Fam::tls_version_info, Fam::ssl_last_handshake_timestamp)) {
    append_handshake(sink, view, now);
    if (view.with_history && view.handshake_at) {
      sink.add(Fam::ssl_last_handshake_timestamp, probe_start_seconds(*view.handshake_at), {});
    }
  }
}

}  // namespace starttls_exporter::metrics
