// One verdict everywhere: each case of a signed test zone (tests/dns/with_dns_zone.sh) is
// judged by the three front ends, the scheduled probes (/metrics), /probe?domain= and the
// probe command (JSON), and they must agree on the domain's verdict and reasons and on every
// address's verdict and reason. Mail servers on 127.0.6.N, MTA-STS policy servers on
// 127.0.6.1NN:443 (needs root). Loopback only.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "command_run.hpp"
#include "dane_cases.hpp"
#include "env.hpp"
#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "probe_command.hpp"
#include "sample_report.hpp"
#include "smtp_test_server.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "starttls_exporter/tlsrpt/report.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

/// One domain's (or one address's) verdict as a front end reported it.
struct Verdict {
  bool success = false;
  std::set<std::string> reasons;  ///< domain: failure reasons; address: the failure reason
  friend bool operator==(const Verdict&, const Verdict&) = default;
};

std::ostream& operator<<(std::ostream& out, const Verdict& v) {
  out << (v.success ? "success" : "failure") << " {";
  for (const auto& r : v.reasons) out << r << " ";
  return out << "}";
}

struct Judged {
  Verdict domain;
  std::map<std::string, Verdict> addresses;  ///< by "TARGET|MX"
};

struct Case {
  std::string domain;
  bool success = false;
  std::string reason;               ///< a domain reason that must be there ("" for none)
  std::string address_reason = {};  ///< the reason of each failing address
};

/// The lines of `page` that start with `prefix`, label text after it up to '}'.
std::vector<std::string> label_sets(const std::string& page, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix))
      out.push_back(line.substr(prefix.size(), line.find('}') - prefix.size()));
  }
  return out;
}

std::string label(const std::string& labels, const std::string& name) {
  const auto at = labels.find(name + "=\"");
  if (at == std::string::npos) return {};
  const auto start = at + name.size() + 2;
  return labels.substr(start, labels.find('"', start) - start);
}

/// What the series on `page` say of `domain` and its addresses.
Judged from_metrics(const std::string& page, const std::string& domain) {
  Judged out;
  const std::string base = "{domain=\"" + domain + "\",module=\"m\"";
  out.domain.success = sample(page, "probe_domain_success" + base + "}") == 1.0;
  for (const auto& labels : label_sets(page, "probe_domain_failure_info" + base + ",")) {
    out.domain.reasons.insert(label(labels, "reason"));
  }
  // Address series carry target, module, mx; a domain's addresses are those of its MX hosts.
  std::set<std::string> hosts;
  for (const auto& labels : label_sets(page, "probe_domain_mx_info" + base + ",")) {
    hosts.insert(label(labels, "mx"));
  }
  for (const auto& labels : label_sets(page, "probe_success{")) {
    if (!hosts.contains(label(labels, "mx"))) continue;
    Verdict& v = out.addresses[label(labels, "target") + "|" + label(labels, "mx")];
    v.success = sample(page, "probe_success{" + labels + "}") == 1.0;
  }
  for (const auto& labels : label_sets(page, "probe_failure_info{")) {
    if (!hosts.contains(label(labels, "mx"))) continue;
    out.addresses[label(labels, "target") + "|" + label(labels, "mx")].reasons.insert(
        label(labels, "reason"));
  }
  return out;
}

Judged from_json(const nlohmann::json& report) {
  Judged out;
  out.domain.success = report.at("success").get<bool>();
  for (const auto& r : report.at("failures")) out.domain.reasons.insert(r.get<std::string>());
  for (const auto& a : report.at("addresses")) {
    Verdict& v =
        out.addresses[a.at("target").get<std::string>() + "|" + a.at("mx").get<std::string>()];
    v.success = a.at("success").get<bool>();
    if (!a.at("failure").is_null())
      v.reasons.insert(a.at("failure").at("reason").get<std::string>());
  }
  return out;
}

using Run = CommandRun;

Run probe_command(const std::vector<std::string>& args) {
  return run_probe_command(args);
}

/// What tests/web/browser_check.py saw of the status page at `port` in headless chromium
/// (screenshots in $BROWSER_SCREENSHOTS, the test log folder).
nlohmann::json browse(std::uint16_t port) {
  const std::string command = "python3 " + dns_zone_env("BROWSER_CHECK") +
                              " http://127.0.0.1:" + std::to_string(port) + " " +
                              dns_zone_env("BROWSER_SCREENSHOTS");
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = ::pclose(pipe);
  CAPTURE(out);
  REQUIRE(status == 0);
  return nlohmann::json::parse(out);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string http(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body;
}

/// The zone, the mail servers and the policy servers of the cases.
struct World {
  TestCa mail_ca{"Verdict Mail CA"};
  TestCa policy_ca{"Verdict Policy CA"};
  std::uint16_t port = 0;
  std::vector<std::unique_ptr<SmtpTestServer>> servers;
  std::vector<std::string> zone;
  std::string leaf_record;  ///< "3 1 1 HEX" of v-dane-bad's served leaf

  void mail(const std::string& address, IssuedCert cert) {
    SmtpServerOptions options;
    options.cert = std::move(cert);
    options.address = address;
    options.port = port;
    servers.push_back(std::make_unique<SmtpTestServer>(options));
    port = servers.back()->port();
  }

  /// NAME.secure.sxt with MX h-NAME on 127.0.6.N, its certificate from the mail CA.
  IssuedCert host(const std::string& name, int n) {
    CertSpec spec;
    spec.common_name = "h-" + name + ".secure.sxt";
    spec.dns_names = {spec.common_name};
    IssuedCert cert = mail_ca.issue(spec);
    const std::string address = "127.0.6." + std::to_string(n);
    mail(address, cert);
    zone.push_back(name + " IN MX 10 h-" + name);
    zone.push_back("h-" + name + " IN A " + address);
    return cert;
  }

  void tlsa(const std::string& name, const std::string& record) {
    zone.push_back("_" + std::to_string(port) + "._tcp.h-" + name + " IN TLSA " + record);
  }

  void policy(const std::string& name, int n, const std::string& body) {
    const std::string domain = name + ".secure.sxt";
    CertSpec spec;
    spec.common_name = "mta-sts." + domain;
    spec.dns_names = {spec.common_name};
    SmtpServerOptions options;
    options.cert = policy_ca.issue(spec);
    options.address = "127.0.6." + std::to_string(100 + n);
    options.port = 443;
    const std::string reply = http(body);
    options.script = [reply](SmtpPeer& peer) {
      if (!peer.start_tls(true)) return;
      while (auto line = peer.read_line()) {
        if (*line == "\r\n" || *line == "\n") break;
      }
      peer.send(reply);
      if (peer.tls()) peer.tls()->bye();
      peer.close(false);
    };
    servers.push_back(std::make_unique<SmtpTestServer>(options));
    zone.push_back("_mta-sts." + name + " IN TXT \"v=STSv1; id=1\"");
    zone.push_back("mta-sts." + name + " IN A " + options.address);
  }

  World() {
    const IssuedCert ok = host("v-dane-ok", 1);
    tlsa("v-dane-ok", testing::tlsa(3, 1, 1, ok.cert_pem));
    const IssuedCert served = host("v-dane-bad", 2);
    leaf_record = testing::tlsa(3, 1, 1, served.cert_pem);
    tlsa("v-dane-bad", testing::tlsa(3, 1, 1, mail_ca.issue({}).cert_pem));
    host("v-sts-enforce", 3);
    policy("v-sts-enforce", 3,
           "version: STSv1\nmode: enforce\nmx: mail.example.test\nmx: *.example.org\n"
           "max_age: 86400\n");
    host("v-sts-testing", 4);
    policy("v-sts-testing", 4,
           "version: STSv1\nmode: testing\nmx: mail.example.test\nmax_age: 86400\n");
    // cname.secure.sxt: MX alias.secure.sxt, a CNAME to mx1 (127.0.0.11) in the base zone.
    CertSpec alias;
    alias.common_name = "alias.secure.sxt";
    alias.dns_names = {"alias.secure.sxt"};
    mail("127.0.0.11", mail_ca.issue(alias));
  }

  void publish() const {
    {
      std::ofstream file(dns_zone_env("DNS_TEST_ZONE_DIR") + "/zones/secure.sxt.zone",
                         std::ios::app);
      for (const auto& line : zone) file << line << "\n";
    }
    const std::string reload =
        dns_zone_env("DNS_ZONE_INSTANCE") + " reload " + dns_zone_env("DNS_TEST_ZONE_DIR");
    REQUIRE(std::system(reload.c_str()) == 0);
  }
};

std::vector<Case> cases() {
  return {
      {"v-dane-ok.secure.sxt", true, ""},
      {"v-dane-bad.secure.sxt", false, "dane_failed", "dane_failed"},
      {"v-sts-enforce.secure.sxt", false, "address_failed", "mta_sts_mx_mismatch"},
      {"v-sts-testing.secure.sxt", true, ""},
      {"bogus.sxt", false, "dns_bogus"},
      {"nullmx.secure.sxt", false, "null_mx"},
      {"cname.secure.sxt", true, ""},
  };
}

/// TLS-RPT beside the probes: a report naming a domain's MX host is counted under the probes'
/// own `mx` label (another host under "other"), and the probe command's text report ends with
/// what senders reported about the domain.
void check_sender_reports(app::Exporter& exporter, const std::string& config_file, int port,
                          const std::string& database) {
  const std::string domain = "v-dane-ok.secure.sxt";
  std::string mx;
  for (const auto& state : exporter.store().domains()) {
    if (state->domain.name == domain && state->path && !state->path->hosts.empty()) {
      mx = state->path->hosts.front().name;
    }
  }
  REQUIRE_FALSE(mx.empty());
  const tlsrpt::Report report = testing::sample_report(
      "one-verdict", "Sender", std::chrono::system_clock::now(), domain, 10,
      {{"certificate-expired", mx, 5}, {"validation-failure", "mx.elsewhere.example", 2}},
      tlsrpt::PolicyType::tlsa);
  store::ReportDatabase(database).ingest(report, "cli", report.end);  // as `tlsrpt import` does
  const std::string page = get(exporter.port(), "/metrics").body;
  const std::string base =
      "tlsrpt_failed_sessions_total{domain=\"" + domain + "\",policy_type=\"tlsa\",result_type=";
  CHECK(contains(page,
                 base + "\"certificate-expired\",mx=\"" + mx + "\",organization=\"sender\"} 5"));
  CHECK(contains(page, base + "\"validation-failure\",mx=\"other\",organization=\"sender\"} 2"));
  const Run text = probe_command(
      {domain + ":" + std::to_string(port), "--module", "m", "--config.file", config_file,
       "--dns.resolver", "127.0.0.1:" + dns_zone_env("DNS_TEST_PORT"), "--dns.trust-anchor-file",
       dns_zone_env("DNS_TEST_TRUST_ANCHOR"), "--dns.allowed-reserved-cidr", "127.0.0.0/8"});
  CAPTURE(text.out);
  CHECK(contains(text.out, "Senders' TLS-RPT reports for " + domain));
  CHECK(contains(text.out, "sessions 10 successful, 7 failed"));
  CHECK(contains(text.out, "certificate-expired 5, validation-failure 2"));
}

}  // namespace

TEST_CASE("one verdict: the scheduled probes, /probe?domain= and the probe command agree") {
  World world;
  world.publish();
  TempDir dir;
  const std::string mail_ca = dir.file("mail-ca.pem", world.mail_ca.cert_pem());
  std::string config =
      "global:\n  interval: 1h\n  timeout: 3s\n"
      "modules:\n  m:\n    tls: {ca_file: " +
      mail_ca +
      "}\n"
      "dns:\n  resolver: 127.0.0.1:" +
      dns_zone_env("DNS_TEST_PORT") +
      "\n  trust_anchor_file: " + dns_zone_env("DNS_TEST_TRUST_ANCHOR") +
      "\n  allowed_reserved_cidrs: [127.0.0.0/8]\n  address_family: ipv4\n"
      "mta_sts:\n  ca_file: " +
      dir.file("policy-ca.pem", world.policy_ca.cert_pem()) +
      "\n  timeout: 2s\n"
      "tlsrpt:\n  database: " +
      (dir.path / "tlsrpt.db").string() +
      "\n"
      "domains:\n";
  for (const auto& c : cases()) {
    config +=
        "  - {domain: " + c.domain + ", module: m, port: " + std::to_string(world.port) + "}\n";
  }
  const std::string config_file = dir.file("exporter.yml", config);
  app::Exporter exporter(local_exporter(config_file));
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = get(exporter.port(), "/metrics").body;
        for (const auto& c : cases()) {
          const Judged j = from_metrics(page, c.domain);
          const std::string base = "{domain=\"" + c.domain + "\",module=\"m\"}";
          const auto addresses = sample(page, "probe_domain_addresses" + base);
          if (!sample(page, "probe_domain_success" + base) || !addresses ||
              j.addresses.size() != static_cast<std::size_t>(*addresses)) {
            return false;  // not resolved yet, or an address without a result yet
          }
          for (const auto& [key, v] : j.addresses) {
            if (!v.success && v.reasons.empty()) return false;  // no result yet
          }
        }
        return true;
      },
      kSettleDeadline));

  for (const auto& c : cases()) {
    CAPTURE(c.domain);
    const Judged scheduled = from_metrics(page, c.domain);
    const HttpReply now = get(exporter.port(), "/probe?domain=" + c.domain + "&module=m");
    REQUIRE(now.status == 200);
    const Judged on_demand = from_metrics(now.body, c.domain);
    const Run cli = probe_command(
        {c.domain + ":" + std::to_string(world.port), "--module", "m", "--config.file", config_file,
         "--dns.resolver", "127.0.0.1:" + dns_zone_env("DNS_TEST_PORT"), "--dns.trust-anchor-file",
         dns_zone_env("DNS_TEST_TRUST_ANCHOR"), "--dns.allowed-reserved-cidr", "127.0.0.0/8",
         "--output", "json"});
    CAPTURE(cli.out);
    const Judged command = from_json(nlohmann::json::parse(cli.out));

    CHECK(scheduled.domain.success == c.success);
    if (!c.reason.empty()) CHECK(scheduled.domain.reasons.contains(c.reason));
    if (c.success) CHECK(scheduled.domain.reasons.empty());
    for (const auto& [key, v] : scheduled.addresses) {
      CAPTURE(key);
      if (!c.address_reason.empty()) CHECK(v.reasons == std::set<std::string>{c.address_reason});
      CHECK(v.success == c.success);
    }
    CHECK(on_demand.domain == scheduled.domain);
    CHECK(command.domain == scheduled.domain);
    CHECK(on_demand.addresses == scheduled.addresses);
    CHECK(command.addresses == scheduled.addresses);
    CHECK(cli.code == (c.success ? 0 : 1));
  }

  // The status page in a real browser says the same: each domain's verdict and a failing
  // address's reason; the first failing domain's report opens, and its drill-down too.
  const nlohmann::json view = browse(exporter.port());
  CAPTURE(view.dump(2));
  const auto& rows = view.at("landing").at("domains");
  REQUIRE(rows.size() == cases().size());
  CHECK(rows.front().at("Verdict") == "failing");  // failing domains come first
  for (const auto& c : cases()) {
    CAPTURE(c.domain);
    const auto row = std::find_if(rows.begin(), rows.end(),
                                  [&](const auto& r) { return r.at("Domain") == c.domain; });
    REQUIRE(row != rows.end());
    CHECK(row->at("visible").get<bool>());
    CHECK(row->at("Verdict") == (c.success ? "deliverable" : "failing"));
    const std::string failing = row->at("Failing").get<std::string>();
    if (!c.address_reason.empty()) CHECK(contains(failing, c.address_reason));
    if (c.reason == "dns_bogus" || c.reason == "null_mx") CHECK(contains(failing, c.reason));
    if (c.success) CHECK(failing.empty());
  }
  CHECK(view.at("clicked") == "report?domain=v-dane-bad.secure.sxt&module=m");
  const auto& report = view.at("report");
  CHECK(report.at("url") == "/report?domain=v-dane-bad.secure.sxt&module=m");
  CHECK(report.at("heading") == "Mail domain v-dane-bad.secure.sxt");
  const std::string report_text = report.at("text").get<std::string>();
  CHECK(contains(report_text, "Result: FAILURE"));
  CHECK(contains(report_text, "would match the served leaf:   " + world.leaf_record));
  CHECK(contains(report_text, "FAIL: DANE applies: no_match, none of 1 usable TLSA records"));
  CHECK(report.at("details").get<int>() >= 1);
  CHECK_FALSE(report.at("first_open").get<bool>());
  CHECK(report.at("first_open_after_click").get<bool>());
  // Offline under the Content-Security-Policy: every request to the exporter, no violation.
  for (const auto& url : view.at("requests")) {
    CHECK(
        url.get<std::string>().starts_with("http://127.0.0.1:" + std::to_string(exporter.port())));
  }
  for (const auto& message : view.at("console")) {
    CHECK_FALSE(contains(message.get<std::string>(), "Content Security Policy"));
  }
  CHECK(view.at("screenshots").size() == 2);
  check_sender_reports(exporter, config_file, world.port, (dir.path / "tlsrpt.db").string());
}

TEST_CASE("one verdict: the probe command's report shows what each verdict rests on") {
  World world;
  world.publish();
  TempDir dir;
  const std::vector<std::string> dns = {"--dns.resolver",
                                        "127.0.0.1:" + dns_zone_env("DNS_TEST_PORT"),
                                        "--dns.trust-anchor-file",
                                        dns_zone_env("DNS_TEST_TRUST_ANCHOR"),
                                        "--dns.allowed-reserved-cidr",
                                        "127.0.0.0/8",
                                        "--ca-file",
                                        dir.file("mail-ca.pem", world.mail_ca.cert_pem()),
                                        "--mta-sts.ca-file",
                                        dir.file("policy-ca.pem", world.policy_ca.cert_pem())};
  const auto text = [&](const std::string& domain) {
    std::vector<std::string> args{domain + ":" + std::to_string(world.port)};
    args.insert(args.end(), dns.begin(), dns.end());
    return probe_command(args);
  };

  // An enforce policy that lists none of the MX hosts: exit 1, the pattern list named.
  const Run enforce = text("v-sts-enforce.secure.sxt");
  CAPTURE(enforce.out);
  CHECK(enforce.code == 1);
  CHECK(enforce.out.find("Result: FAILURE") != std::string::npos);
  CHECK(enforce.out.find("mode enforce, max_age 86400, mx mail.example.test, *.example.org") !=
        std::string::npos);
  CHECK(enforce.out.find("MTA-STS enforce: h-v-sts-enforce.secure.sxt matches no pattern (mx: "
                         "mail.example.test, *.example.org)") != std::string::npos);

  // A DANE mismatch: the records as published, and the record the served leaf would need.
  const Run dane = text("v-dane-bad.secure.sxt");
  CAPTURE(dane.out);
  CHECK(dane.code == 1);
  CHECK(dane.out.find("TLSA at _" + std::to_string(world.port) +
                      "._tcp.h-v-dane-bad.secure.sxt: secure") != std::string::npos);
  CHECK(dane.out.find("    published 3 1 1 ") != std::string::npos);
  CHECK(dane.out.find("(usable)") != std::string::npos);
  CHECK(dane.out.find("would match the served leaf:   " + world.leaf_record) != std::string::npos);
  CHECK(dane.out.find("the served leaf needs " + world.leaf_record) != std::string::npos);

  // A DANE match: the rule that decided, in one line.
  const Run match = text("v-dane-ok.secure.sxt");
  CAPTURE(match.out);
  CHECK(match.code == 0);
  CHECK(match.out.find("DANE applies: 3 1 1 matched the leaf; PKIX not required") !=
        std::string::npos);
  CHECK(match.out.find("matched: yes") != std::string::npos);
}
