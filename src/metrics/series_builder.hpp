#pragma once
/// \file
/// The one place that knows the per-target metric families: their names, HELP texts and which
/// series a probe outcome produces. Used by Collector (all targets, scheduled probes) and by
/// probe_families() (one on-demand probe).

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/core/probe_result.hpp"

namespace starttls_exporter::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

/// Per-target families, in exposition order.
enum class Fam : std::size_t {
  success,
  duration,
  phase_duration,
  failure_info,
  failure_smtp_code,
  starttls_advertised,
  plaintext_auth_offered,
  tls_version_info,
  tls_cipher_info,
  tls_group_info,
  ssl_earliest_cert_expiry,
  ssl_last_chain_expiry,
  ssl_last_chain_info,
  ssl_cert_not_after,
  ssl_cert_expiry_days,
  ssl_cert_verified,
  ssl_cert_verify_error_info,
  ssl_leaf_public_key_size,
  ssl_leaf_signature_algorithm_info,
  ssl_chain_cert_info,
  ssl_chain_cert_not_after,
  ssl_chain_complete,
  ssl_ocsp_stapled,
  ssl_ocsp_status_info,
  ssl_ocsp_next_update,
  verification_policy_info,
  dane_tlsa_records,
  dane_dnssec_secure,
  dane_match,
  dane_matched_record_info,
  dane_failure_info,
  dane_rollover_ready,
  dane_leaf_tlsa_info,
  dane_tlsa_signature_expiry,
  dane_tlsa_records_unmatched,
  tls_legacy_version_accepted,
  tls_legacy_probe_duration,
  tls_key_type_handshake_success,
  dane_key_type_match,
  dane_key_type_leaf_tlsa_info,
  ssl_file_cert_not_after,
  ssl_served_matches_file,
  ssl_certificate_file_info,
  dane_file_cert_match,
  dane_file_leaf_tlsa_info,
  ssl_last_handshake_timestamp,
  last_run_timestamp,
  last_success_timestamp,
  pending,
  count_
};

/// Where the values come from; only changes the HELP texts.
enum class Source { scheduled, on_demand };

/// Everything known about one target. Pointers may be null; they must outlive the append call.
struct TargetView {
  const ProbeResult* latest = nullptr;        ///< null before the first probe
  const TlsFacts* tls = nullptr;              ///< the last completed handshake, if any
  const VerifyVerdict* verify = nullptr;      ///< its verdict; required when tls is set
  const dane::DaneCheck* dane = nullptr;      ///< that handshake's DANE check (domain mode)
  const AppliedPolicies* policies = nullptr;  ///< the rules that judged that handshake
  std::optional<SystemTime> handshake_at;     ///< emitted when with_history
  std::optional<SystemTime> last_success;     ///< emitted when with_history
  bool with_history = true;        ///< emit the probe_last_* / handshake timestamp series
  config::MetricsSettings series;  ///< the optional groups the target's module asks for
};

/// Receives the series of one scrape. The builder calls begin_target() before each target's
/// series; every series carries that target's base labels first, then `extra`.
class SeriesSink {
 public:
  using Extra = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  virtual ~SeriesSink() = default;
  virtual void begin_target(const Labels& base) = 0;
  virtual void add(Fam fam, double value, Extra extra) = 0;
  /// False when add() would ignore every family from `first` to `last` (inclusive): the
  /// builder then skips computing their values. A sink taking a page in passes wants only
  /// the families of the current pass.
  virtual bool wants(Fam first, Fam last) const {
    (void)first;
    (void)last;
    return true;
  }
};

/// Emits every series `view` yields into `sink`. `now` is the reference for
/// probe_ssl_cert_expiry_days. The one place that decides which series a probe produces.
void append_target(SeriesSink& sink, const Labels& base, const TargetView& view, SystemTime now);

/// Family metadata, indexed by Fam.
std::string_view family_name(Fam fam);
std::string family_help(Fam fam, Source source);
prometheus::MetricType family_type(Fam fam);

/// Seconds since the Unix epoch, with the sub-second fraction.
double unix_seconds(SystemTime t);

}  // namespace starttls_exporter::metrics
