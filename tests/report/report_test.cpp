// The report area: the HTML report is the text report marked for CSS (the same facts, every
// byte of a server's text escaped), and the status page's summary is judged by the one domain
// rule. Plain values, no I/O.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>

#include "format.hpp"
#include "starttls_exporter/report/report.hpp"

using namespace starttls_exporter;

namespace {

const SystemTime kNow = std::chrono::system_clock::from_time_t(1'800'000'000);

/// `html` as a browser shows it: tags dropped, the five references read back.
std::string shown(std::string html) {
  std::string out;
  for (std::size_t i = 0; i < html.size(); ++i) {
    if (html[i] == '<') {
      i = html.find('>', i);
      continue;
    }
    out += html[i];
  }
  for (const auto& [ref, c] :
       {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (std::size_t at; (at = out.find(ref)) != std::string::npos;)
      out.replace(at, std::strlen(ref), c);
  }
  return out;
}

/// example.test with one MX host and two addresses: one failing with a hostile reply, one
/// not probed yet.
domains::DomainProbe probe_of_example() {
  auto path = std::make_shared<dns::MailPath>();
  path->resolved = path->secure = true;
  dns::MxHost host;
  host.name = host.canonical_name = "mx.example.test";
  host.preference = 10;
  host.addresses = {"192.0.2.1", "192.0.2.2"};
  path->hosts.push_back(host);
  auto state = std::make_shared<domains::DomainState>();
  state->domain.name = "example.test";
  state->domain.module = "m";
  state->path = state->probed = path;
  std::vector<scheduler::ScheduledTarget> targets(2);
  for (int i = 0; i < 2; ++i) {
    auto& t = targets[i];
    t.info.endpoint = "192.0.2." + std::to_string(i + 1) + ":25";
    t.info.key = t.info.endpoint + "|m|mx.example.test";
    t.info.labels["mx"] = "mx.example.test";
    t.spec.address = "192.0.2." + std::to_string(i + 1);
    t.spec.server_name = "mx.example.test";
  }
  state->targets = std::make_shared<const std::vector<scheduler::ScheduledTarget>>(targets);
  auto failed = std::make_shared<ProbeResult>();
  failed->failure = Failure{Phase::banner, FailureReason::rejected_permanent, 554,
                            "554 <script>alert(1)</script>\x0e"
                            "31\x0f"
                            "& more"};
  domains::LatestResults latest{{targets[0].info.key, failed}};
  return domains::stored_probe(state, latest);
}

}  // namespace

TEST_CASE("marked text becomes escaped HTML with CSS classes; stray markers change nothing") {
  const report::Paint paint{report::Colour::markup};
  CHECK(report::html_from_marked("Result: " + paint("FAILURE", "1;31") + " <x>") ==
        "Result: <span class=\"strong bad\">FAILURE</span> &lt;x&gt;");
  CHECK(report::html_from_marked(paint("ok", "32") + paint("hm", "33")) ==
        "<span class=\"good\">ok</span><span class=\"warn\">hm</span>");
  // An unterminated or foreign marker is text (its control byte shown as U+FFFD).
  CHECK(report::html_from_marked("a\x0e<b>") == "a\xef\xbf\xbd&lt;b&gt;");
  // A span left open by hostile text is closed at the end; a close without an open is dropped.
  CHECK(report::html_from_marked("\x0e"
                                 "31\x0f"
                                 "x") == "<span class=\"bad\">x</span>");
  CHECK(report::html_from_marked("x\x0e\x0f") == "x");
}

TEST_CASE("the HTML report says what the text report says, escaped, with a drill-down") {
  const domains::DomainProbe probe = probe_of_example();
  const std::string html = report::domain_html_report(probe, 25, kNow);
  const std::string text = report::domain_text_report(probe, 25, kNow, false);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  const std::string seen = shown(html);
  // The text report's head, and each address's report, appear as they are.
  const std::string head = text.substr(0, text.find("\n=== ") + 1);
  CHECK(seen.find(head) != std::string::npos);
  CHECK(head.find("Result: FAILURE (0 of 2 addresses pass)") != std::string::npos);
  CHECK(head.find("192.0.2.2:25 (mx.example.test): pending: not probed yet") != std::string::npos);
  CHECK(html.find("<details><summary>192.0.2.1:25 (mx.example.test): <span class=\"bad\">FAIL"
                  "</span>: no TLS handshake: banner rejected_permanent</summary>") !=
        std::string::npos);
  CHECK(seen.find("Not probed yet.") != std::string::npos);
}

TEST_CASE("the status page's summary is the domain rule's verdict") {
  const report::DomainSummary summary = report::summarize(probe_of_example());
  CHECK(summary.resolved);
  CHECK_FALSE(summary.success);
  CHECK(summary.failing ==
        std::vector<std::string>{"192.0.2.1:25 (mx.example.test): rejected_permanent",
                                 "192.0.2.2:25 (mx.example.test): not probed yet"});
  CHECK(summary.domain_failures.empty());  // address_failed is shown per address
  CHECK(summary.dnssec_secure);
  CHECK(summary.dane == "none");
  CHECK(summary.mta_sts == "none");
  CHECK_FALSE(summary.earliest_expiry);
  CHECK(report::domain_verdict(probe_of_example()).failing == 2);
}
