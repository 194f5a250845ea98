// modules.NAME.metrics: which families each optional series group adds, and the fleet-wide
// phase histogram that replaces per-target phase durations by default.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "collector_fixtures.hpp"

using namespace metrics_test;

namespace {

// A successful probe with every optional fact set, so each group has something to show.
ProbeResult rich_result() {
  ProbeResult r = success_result();
  auto& leaf = r.tls->chain.edit(0);
  leaf.public_key_algorithm = "ECDSA";
  leaf.public_key_bits = 256;
  leaf.signature_algorithm = "ECDSA-SHA256";
  r.tls->chain_complete = true;
  r.tls->ocsp = OcspStaple{OcspStaple::Status::good, kStart, kNow + 24h, std::nullopt};
  return r;
}

std::string page_with(const config::MetricsSettings& series) {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {}, series)});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(rich_result()));
  return render(store);
}

bool has_series(const std::string& text, const std::string& family) {
  return text.find("\n" + family + "{") != std::string::npos;
}

const std::vector<std::string> kPhaseFamilies{"probe_phase_duration_seconds"};
const std::vector<std::string> kChainFamilies{"probe_ssl_chain_cert_info",
                                              "probe_ssl_chain_cert_not_after_timestamp_seconds",
                                              "probe_ssl_last_chain_expiry_timestamp_seconds"};
const std::vector<std::string> kTlsDetailFamilies{
    "probe_tls_key_exchange_group_info",
    "probe_ssl_leaf_public_key_size",
    "probe_ssl_leaf_signature_algorithm_info",
    "probe_ssl_chain_complete",
    "probe_ssl_ocsp_response_stapled",
    "probe_ssl_ocsp_response_status_info",
    "probe_ssl_ocsp_response_next_update_timestamp_seconds"};

// What the shipped alerts and dashboard read per target: never behind a group.
const std::vector<std::string> kAlwaysThere{"probe_success",
                                            "probe_duration_seconds",
                                            "probe_tls_version_info",
                                            "probe_tls_cipher_info",
                                            "probe_ssl_last_chain_info",
                                            "probe_ssl_cert_expiry_days",
                                            "probe_ssl_cert_not_after_timestamp_seconds",
                                            "probe_ssl_earliest_cert_expiry",
                                            "probe_ssl_cert_verified",
                                            "probe_smtp_starttls_advertised",
                                            "probe_last_run_timestamp_seconds"};

void check_families(const std::string& text, const std::vector<std::string>& families,
                    bool present) {
  for (const auto& family : families) {
    CAPTURE(family);
    CHECK(has_series(text, family) == present);
  }
}

}  // namespace

TEST_CASE("by default the optional groups are absent and the promised families are there") {
  const std::string text = page_with({});
  CAPTURE(text);
  check_families(text, kAlwaysThere, true);
  check_families(text, kPhaseFamilies, false);
  check_families(text, kChainFamilies, false);
  check_families(text, kTlsDetailFamilies, false);
  // No HELP or TYPE for a family without series either.
  CHECK(text.find("# HELP probe_ssl_chain_cert_info ") == std::string::npos);
}

TEST_CASE("each group adds exactly its own families") {
  struct Case {
    config::MetricsSettings series;
    const std::vector<std::string>* on;
  };
  const Case cases[] = {{{true, false, false}, &kPhaseFamilies},
                        {{false, true, false}, &kChainFamilies},
                        {{false, false, true}, &kTlsDetailFamilies}};
  for (const auto& c : cases) {
    const std::string text = page_with(c.series);
    CAPTURE(text);
    check_families(text, kAlwaysThere, true);
    for (const auto* group : {&kPhaseFamilies, &kChainFamilies, &kTlsDetailFamilies}) {
      check_families(text, *group, group == c.on);
    }
  }
  const std::string all = page_with(config::MetricsSettings::all());
  CHECK(has_line(all,
                 "probe_ssl_chain_cert_not_after_timestamp_seconds{target=\"192.0.2.25:25\","
                 "module=\"smtp\",position=\"1\"} 1708640000"));
  CHECK(has_line(all,
                 "probe_ssl_leaf_public_key_size{target=\"192.0.2.25:25\",module=\"smtp\","
                 "algorithm=\"ECDSA\"} 256"));
}

TEST_CASE("the same groups apply to /probe's families") {
  const auto plain = render_text(probe_families(rich_result(), kNow, {}));
  check_families(plain, kTlsDetailFamilies, false);
  CHECK(plain.find("probe_phase_duration_seconds") == std::string::npos);
  const auto all = render_text(probe_families(rich_result(), kNow, config::MetricsSettings::all()));
  CHECK(has_line(all, "probe_phase_duration_seconds{phase=\"verify\"} 0.001"));
  CHECK(has_line(all, "probe_ssl_chain_complete 1"));
}

TEST_CASE("starttls_exporter_probe_phase_duration_seconds sums every target of a module") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {}, {}), target("192.0.2.26:25", {}, {})});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(success_result()));
  store.record("192.0.2.26:25/smtp", std::make_shared<ProbeResult>(success_result()));
  const std::string text = render(store);
  CAPTURE(text);
  const std::string h = "starttls_exporter_probe_phase_duration_seconds";
  CHECK(has_line(text, "# TYPE " + h + " histogram"));
  CHECK(has_line(text, h + "_bucket{module=\"smtp\",phase=\"tls_handshake\",le=\"0.05\"} 0"));
  CHECK(has_line(text, h + "_bucket{module=\"smtp\",phase=\"tls_handshake\",le=\"0.1\"} 2"));
  CHECK(has_line(text, h + "_bucket{module=\"smtp\",phase=\"tls_handshake\",le=\"+Inf\"} 2"));
  CHECK(has_line(text, h + "_count{module=\"smtp\",phase=\"tls_handshake\"} 2"));
  CHECK(has_line(text, h + "_sum{module=\"smtp\",phase=\"verify\"} 0.002"));
  CHECK(text.find("phase=\"quit\"") == std::string::npos);  // no probe ran it
  CHECK(text.find("probe_phase_duration_seconds{") == std::string::npos);
}
