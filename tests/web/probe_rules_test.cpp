// The pure rules behind /probe and the landing page: target syntax, deadline, allowlist,
// sorting and escaping.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "landing_page.hpp"
#include "probe_handler.hpp"
#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/prober/prober.hpp"
#include "starttls_exporter/scheduler/scheduler.hpp"
#include "starttls_exporter/store/result_store.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::web;
using namespace std::chrono_literals;

TEST_CASE("probe_timeout: the smaller of the module timeout and the header minus the margin") {
  struct Case {
    Duration module;
    const char* header;
    Duration margin;
    Duration expected;
  };
  const Case cases[] = {
      {10s, "", 500ms, 10s},        {10s, "1.5", 500ms, 1000ms}, {10s, "15", 500ms, 10s},
      {2s, "10", 500ms, 2s},        {10s, "1.5", 0ms, 1500ms},   {10s, "0.4", 500ms, 200ms},
      {10s, "garbage", 500ms, 10s}, {10s, "-3", 500ms, 10s},     {10s, "0", 500ms, 10s},
      {10s, "inf", 500ms, 10s},     {10s, "nan", 500ms, 10s},    {10s, "1.5s", 500ms, 10s},
      {10s, "0.0001", 0ms, 1ms},
  };
  for (const auto& c : cases) {
    CAPTURE(c.header);
    CHECK(probe_timeout(c.module, c.header, c.margin) == c.expected);
  }
}

TEST_CASE("probe_refusal: configured address AND port, or a CIDR for any port") {
  const config::Config config = config::parse_config(R"(
modules: {smtp: {}}
targets:
  - {address: 192.0.2.25, port: 25, module: smtp}
  - {address: "2001:db8::25", port: 587, module: smtp}
probe_allowed_cidrs: [198.51.100.0/24]
)",
                                                     "c.yml");
  struct Case {
    const char* address;
    int port;
    bool allowed;
  };
  const Case cases[] = {
      {"192.0.2.25", 25, true},    {"192.0.2.25", 587, false},  {"192.0.2.26", 25, false},
      {"2001:db8::25", 587, true}, {"2001:db8::25", 25, false}, {"198.51.100.7", 2525, true},
      {"198.51.101.7", 25, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.address);
    CAPTURE(c.port);
    const std::string refusal =
        probe_refusal({c.address, static_cast<std::uint16_t>(c.port)}, config);
    CHECK(refusal.empty() == c.allowed);
    CHECK(refusal.find('\n') == std::string::npos);
  }
}

TEST_CASE("landing page: sorted by days to expiry, unknown last, everything escaped") {
  const SystemTime now = std::chrono::system_clock::now();
  auto snapshot = [&](const std::string& endpoint, std::optional<int> days) {
    store::TargetSnapshot s;
    auto info = std::make_shared<store::TargetInfo>();
    info->endpoint = endpoint;
    info->module = "m<1>";
    s.target = info;
    auto result = std::make_shared<ProbeResult>();
    result->success = false;
    result->failure = Failure{Phase::banner, FailureReason::rejected_permanent, 554,
                              "unexpected reply 554 <b>\"x\"</b>"};
    s.latest = result;
    if (days) {
      auto handshake = std::make_shared<ProbeResult>();
      handshake->tls.emplace().version = "TLS 1.3";
      handshake->verify.emplace();
      CertificateFacts leaf;
      leaf.not_after = now + std::chrono::hours(24) * *days + std::chrono::minutes(1);
      handshake->tls->chain.push_back(leaf);
      s.last_handshake = handshake;
    }
    return s;
  };
  const std::string page =
      render_landing_page({},
                          {snapshot("a:25", std::nullopt), snapshot("b:25", 40),
                           snapshot("c:25", -2), snapshot("d:25", 3)},
                          now, "1.2.3");
  const auto pos = [&](const char* text) { return page.find(text); };
  REQUIRE(pos("c:25") != std::string::npos);
  CHECK(pos("c:25") < pos("d:25"));
  CHECK(pos("d:25") < pos("b:25"));
  CHECK(pos("b:25") < pos("a:25"));
  CHECK(pos(">-2.0<") != std::string::npos);
  CHECK(pos(">40.0<") != std::string::npos);
  CHECK(pos(">unknown<") != std::string::npos);
  CHECK(pos("Version 1.2.3") != std::string::npos);
  CHECK(pos("m&lt;1&gt;") != std::string::npos);
  CHECK(pos("&lt;b&gt;&quot;x&quot;&lt;/b&gt;") != std::string::npos);
  CHECK(pos("<b>") == std::string::npos);
  CHECK(pos("id=\"domains\"") == std::string::npos);  // no domains configured: no table
}

TEST_CASE("status page: domains first, failing ones first, each linked to its report") {
  const SystemTime now = std::chrono::system_clock::now();
  report::DomainSummary ok;
  ok.domain = "ok.example";
  ok.module = "smtp";
  ok.resolved = ok.success = ok.dnssec_secure = true;
  ok.dane = "matched 2 of 2";
  ok.mta_sts = "enforce";
  ok.earliest_expiry = now + std::chrono::hours(24 * 30) + std::chrono::minutes(1);
  report::DomainSummary bad;
  bad.domain = "bad.example";
  bad.module = "m&<x>";
  bad.resolved = true;
  bad.failing = {"192.0.2.1:25 (mx.bad.example): mta_sts_mx_mismatch <i>"};
  bad.dane = "none";
  bad.mta_sts = "enforce";
  const std::string page = render_landing_page({ok, bad}, {}, now, "1");
  const auto pos = [&](const std::string& text) { return page.find(text); };
  REQUIRE(pos("<table id=\"domains\">") != std::string::npos);
  CHECK(pos("<table id=\"domains\">") < pos("<table id=\"targets\">"));
  CHECK(pos("bad.example") < pos("ok.example"));  // the failing domain first
  CHECK(pos("Domains (2, 1 failing)") != std::string::npos);
  CHECK(pos("<a href=\"report?domain=bad.example&amp;module=m%26%3Cx%3E\">bad.example</a>") !=
        std::string::npos);
  CHECK(pos(">failing<") != std::string::npos);
  CHECK(pos(">deliverable<") != std::string::npos);
  CHECK(pos("mta_sts_mx_mismatch &lt;i&gt;") != std::string::npos);
  CHECK(pos("(30.0 days)") != std::string::npos);
  CHECK(pos("<script") == std::string::npos);
  CHECK(pos("<style") ==
        std::string::npos);  // the stylesheet is /style.css: the CSP forbids inline
  CHECK(pos("<link rel=\"stylesheet\" href=\"style.css\">") != std::string::npos);
  CHECK(std::string(kContentSecurityPolicy).starts_with("default-src 'none'"));
  CHECK(std::string(kContentSecurityPolicy).find("unsafe") == std::string::npos);
}

TEST_CASE("/probe and the config file apply one server-name rule: mail.123 is refused by both") {
  const std::string yaml = R"(
modules:
  smtp_starttls: {}
probe_allowed_cidrs: [127.0.0.0/8]
targets:
  - address: 127.0.0.1
    module: smtp_starttls
    server_name: )";
  CHECK_NOTHROW(config::parse_config(yaml + "mx.example.com\n", "ok.yml"));
  CHECK_THROWS_WITH_AS(config::parse_config(yaml + "mail.123\n", "bad.yml"),
                       doctest::Contains("the last label is all digits"), config::ConfigError);

  runtime::LiveConfig live{config::parse_config(yaml + "mx.example.com\n", "ok.yml"), {}};
  live.trust_by_module["smtp_starttls"] = nullptr;  // never reached: refused before probing
  asio::io_context io;  // never run: a refused request must not schedule anything
  store::ResultStore store;
  scheduler::Scheduler scheduler(io, store, prober::run_probe, 1);
  const auto probe = [&](const std::string& name) {
    http::Request request;
    request.method = "GET";
    request.query = {{"target", "127.0.0.1"}, {"module", "smtp_starttls"}, {"server_name", name}};
    return handle_probe(request, live, scheduler);
  };
  const http::Response refused = probe("mail.123");
  CHECK(refused.status == 400);
  CHECK(refused.body.find("invalid server_name: \"mail.123\" is not a valid DNS name (the last "
                          "label is all digits)") != std::string::npos);
  CHECK(probe("192.0.2.1").status == 400);  // an address, refused by the config too
  scheduler.stop();
}
