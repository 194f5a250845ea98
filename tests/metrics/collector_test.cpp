#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "collector_fixtures.hpp"

using namespace metrics_test;

TEST_CASE("a successful probe renders every family with exact values") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(success_result()));
  const auto text = render(store);
  CAPTURE(text);
  const std::string b = "{target=\"192.0.2.25:25\",module=\"smtp\"";
  for (const std::string& line : {
           "probe_success" + b + "} 1",
           "probe_duration_seconds" + b + "} 0.25",
           "probe_phase_duration_seconds" + b + ",phase=\"connect\"} 0.01",
           "probe_phase_duration_seconds" + b + ",phase=\"tls_handshake\"} 0.1",
           "probe_phase_duration_seconds" + b + ",phase=\"verify\"} 0.001",
           "probe_smtp_starttls_advertised" + b + "} 1",
           "probe_tls_version_info" + b + ",version=\"TLS 1.3\"} 1",
           "probe_tls_cipher_info" + b + ",cipher=\"TLS_AES_256_GCM_SHA384\"} 1",
           "probe_tls_key_exchange_group_info" + b + ",group=\"X25519\"} 1",
           "probe_ssl_earliest_cert_expiry" + b + "} 1700907200",
           "probe_ssl_last_chain_info" + b +
               ",fingerprint_sha256=\"ab12\",subject=\"CN=mx.example.org\",issuer=\"CN=Test "
               "CA\",subjectalternative=\"mx.example.org,mail.example.org\",serialnumber="
               "\"0a1b\"} 1",
           "probe_ssl_cert_not_after_timestamp_seconds" + b + "} 1700907200",
           "probe_ssl_cert_expiry_days" + b + "} 10.5",
           "probe_ssl_cert_verified" + b + "} 1",
           "probe_ssl_last_handshake_timestamp_seconds" + b + "} 1699999970",
           "probe_last_run_timestamp_seconds" + b + "} 1699999970",
           "probe_last_success_timestamp_seconds" + b + "} 1699999970",
           std::string(
               "starttls_exporter_build_info{version=\"1.2.3\",gnutls_version=\"3.7.9\"} 1"),
           std::string("starttls_exporter_probes_total{result=\"success\"} 1"),
           std::string("starttls_exporter_probes_total{result=\"failure\"} 0"),
           std::string("starttls_exporter_targets 1"),
       }) {
    CHECK_MESSAGE(has_line(text, line), line);
  }
  CHECK(text.find("probe_failure_info") == std::string::npos);
  CHECK(text.find("probe_failure_smtp_code") == std::string::npos);
  CHECK(text.find("probe_ssl_cert_verify_error_info") == std::string::npos);
  CHECK(text.find("phase=\"quit\"") == std::string::npos);  // only phases that ran
  CHECK(has_line(text, "# TYPE starttls_exporter_probes_total counter"));
  CHECK(text.find("# HELP probe_success 1 when connect, STARTTLS, TLS handshake and certificate "
                  "verification all passed, else 0. Value from the last scheduled probe.") !=
        std::string::npos);
}

TEST_CASE("a verification failure keeps the facts and lists every reason") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(verify_failure_result()));
  const auto text = render(store);
  CAPTURE(text);
  const std::string b = "{target=\"192.0.2.25:25\",module=\"smtp\"";
  CHECK(has_line(text, "probe_success" + b + "} 0"));
  CHECK(has_line(text, "probe_failure_info" + b + ",phase=\"verify\",reason=\"cert_expired\"} 1"));
  CHECK(has_line(text, "probe_ssl_cert_verified" + b + "} 0"));
  CHECK(has_line(text, "probe_ssl_cert_verify_error_info" + b + ",reason=\"cert_expired\"} 1"));
  CHECK(has_line(text, "probe_ssl_cert_verify_error_info" + b + ",reason=\"cert_untrusted\"} 1"));
  CHECK(has_line(text, "probe_ssl_earliest_cert_expiry" + b + "} 1699827200"));  // the CA's
  CHECK(has_line(text, "probe_ssl_cert_expiry_days" + b + "} 10.5"));            // the leaf's
  CHECK(text.find("probe_ssl_last_chain_expiry_timestamp_seconds") == std::string::npos);
  CHECK(text.find("probe_tls_key_exchange_group_info") == std::string::npos);  // empty group
  CHECK(text.find("probe_last_success_timestamp_seconds") == std::string::npos);
  CHECK(has_line(text, "starttls_exporter_probes_total{result=\"failure\"} 1"));
}

TEST_CASE("a connect failure after a success keeps the handshake facts") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(success_result()));
  auto failed = connect_failure_result(kStart + 60s);
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(failed));
  // Scraped 40 days later: the retained leaf has expired, so expiry days is negative.
  const auto text = render(store, kNow + 24h * 40);
  CAPTURE(text);
  const std::string b = "{target=\"192.0.2.25:25\",module=\"smtp\"";
  CHECK(has_line(text, "probe_success" + b + "} 0"));
  CHECK(has_line(text,
                 "probe_failure_info" + b + ",phase=\"connect\",reason=\"connection_refused\"} 1"));
  CHECK(has_line(text, "probe_phase_duration_seconds" + b + ",phase=\"connect\"} 0.5"));
  CHECK(text.find("probe_phase_duration_seconds" + b + ",phase=\"banner\"") == std::string::npos);
  CHECK(text.find("probe_smtp_starttls_advertised") == std::string::npos);  // EHLO never ran
  CHECK(has_line(text, "probe_tls_version_info" + b + ",version=\"TLS 1.3\"} 1"));
  CHECK(has_line(text, "probe_ssl_cert_verified" + b + "} 1"));
  CHECK(has_line(text, "probe_ssl_cert_expiry_days" + b + "} -29.5"));
  CHECK(has_line(text, "probe_ssl_last_handshake_timestamp_seconds" + b + "} 1699999970"));
  CHECK(has_line(text, "probe_last_run_timestamp_seconds" + b + "} 1700000030"));
  CHECK(has_line(text, "probe_last_success_timestamp_seconds" + b + "} 1699999970"));
}

TEST_CASE("SMTP rejection code is exported only when the server rejected us") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  auto r = connect_failure_result(kStart);
  r.failure = Failure{Phase::starttls, FailureReason::rejected_temporary, 454, "454 TLS n/a"};
  r.starttls_advertised = true;
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(r));
  const auto text = render(store);
  CHECK(has_line(text, "probe_failure_smtp_code{target=\"192.0.2.25:25\",module=\"smtp\"} 454"));
  CHECK(
      has_line(text, "probe_smtp_starttls_advertised{target=\"192.0.2.25:25\",module=\"smtp\"} 1"));
}

TEST_CASE("IPv6 endpoints and static labels; each family's HELP and TYPE appear once") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {{"env", "prod"}, {"team", "mail"}}),
                     target("[2001:db8::25]:25", {{"env", "test"}}), target("198.51.100.7:587")});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(success_result()));
  store.record("[2001:db8::25]:25/smtp", std::make_shared<ProbeResult>(verify_failure_result()));
  store.record("198.51.100.7:587/smtp",
               std::make_shared<ProbeResult>(connect_failure_result(kStart)));
  const auto text = render(store);
  CAPTURE(text);
  CHECK(has_line(
      text,
      "probe_success{target=\"192.0.2.25:25\",module=\"smtp\",env=\"prod\",team=\"mail\"} 1"));
  CHECK(
      has_line(text, "probe_success{target=\"[2001:db8::25]:25\",module=\"smtp\",env=\"test\"} 0"));
  CHECK(has_line(text, "probe_success{target=\"198.51.100.7:587\",module=\"smtp\"} 0"));
  CHECK(has_line(text, "starttls_exporter_targets 3"));
  for (const char* family :
       {"probe_success", "probe_duration_seconds", "probe_phase_duration_seconds",
        "probe_failure_info", "probe_tls_version_info", "probe_ssl_cert_verified",
        "probe_last_run_timestamp_seconds", "starttls_exporter_probes_total"}) {
    CAPTURE(family);
    CHECK(count_substr(text, std::string("# HELP ") + family + " ") == 1);
    CHECK(count_substr(text, std::string("# TYPE ") + family + " ") == 1);
  }
  CHECK(count_substr(text, "probe_success{") == 3);
  CHECK(count_substr(text, "\n# HELP ") + 1 == count_substr(text, "# TYPE "));
}

TEST_CASE("the certificate file's series, and the leaves served under one name") {
  store::ResultStore store;
  auto mx25 = target("192.0.2.25:25"), mx993 = target("192.0.2.25:993"),
       other = target("192.0.2.26:25"), unnamed = target("192.0.2.27:25");
  mx25.server_name = mx993.server_name = "mx.example.org";
  other.server_name = "other.example.org";
  store.set_targets({mx25, mx993, other, unnamed});
  ProbeResult renewed = success_result();  // the file holds a newer leaf than the one served
  CertificateFileCheck file;
  file.path = "/etc/ssl/mx/fullchain.pem";
  file.status = CertificateFileStatus::renewed_not_served;
  file.leaf = cert("CN=mx.example.org", kNow + 24h * 90);
  file.served_matches = false;
  file.dane_match = false;
  file.leaf_record = "3 1 1 cd34";
  renewed.certificate_file = file;
  ProbeResult reloaded = success_result();  // serves another leaf: the renewal
  reloaded.tls->chain.edit(0).sha256_hex = "cd34";
  file.status = CertificateFileStatus::current;
  file.served_matches = true;
  file.dane_match.reset();  // DANE does not apply there
  reloaded.certificate_file = file;
  store.record(mx25.key, std::make_shared<ProbeResult>(renewed));
  store.record(mx993.key, std::make_shared<ProbeResult>(reloaded));
  store.record(other.key, std::make_shared<ProbeResult>(success_result()));
  store.record(unnamed.key, std::make_shared<ProbeResult>(reloaded));
  const auto text = render(store);
  CAPTURE(text);
  const std::string at25 = "{target=\"192.0.2.25:25\",module=\"smtp\"";
  const std::string at993 = "{target=\"192.0.2.25:993\",module=\"smtp\"";
  CHECK(has_line(text, "probe_ssl_file_cert_not_after_timestamp_seconds" + at25 + "} " +
                           std::to_string(1'700'000'000 + 90 * 86400)));
  CHECK(has_line(text, "probe_ssl_served_matches_file" + at25 + "} 0"));
  CHECK(has_line(text, "probe_ssl_served_matches_file" + at993 + "} 1"));
  CHECK(has_line(text, "probe_ssl_certificate_file_info" + at25 +
                           ",status=\"renewed_not_served\",file=\"/etc/ssl/mx/fullchain.pem\"} 1"));
  CHECK(has_line(text, "probe_dane_file_cert_match" + at25 + "} 0"));
  CHECK(has_line(text, "probe_dane_file_leaf_tlsa_info" + at25 + ",record=\"3 1 1 cd34\"} 1"));
  CHECK(text.find("probe_dane_file_cert_match" + at993) == std::string::npos);
  // Two leaves under mx.example.org (which target serves which, listed), one under other.
  CHECK(has_line(text, "probe_name_distinct_certificates{server_name=\"mx.example.org\"} 2"));
  // other.example.org has one target (it cannot disagree with itself), unnamed no name.
  CHECK(count_substr(text, "probe_name_distinct_certificates{") == 1);
  CHECK(has_line(text,
                 "probe_name_certificate_info{server_name=\"mx.example.org\",target="
                 "\"192.0.2.25:993\",module=\"smtp\",fingerprint_sha256=\"cd34\"} 1"));
  CHECK(count_substr(text, "probe_name_certificate_info{") == 2);
}

TEST_CASE("static labels that collide with exporter labels are dropped") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {{"target", "x"}, {"phase", "y"}, {"env", "z"}})});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(success_result()));
  const auto text = render(store);
  CHECK(has_line(text, "probe_success{target=\"192.0.2.25:25\",module=\"smtp\",env=\"z\"} 1"));
  CHECK(text.find("phase=\"y\"") == std::string::npos);
}

TEST_CASE("a target never probed yet has no per-target series") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  const auto text = render(store);
  CHECK(text.find("probe_success") == std::string::npos);
  CHECK(has_line(text, "starttls_exporter_targets 1"));
}

TEST_CASE("the scheduling lag histogram renders cumulative buckets, +Inf, sum and count") {
  store::ResultStore store;
  Collector c(store, {"1.2.3", "3.7.9"}, [] { return kNow; });
  CHECK(c.Render().find("starttls_exporter_probe_start_lag_seconds") == std::string::npos);
  // Not cumulative in: 2 probes <= 1 ms, 1 in (1 ms, 1 s], 1 beyond the last bound.
  c.set_lag_source([] {
    static constexpr std::array<double, 2> bounds{0.001, 1};
    Histogram lag(bounds);
    for (const double seconds : {0.0, 0.001, 0.5, 41.999}) lag.observe(seconds);
    return lag;
  });
  const auto text = c.Render();
  CAPTURE(text);
  CHECK(text == render_text(c.Collect()));  // the fast path and the Collectable path agree
  const std::string name = "starttls_exporter_probe_start_lag_seconds";
  for (const std::string& line : {
           "# TYPE " + name + " histogram",
           name + "_bucket{le=\"0.001\"} 2",
           name + "_bucket{le=\"1\"} 3",
           name + "_bucket{le=\"+Inf\"} 4",
           name + "_sum 42.5",
           name + "_count 4",
       }) {
    CHECK_MESSAGE(has_line(text, line), line);
  }
  CHECK(count_substr(text, name + "_bucket{") == 3);
}

TEST_CASE(
    "probe start times are exported to the millisecond, durations to the microsecond, expiry "
    "days to 1e-5 day") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  auto r = success_result();
  r.started = kStart + 123'456'789ns;
  r.duration_seconds = 0.002173484;
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(r));
  const auto text = render(store, kNow - 1s);  // the leaf then expires in 10.5 days and 1 s
  CAPTURE(text);
  const std::string b = "{target=\"192.0.2.25:25\",module=\"smtp\"}";
  CHECK(has_line(text, "probe_last_run_timestamp_seconds" + b + " 1699999970.123"));
  CHECK(has_line(text, "probe_last_success_timestamp_seconds" + b + " 1699999970.123"));
  CHECK(has_line(text, "probe_ssl_last_handshake_timestamp_seconds" + b + " 1699999970.123"));
  CHECK(has_line(text, "probe_ssl_cert_expiry_days" + b + " 10.50001"));
  CHECK(has_line(text, "probe_duration_seconds" + b + " 0.002173"));
}
