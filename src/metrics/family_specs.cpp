// The family table: every metric family the exporter emits, with its name, type and HELP.
#include "series_builder.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace starttls_exporter::metrics {
namespace {

using prometheus::MetricType;

/// Which probe a family's values come from; selects the HELP suffix.
enum class Kind { latest, handshake, history };

struct Spec {
  Fam fam;
  std::string_view name;  // a view, so that its length is known at compile time
  MetricType type;
  Kind kind;
  const char* help;
};

// Names are the public interface (blackbox_exporter's where the concept is the same).
constexpr std::array<Spec, static_cast<std::size_t>(Fam::count_)> kSpecs{{
    {Fam::success, "probe_success", MetricType::Gauge, Kind::latest,
     "1 when connect, STARTTLS, TLS handshake and certificate verification all passed, else 0."},
    {Fam::duration, "probe_duration_seconds", MetricType::Gauge, Kind::latest,
     "Duration of the whole probe in seconds."},
    {Fam::phase_duration, "probe_phase_duration_seconds", MetricType::Gauge, Kind::latest,
     "Duration of each probe phase in seconds, for the phases that ran: connect, banner, ehlo, "
     "lhlo, capability, starttls, tls_handshake, verify, quit, logout."},
    {Fam::failure_info, "probe_failure_info", MetricType::Gauge, Kind::latest,
     "1 for the phase and reason the probe failed with; absent when it succeeded."},
    {Fam::failure_smtp_code, "probe_failure_smtp_code", MetricType::Gauge, Kind::latest,
     "SMTP reply code with which the server rejected the probe (421, 454, 554, ...); absent "
     "otherwise."},
    {Fam::starttls_advertised, "probe_smtp_starttls_advertised", MetricType::Gauge, Kind::latest,
     "1 when the capabilities read before TLS listed the upgrade (EHLO/LHLO STARTTLS, IMAP "
     "and ManageSieve STARTTLS, POP3 STLS), else 0; absent when they were never read."},
    {Fam::plaintext_auth_offered, "probe_plaintext_auth_offered", MetricType::Gauge, Kind::latest,
     "1 when the server offered to take credentials before TLS (submission: EHLO lists AUTH; "
     "IMAP: no LOGINDISABLED, or AUTH=; POP3: USER or SASL; ManageSieve: SASL with mechanisms), "
     "else 0; absent for smtp and lmtp, with implicit TLS, and when the capabilities were never "
     "read."},
    {Fam::tls_version_info, "probe_tls_version_info", MetricType::Gauge, Kind::handshake,
     "TLS version negotiated."},
    {Fam::tls_cipher_info, "probe_tls_cipher_info", MetricType::Gauge, Kind::handshake,
     "TLS cipher suite negotiated (IANA name)."},
    {Fam::tls_group_info, "probe_tls_key_exchange_group_info", MetricType::Gauge, Kind::handshake,
     "TLS key exchange group negotiated; absent when none applies."},
    {Fam::ssl_earliest_cert_expiry, "probe_ssl_earliest_cert_expiry", MetricType::Gauge,
     Kind::handshake, "Earliest NotAfter over the certificates the server sent, in Unix seconds."},
    {Fam::ssl_last_chain_expiry, "probe_ssl_last_chain_expiry_timestamp_seconds", MetricType::Gauge,
     Kind::handshake,
     "Earliest NotAfter of the verified certificate chain, in Unix seconds; absent when "
     "verification failed."},
    {Fam::ssl_last_chain_info, "probe_ssl_last_chain_info", MetricType::Gauge, Kind::handshake,
     "Identity of the leaf certificate the server sent (value is always 1)."},
    {Fam::ssl_cert_not_after, "probe_ssl_cert_not_after_timestamp_seconds", MetricType::Gauge,
     Kind::handshake, "NotAfter of the leaf certificate, in Unix seconds."},
    {Fam::ssl_cert_expiry_days, "probe_ssl_cert_expiry_days", MetricType::Gauge, Kind::handshake,
     "Days until the leaf certificate expires, computed at scrape time; negative once expired."},
    {Fam::ssl_cert_verified, "probe_ssl_cert_verified", MetricType::Gauge, Kind::handshake,
     "1 when the certificate chain verified (trust, validity, host name), else 0."},
    {Fam::ssl_cert_verify_error_info, "probe_ssl_cert_verify_error_info", MetricType::Gauge,
     Kind::handshake, "1 for each reason the certificate chain failed verification."},
    {Fam::ssl_leaf_public_key_size, "probe_ssl_leaf_public_key_size", MetricType::Gauge,
     Kind::handshake,
     "Size of the leaf certificate's public key in bits, as key sizes are quoted (RSA modulus, "
     "EC curve); the algorithm label names the key type (RSA, ECDSA, Ed25519, ...)."},
    {Fam::ssl_leaf_signature_algorithm_info, "probe_ssl_leaf_signature_algorithm_info",
     MetricType::Gauge, Kind::handshake,
     "Algorithm the leaf certificate is signed with (ECDSA-SHA256, RSA-SHA256, ...)."},
    {Fam::ssl_chain_cert_info, "probe_ssl_chain_cert_info", MetricType::Gauge, Kind::handshake,
     "One series per certificate the server sent, in the order sent (position 0 is the leaf)."},
    {Fam::ssl_chain_cert_not_after, "probe_ssl_chain_cert_not_after_timestamp_seconds",
     MetricType::Gauge, Kind::handshake,
     "NotAfter of each certificate the server sent, by position, in Unix seconds."},
    {Fam::ssl_chain_complete, "probe_ssl_chain_complete", MetricType::Gauge, Kind::handshake,
     "1 when the certificates sent form a complete chain in order: each issued by the next, "
     "the last self-issued or issued by a trusted certificate; else 0."},
    {Fam::ssl_ocsp_stapled, "probe_ssl_ocsp_response_stapled", MetricType::Gauge, Kind::handshake,
     "1 when the server stapled an OCSP response to the handshake, else 0."},
    {Fam::ssl_ocsp_status_info, "probe_ssl_ocsp_response_status_info", MetricType::Gauge,
     Kind::handshake,
     "Status the stapled OCSP response gives the leaf (good, revoked, unknown); absent without "
     "a usable response."},
    {Fam::ssl_ocsp_next_update, "probe_ssl_ocsp_response_next_update_timestamp_seconds",
     MetricType::Gauge, Kind::handshake,
     "nextUpdate of the stapled OCSP response, in Unix seconds; absent when it has none."},
    {Fam::verification_policy_info, "probe_verification_policy_info", MetricType::Gauge,
     Kind::handshake,
     "1 for each verification rule that decided probe_success, as a sender applies them: dane "
     "(the MX host's usable TLSA records), mta_sts (an enforce policy), pkix (the trust "
     "store and the name)."},
    {Fam::dane_tlsa_records, "probe_dane_tlsa_records", MetricType::Gauge, Kind::handshake,
     "Usable TLSA records of the MX host (DANE-TA/DANE-EE, known selector and matching type, "
     "after digest agility); 0 when DANE does not apply. Domain mode only."},
    {Fam::dane_dnssec_secure, "probe_dane_dnssec_secure", MetricType::Gauge, Kind::handshake,
     "1 when the MX host's TLSA answer (records or their denial) validated secure, else 0. "
     "Domain mode only."},
    {Fam::dane_match, "probe_dane_match", MetricType::Gauge, Kind::handshake,
     "1 when a usable TLSA record authenticated the server (RFC 7672), else 0; absent when "
     "DANE does not apply."},
    {Fam::dane_matched_record_info, "probe_dane_matched_record_info", MetricType::Gauge,
     Kind::handshake, "1 for each kind of TLSA record that authenticated the server."},
    {Fam::dane_failure_info, "probe_dane_failure_info", MetricType::Gauge, Kind::handshake,
     "1 for the reason DANE failed; absent when it matched or does not apply."},
    {Fam::dane_rollover_ready, "probe_dane_rollover_ready", MetricType::Gauge, Kind::handshake,
     "1 when the published TLSA records would still match after a routine certificate change "
     "(a matching DANE-TA record, or a matching DANE-EE record plus a pre-published one); "
     "absent when DANE does not apply."},
    {Fam::dane_leaf_tlsa_info, "probe_dane_leaf_tlsa_info", MetricType::Gauge, Kind::handshake,
     "1; record is the DANE-EE TLSA record (3 1 1, SHA-256 of the key) that would match the "
     "leaf the server presented: what to publish for it. Domain mode, signed MX hosts only."},
    {Fam::dane_tlsa_signature_expiry, "probe_dane_tlsa_signature_expiry_timestamp_seconds",
     MetricType::Gauge, Kind::handshake,
     "Earliest RRSIG expiration of the MX host's TLSA RRset, in Unix seconds; absent without "
     "a signed TLSA RRset."},
    {Fam::dane_tlsa_records_unmatched, "probe_dane_tlsa_records_unmatched", MetricType::Gauge,
     Kind::handshake,
     "Usable TLSA records that match no certificate the server presented (a next key, or a "
     "stale record); absent when DANE does not apply."},
    {Fam::tls_legacy_version_accepted, "probe_tls_legacy_version_accepted", MetricType::Gauge,
     Kind::latest,
     "1 when the server completed a handshake offering only TLS 1.0/1.1 (tls.legacy_probe), 0 "
     "when it refused; absent when not probed or when the legacy connection ended before the "
     "server answered."},
    {Fam::tls_legacy_probe_duration, "probe_tls_legacy_probe_duration_seconds", MetricType::Gauge,
     Kind::latest,
     "Duration of the extra legacy-version connection in seconds (not part of "
     "probe_duration_seconds)."},
    {Fam::tls_key_type_handshake_success, "probe_tls_key_type_handshake_success", MetricType::Gauge,
     Kind::latest,
     "With tls.handshake_per_key_type: 1 when a handshake offering only key_type's signature "
     "algorithms completed (the server holds such a certificate), else 0."},
    {Fam::dane_key_type_match, "probe_dane_key_type_match", MetricType::Gauge, Kind::latest,
     "With tls.handshake_per_key_type: 1 when the certificate presented for key_type matched a "
     "usable TLSA record, else 0; absent when that handshake failed or DANE does not apply."},
    {Fam::dane_key_type_leaf_tlsa_info, "probe_dane_key_type_leaf_tlsa_info", MetricType::Gauge,
     Kind::latest,
     "With tls.handshake_per_key_type: 1; record is the DANE-EE TLSA record (3 1 1) that would "
     "match the leaf presented for key_type."},
    {Fam::ssl_file_cert_not_after, "probe_ssl_file_cert_not_after_timestamp_seconds",
     MetricType::Gauge, Kind::latest,
     "NotAfter of the leaf in the certificate_file (the PEM the daemon is meant to serve), in "
     "Unix seconds; absent when the file cannot be read."},
    {Fam::ssl_served_matches_file, "probe_ssl_served_matches_file", MetricType::Gauge, Kind::latest,
     "1 when the leaf the server served is the certificate_file's leaf, else 0; absent without "
     "a handshake or a readable file."},
    {Fam::ssl_certificate_file_info, "probe_ssl_certificate_file_info", MetricType::Gauge,
     Kind::latest,
     "1 for how the certificate_file compares with the served leaf: current, "
     "renewed_not_served (the file's leaf was issued later: reload the daemon), file_older, "
     "different (other names, or issued at the same time), unreadable (missing, no "
     "certificate, or a private key in it). Not a probe failure."},
    {Fam::dane_file_cert_match, "probe_dane_file_cert_match", MetricType::Gauge, Kind::latest,
     "1 when the address's usable TLSA records match the certificate_file's chain, else 0: a 0 "
     "means the renewal on disk breaks DANE delivery once the daemon serves it; absent when "
     "DANE does not apply or the file cannot be read."},
    {Fam::dane_file_leaf_tlsa_info, "probe_dane_file_leaf_tlsa_info", MetricType::Gauge,
     Kind::latest,
     "1; record is the DANE-EE TLSA record (3 1 1) that would match the certificate_file's "
     "leaf: what to publish before the daemon serves it. Where DANE applies."},
    {Fam::ssl_last_handshake_timestamp, "probe_ssl_last_handshake_timestamp_seconds",
     MetricType::Gauge, Kind::history,
     "Start of the probe whose TLS handshake the probe_tls_* and probe_ssl_* values come from, "
     "in Unix seconds; shows how stale they are."},
    {Fam::last_run_timestamp, "probe_last_run_timestamp_seconds", MetricType::Gauge, Kind::history,
     "Start of the last scheduled probe, in Unix seconds."},
    {Fam::last_success_timestamp, "probe_last_success_timestamp_seconds", MetricType::Gauge,
     Kind::history,
     "Start of the last successful scheduled probe, in Unix seconds; absent before the first "
     "success."},
    {Fam::pending, "probe_pending", MetricType::Gauge, Kind::history,
     "1 while a configured target has not been probed yet (after start, or after a reload "
     "added or changed it); absent once its first result is in."},
}};

// family_name() and friends index kSpecs by Fam: the order must match the enum.
constexpr bool specs_in_enum_order() {
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    if (static_cast<std::size_t>(kSpecs[i].fam) != i) return false;
  }
  return true;
}
static_assert(specs_in_enum_order());

std::string help_text(const Spec& spec, Source source) {
  std::string help = spec.help;
  if (spec.kind == Kind::latest) {
    help += source == Source::scheduled ? " Value from the last scheduled probe."
                                        : " Value from this probe.";
  } else if (spec.kind == Kind::handshake) {
    help += source == Source::scheduled
                ? " Value from the last scheduled probe that completed a TLS handshake; kept "
                  "when later probes fail (see probe_ssl_last_handshake_timestamp_seconds)."
                : " Value from this probe's TLS handshake.";
  }
  return help;
}

}  // namespace

double unix_seconds(SystemTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string_view family_name(Fam fam) {
  return kSpecs[static_cast<std::size_t>(fam)].name;
}

std::string family_help(Fam fam, Source source) {
  return help_text(kSpecs[static_cast<std::size_t>(fam)], source);
}

prometheus::MetricType family_type(Fam fam) {
  return kSpecs[static_cast<std::size_t>(fam)].type;
}

}  // namespace starttls_exporter::metrics
