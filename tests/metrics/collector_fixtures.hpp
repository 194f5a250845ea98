#pragma once
/// \file
/// Hand-built probe results and text helpers shared by the collector tests.

#include <chrono>
#include <map>
#include <sstream>
#include <string>

#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/store/result_store.hpp"

namespace metrics_test {

using namespace starttls_exporter;
using namespace starttls_exporter::metrics;
using namespace std::chrono_literals;

inline const SystemTime kNow = SystemTime{} + 1'700'000'000s;
inline const SystemTime kStart = kNow - 30s;

inline CertificateFacts cert(std::string subject, SystemTime not_after) {
  CertificateFacts c;
  c.subject = std::move(subject);
  c.issuer = "CN=Test CA";
  c.dns_names = {"mx.example.org", "mail.example.org"};
  c.serial_hex = "0a1b";
  c.sha256_hex = "ab12";
  c.not_before = kNow - 24h * 30;
  c.not_after = not_after;
  return c;
}

inline ProbeResult success_result() {
  ProbeResult r;
  r.started = kStart;
  r.duration_seconds = 0.25;
  r.success = true;
  r.starttls_advertised = true;
  r.phases = {{Phase::connect, 0.01},  {Phase::banner, 0.02},       {Phase::ehlo, 0.03},
              {Phase::starttls, 0.04}, {Phase::tls_handshake, 0.1}, {Phase::verify, 0.001}};
  // Leaf expires in 10.5 days; the CA later, so the earliest is the leaf's.
  r.tls = TlsFacts{
      "TLS 1.3",
      "TLS_AES_256_GCM_SHA384",
      "X25519",
      {cert("CN=mx.example.org", kNow + 24h * 10 + 12h), cert("CN=Test CA", kNow + 24h * 100)}};
  r.verify = VerifyVerdict{true, {}};
  return r;
}

inline ProbeResult verify_failure_result() {
  ProbeResult r = success_result();
  r.success = false;
  r.failure = Failure{Phase::verify, FailureReason::cert_expired, 0, "expired"};
  r.tls->group = "";
  // The CA expired two days ago: earliest expiry is the CA's, the leaf is still valid.
  r.tls->chain.edit(1).not_after = kNow - 48h;
  r.verify = VerifyVerdict{false, {FailureReason::cert_expired, FailureReason::cert_untrusted}};
  return r;
}

inline ProbeResult connect_failure_result(SystemTime started) {
  ProbeResult r;
  r.started = started;
  r.duration_seconds = 0.5;
  r.failure = Failure{Phase::connect, FailureReason::connection_refused, 0, "refused"};
  r.phases = {{Phase::connect, 0.5}};
  return r;
}

/// A target whose module turns every optional series group on (modules.NAME.metrics), so that
/// the tests see every family; `series` narrows it.
inline store::TargetInfo target(std::string endpoint,
                                std::map<std::string, std::string> labels = {},
                                config::MetricsSettings series = config::MetricsSettings::all()) {
  return {endpoint + "/smtp", std::move(endpoint), "smtp", std::move(labels), series};
}

inline std::string render(const store::ResultStore& store, SystemTime now = kNow) {
  Collector c(store, {"1.2.3", "3.7.9"}, [now] { return now; });
  return render_text(c.Collect());
}

inline bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

inline int count_substr(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

}  // namespace metrics_test
