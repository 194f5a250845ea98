#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "collector_fixtures.hpp"
#include "starttls_exporter/config/config.hpp"

using namespace metrics_test;

namespace {

/// Runs promtool check metrics with `text` on stdin; returns exit status and output.
std::pair<int, std::string> promtool_check(const std::string& text) {
  char path[] = "/tmp/starttls_exporter_metrics_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  const std::string cmd = std::string("/usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// promtool exits 0 when clean, 1 on a parse error, 3 on lint problems. The one accepted lint
/// problem is the deliberate name probe_ssl_cert_expiry_days (days, not seconds). Returns the
/// problems that are not accepted; empty means the exposition is fine.
std::string promtool_problems(const std::string& text) {
  const auto [status, out] = promtool_check(text);
  if (status != 0 && status != 3) return "promtool exit " + std::to_string(status) + ": " + out;
  std::string problems;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() ||
        line == "probe_ssl_cert_expiry_days use base unit \"seconds\" instead of \"days\"") {
      continue;
    }
    problems += line + "\n";
  }
  if (status == 3 && problems.empty() &&
      out.find("probe_ssl_cert_expiry_days") == std::string::npos) {
    problems = "promtool exit 3 without output";
  }
  return problems;
}

}  // namespace

TEST_CASE("hostile label values are escaped") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {{"note", "a\"b\\c\nd"}})});
  auto r = success_result();
  r.tls->chain.edit(0).subject = "CN=evil\",O=x\\y\nz";
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(r));
  const auto text = render(store);
  CAPTURE(text);
  CHECK(text.find("note=\"a\\\"b\\\\c\\nd\"") != std::string::npos);
  CHECK(text.find("subject=\"CN=evil\\\",O=x\\\\y\\nz\"") != std::string::npos);
  CHECK(promtool_problems(text) == "");
}

TEST_CASE("promtool accepts the full exposition") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {{"env", "prod"}}), target("[2001:db8::25]:25"),
                     target("198.51.100.7:587")});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(success_result()));
  store.record("[2001:db8::25]:25/smtp", std::make_shared<ProbeResult>(verify_failure_result()));
  store.record("198.51.100.7:587/smtp",
               std::make_shared<ProbeResult>(connect_failure_result(kStart)));
  CHECK(promtool_problems(render(store)) == "");
  // The check must be able to fail: a broken exposition and a lint problem are reported.
  CHECK(promtool_problems("probe_success{target=\"x} 1\n") != "");
  CHECK(promtool_problems("# HELP x_milliseconds h\n# TYPE x_milliseconds gauge\n"
                          "x_milliseconds 1\n") != "");
}

TEST_CASE("probe_families: same families, no target/module labels, no history") {
  const auto families =
      probe_families(verify_failure_result(), kNow, config::MetricsSettings::all());
  const auto text = render_text(families);
  CAPTURE(text);
  CHECK(has_line(text, "probe_success 0"));
  CHECK(has_line(text, "probe_phase_duration_seconds{phase=\"ehlo\"} 0.03"));
  CHECK(has_line(text, "probe_failure_info{phase=\"verify\",reason=\"cert_expired\"} 1"));
  CHECK(has_line(text, "probe_ssl_cert_expiry_days 10.5"));
  CHECK(has_line(text, "probe_ssl_cert_verify_error_info{reason=\"cert_untrusted\"} 1"));
  CHECK(text.find("target=") == std::string::npos);
  CHECK(text.find("probe_last_run_timestamp_seconds") == std::string::npos);
  CHECK(text.find("probe_ssl_last_handshake_timestamp_seconds") == std::string::npos);
  CHECK(text.find("starttls_exporter_") == std::string::npos);
  CHECK(text.find("Value from this probe.") != std::string::npos);
  CHECK(promtool_problems(text) == "");
}

TEST_CASE("Render() writes exactly what TextSerializer writes for Collect()") {
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25", {{"env", "prod"}, {"note", "q\"b\\n\nx"}}),
                     target("[2001:db8::25]:25"), target("198.51.100.7:587"),
                     target("203.0.113.9:25")});
  auto hostile = success_result();
  hostile.tls->chain.edit(0).subject = "CN=\"x\"\\\n";
  hostile.duration_seconds = 1.0 / 3;  // exported to the microsecond
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(hostile));
  store.record("[2001:db8::25]:25/smtp", std::make_shared<ProbeResult>(verify_failure_result()));
  store.record("198.51.100.7:587/smtp", std::make_shared<ProbeResult>(success_result()));
  store.record("198.51.100.7:587/smtp",
               std::make_shared<ProbeResult>(connect_failure_result(kStart + 60s)));
  Collector c(store, {"1.2.3", "3.7.9"}, [] { return kNow + 1234567us; });
  const auto reference = render_text(c.Collect());
  CHECK(reference.find(" 0.333333\n") != std::string::npos);
  CHECK(c.Render() == reference);
  CHECK(c.Render() == reference);  // again: nothing is carried from one page to the next
  std::size_t pieces = 0;
  CHECK_FALSE(c.Stream([&pieces](std::string_view) { return ++pieces < 2; }));
  CHECK(pieces == 2);  // a failed write ends the page
  store.set_targets(std::vector<starttls_exporter::store::TargetInfo>{});
  CHECK(c.Render() == render_text(c.Collect()));
  CHECK(c.Render().find("starttls_exporter_targets 0") != std::string::npos);
}

TEST_CASE("other protocols: their phases and probe_plaintext_auth_offered are exposed") {
  ProbeResult r = success_result();
  r.phases = {{Phase::connect, 0.01},  {Phase::banner, 0.02},        {Phase::capability, 0.03},
              {Phase::starttls, 0.04}, {Phase::tls_handshake, 0.05}, {Phase::verify, 0.001},
              {Phase::logout, 0.002},  {Phase::lhlo, 0.003}};
  r.plaintext_auth_offered = true;
  const auto text = render_text(probe_families(r, kNow, config::MetricsSettings::all()));
  CAPTURE(text);
  CHECK(has_line(text, "probe_phase_duration_seconds{phase=\"capability\"} 0.03"));
  CHECK(has_line(text, "probe_phase_duration_seconds{phase=\"logout\"} 0.002"));
  CHECK(has_line(text, "probe_phase_duration_seconds{phase=\"lhlo\"} 0.003"));
  CHECK(has_line(text, "probe_plaintext_auth_offered 1"));
  CHECK(promtool_problems(text) == "");
  r.plaintext_auth_offered.reset();  // smtp, implicit TLS, capabilities never read
  CHECK(render_text(probe_families(r, kNow, config::MetricsSettings::all()))
            .find("probe_plaintext_auth_offered") == std::string::npos);
}

TEST_CASE("every label name the exporter emits is one static labels may not use") {
  ProbeResult r = success_result();
  r.failure = Failure{Phase::verify, FailureReason::cert_expired, 0, "expired"};
  r.success = false;
  r.plaintext_auth_offered = true;
  r.tls->chain.edit(0).public_key_algorithm = "RSA";
  r.tls->chain.edit(0).public_key_bits = 2048;
  r.tls->chain.edit(0).signature_algorithm = "RSA-SHA256";
  r.tls->ocsp = OcspStaple{OcspStaple::Status::good, kNow, kNow + 24h, std::nullopt};
  r.legacy = LegacyProbe{true, "TLS 1.0", 0.1, std::nullopt};
  r.verify = VerifyVerdict{false, {FailureReason::cert_expired}};
  store::ResultStore store;
  store.set_targets({target("192.0.2.25:25")});
  store.record("192.0.2.25:25/smtp", std::make_shared<ProbeResult>(r));
  Collector c(store, {"1.2.3", "3.7.9"}, [] { return kNow; });
  c.set_lag_source([] {
    static constexpr std::array<double, 1> bounds{0.1};
    Histogram lag(bounds);
    lag.observe(0.05);
    return lag;
  });
  const std::string text = c.Render();
  REQUIRE(text.find("probe_ssl_ocsp_response_status_info") != std::string::npos);
  REQUIRE(text.find("probe_ssl_leaf_public_key_size") != std::string::npos);
  const auto& reserved = config::reserved_label_names();
  std::set<std::string> names;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    // A label name runs from the `{` or `,` before it to its `="`; values escape `"`, so `="`
    // never occurs inside one.
    for (auto at = line.find("=\""); at != std::string::npos; at = line.find("=\"", at + 1)) {
      const auto start = line.find_last_of("{,", at) + 1;
      names.insert(line.substr(start, at - start));
    }
  }
  REQUIRE(names.size() > 10);
  for (const auto& name : names) {
    CAPTURE(name);
    CHECK(std::find(reserved.begin(), reserved.end(), name) != reserved.end());
  }
}
