// MTA-STS end to end: app::Exporter resolves each domain's _mta-sts record in the signed test
// zone (tests/dns/with_dns_zone.sh), resolves mta-sts.DOMAIN, fetches the policy over HTTPS
// from an in-process server on 127.0.4.N:443 and judges it as a sender would (RFC 8461),
// checked against the domain's MX host. Needs root for port 443. Loopback only.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "env.hpp"
#include "exporter.hpp"
#include "exporter_options.hpp"
#include "http_client.hpp"
#include "oracle.hpp"
#include "smtp_test_server.hpp"
#include "test_pki.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kEnforce = "version: STSv1\r\nmode: enforce\r\nmx: MX\r\nmax_age: 86400\r\n";

std::string http(const std::string& status, const std::string& type, const std::string& body) {
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\n\r\n" + body;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

struct Case {
  std::string name = {};     ///< the domain is NAME.secure.sxt, its MX host h-NAME.secure.sxt
  std::string reply = {};    ///< the policy server's reply ("" never answers); MX is the MX host
  std::string failure = {};  ///< probe_mta_sts_failure_info reason, "" for none
  std::string mode = {};     ///< probe_mta_sts_mode_info, "" when the policy is not valid
  int mismatch = 0;          ///< probe_mta_sts_mx_mismatch
  bool expired = false;      ///< the policy host's certificate expired
  bool wrong_name = false;
};

class PolicyServers {
 public:
  explicit PolicyServers(const std::vector<Case>& cases) {
    int n = 1;
    for (const auto& c : cases) {
      const std::string domain = c.name + ".secure.sxt";
      const std::string address = "127.0.4." + std::to_string(n++);
      CertSpec spec;
      spec.common_name = "mta-sts." + domain;
      spec.dns_names = {c.wrong_name ? "www." + domain : spec.common_name};
      if (c.expired) {
        spec.not_before = std::chrono::system_clock::now() - 48h;
        spec.not_after = std::chrono::system_clock::now() - 24h;
      }
      SmtpServerOptions options;
      options.cert = ca.issue(spec);
      options.address = address;
      options.port = 443;
      options.script = serve(replace(c.reply, "MX", "h-" + domain), c.name == "changed");
      servers.push_back(std::make_unique<SmtpTestServer>(options));
      lines.push_back(c.name + " IN MX 10 h-" + c.name);
      lines.push_back("h-" + c.name + " IN A 127.0.4.200");
      lines.push_back("_mta-sts." + c.name + " IN TXT \"v=STSv1; id=20261202\"");
      lines.push_back("mta-sts." + c.name + " IN A " + address);
    }
  }

  /// Answers each request with `reply`; with `changing`, every answer after the first has
  /// another body (an edit published without a new id).
  SmtpScript serve(std::string reply, bool changing) {
    return [this, reply, changing](SmtpPeer& peer) {
      if (!peer.start_tls(true)) return;
      while (auto line = peer.read_line()) {
        if (*line == "\r\n" || *line == "\n") break;
      }
      if (reply.empty()) return peer.wait_for_close();
      std::string body = reply;
      if (changing && fetches.fetch_add(1) > 0) body = replace(body, "86400", "604800");
      peer.send(body);
      if (peer.tls()) peer.tls()->bye();
      peer.close(false);
    };
  }

  void publish(const std::string& zone_dir, const std::string& instance) const {
    {
      std::ofstream zone(zone_dir + "/zones/secure.sxt.zone", std::ios::app);
      for (const auto& line : lines) zone << line << "\n";
    }
    REQUIRE(std::system((instance + " reload " + zone_dir).c_str()) == 0);
  }

  /// The MX hosts' one SMTP server, on 127.0.4.200: its certificate names every MX host but
  /// h-s-enforcename's, so PKIX passes for all others.
  void start_mail(const std::vector<Case>& cases) {
    CertSpec spec;
    spec.common_name = "h-s-enforce.secure.sxt";
    spec.dns_names.clear();
    for (const auto& c : cases) {
      if (c.name != "s-enforcename") spec.dns_names.push_back("h-" + c.name + ".secure.sxt");
    }
    SmtpServerOptions options;
    options.cert = mail_ca.issue(spec);
    options.address = "127.0.4.200";
    mail = std::make_unique<SmtpTestServer>(options);
  }

  TestCa ca{"Policy Host CA"};
  TestCa mail_ca{"Mail CA"};
  std::unique_ptr<SmtpTestServer> mail;
  std::atomic<int> fetches{0};
  std::vector<std::string> lines;
  std::vector<std::unique_ptr<SmtpTestServer>> servers;
};

std::vector<Case> cases() {
  const std::string ok = http("200 OK", "text/plain", kEnforce);
  return {
      {"s-enforce", ok, "", "enforce"},
      {"s-testing",
       http("200 OK", "text/plain; charset=utf-8",
            "version: STSv1\nmode: testing\nmx: *.secure.sxt\nmax_age: 3600\n"),
       "", "testing"},
      {"s-none", http("200 OK", "text/plain", "version: STSv1\nmode: none\nmax_age: 0\n"), "",
       "none"},
      {"s-mismatch",
       http("200 OK", "text/plain",
            "version: STSv1\nmode: enforce\nmx: mail.example.test\nmx: *.sxt\nmax_age: 60\n"),
       "mx_mismatch", "enforce", 1},
      {"s-redirect", "HTTP/1.1 301 Moved\r\nLocation: https://elsewhere.test/\r\n\r\n", "redirect"},
      {"s-status", http("404 Not Found", "text/plain", ""), "http_status"},
      {"s-ctype", http("200 OK", "text/html", kEnforce), "content_type"},
      {"s-large", http("200 OK", "text/plain", std::string(64 * 1024 + 1, 'x')), "too_large"},
      {"s-invalid",
       http("200 OK", "text/plain", "version: STSv1\nmode: enforce\nmx: MX\nmax_age: 31557601\n"),
       "policy_invalid"},
      {"s-expired", ok, "cert_invalid", "", 0, true},
      {"s-wrongname", ok, "cert_invalid", "", 0, false, true},
      {"s-silent", "", "fetch_failed"},
      {"s-enforcename", ok, "", "enforce"},
      {"changed", ok, "", "enforce"},
  };
}

std::string config_text(const TempDir& dir, const PolicyServers& servers,
                        const std::vector<Case>& all) {
  std::string text =
      "global:\n  interval: 1h\n  timeout: 2s\n"
      "modules:\n  m:\n    tls: {ca_file: " +
      dir.file("mail-ca.pem", servers.mail_ca.cert_pem()) +
      "}\n"
      "dns:\n  resolver: 127.0.0.1:" +
      dns_zone_env("DNS_TEST_PORT") +
      "\n  trust_anchor_file: " + dns_zone_env("DNS_TEST_TRUST_ANCHOR") +
      "\n  allowed_reserved_cidrs: [127.0.0.0/8]\n  address_family: ipv4\n"
      "  min_refresh: 1s\n  max_refresh: 1s\n"
      "mta_sts:\n  ca_file: " +
      dir.file("policy-ca.pem", servers.ca.cert_pem()) +
      "\n  refresh: 1s\n  timeout: 1s\n"
      "domains:\n";
  for (const auto& c : all) {
    text += "  - {domain: " + c.name +
            ".secure.sxt, module: m, port: " + std::to_string(servers.mail->port()) + "}\n";
  }
  return text;
}

std::string address_labels(const PolicyServers& servers, const Case& c) {
  return "{target=\"127.0.4.200:" + std::to_string(servers.mail->port()) +
         "\",module=\"m\",mx=\"h-" + c.name + ".secure.sxt\"}";
}

std::string with_label(const std::string& labels, const std::string& extra) {
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

}  // namespace

TEST_CASE("MTA-STS: each domain's policy fetched over HTTPS and judged as a sender would") {
  const auto all = cases();
  PolicyServers servers(all);
  servers.start_mail(all);
  servers.publish(dns_zone_env("DNS_TEST_ZONE_DIR"), dns_zone_env("DNS_ZONE_INSTANCE"));
  TempDir dir;
  app::Exporter exporter(local_exporter(dir.file("exporter.yml", config_text(dir, servers, all))));
  const auto labels = [](const Case& c, const std::string& extra = "") {
    return "{domain=\"" + c.name + ".secure.sxt\",module=\"m\"" + extra + "}";
  };
  std::string page;
  REQUIRE(eventually(
      [&] {
        page = get(exporter.port(), "/metrics").body;
        for (const auto& c : all) {
          if (!sample(page, "probe_mta_sts_policy_valid" + labels(c))) return false;
        }
        return sample(page, "probe_mta_sts_policy_changed_without_new_id" + labels(all.back())) ==
               1.0;
      },
      kSettleDeadline));
  for (const auto& c : all) {
    CAPTURE(c.name);
    CHECK(sample(page, "probe_mta_sts_policy_valid" + labels(c)) == (c.mode.empty() ? 0.0 : 1.0));
    if (!c.failure.empty()) {
      CHECK(sample(page, "probe_mta_sts_failure_info" +
                             labels(c, ",reason=\"" + c.failure + "\"")) == 1.0);
    } else {
      CHECK(page.find("probe_mta_sts_failure_info" + labels(c).substr(0, labels(c).size() - 1)) ==
            std::string::npos);
    }
    if (!c.mode.empty()) {
      CHECK(sample(page, "probe_mta_sts_mode_info" + labels(c, ",mode=\"" + c.mode + "\"")) == 1.0);
    }
    if (!c.mode.empty() && c.mode != "none") {
      CHECK(sample(page, "probe_mta_sts_mx_mismatch" + labels(c)) == c.mismatch);
    }
  }
  const Case& mismatch = all[3];
  CHECK(sample(page, "probe_mta_sts_unmatched_mx_info" +
                         labels(mismatch, ",mx=\"h-s-mismatch.secure.sxt\"")) == 1.0);
  CHECK(sample(page, "probe_mta_sts_max_age_seconds" + labels(all[0])) == 86400.0);
  CHECK(sample(page, "probe_mta_sts_policy_cert_expiry_timestamp_seconds" + labels(all[0])) > 0);
  CHECK(sample(page, "probe_mta_sts_policy_cert_expiry_timestamp_seconds" + labels(all[9])) > 0);
  CHECK(sample(page, "probe_mta_sts_policy_problem_info" +
                         labels(all[8], ",problem=\"max_age_out_of_range\"")) == 1.0);
  CHECK(sample(page, "probe_mta_sts_policy_changed_without_new_id" + labels(all[0])) == 0.0);
  // The silent policy server cost its fetch the 1 s deadline, not more.
  CHECK(sample(page, "probe_mta_sts_policy_fetch_duration_seconds" + labels(all[11])) < 5.0);

  // The sender's view: an enforce policy adds its rule (the MX host matches a pattern, PKIX
  // for its name); testing, none and unusable policies add none, and PKIX decides alone.
  std::string probes;
  REQUIRE(eventually(
      [&] {
        probes = get(exporter.port(), "/metrics").body;
        for (const auto& c : all) {
          if (!sample(probes, "probe_success" + address_labels(servers, c))) return false;
        }
        return true;
      },
      kSettleDeadline));
  for (const auto& c : all) {
    CAPTURE(c.name);
    const std::string at = address_labels(servers, c);
    const bool enforced = c.mode == "enforce";
    const bool expect = c.name != "s-mismatch" && c.name != "s-enforcename";
    CHECK(sample(probes, "probe_success" + at) == (expect ? 1.0 : 0.0));
    CHECK(sample(probes, "probe_verification_policy_info" +
                             with_label(at, enforced ? "policy=\"mta_sts\"" : "policy=\"pkix\"")) ==
          1.0);
    CHECK(sample(probes, "probe_domain_success{domain=\"" + c.name +
                             ".secure.sxt\",module=\"m\"}") == (expect ? 1.0 : 0.0));
  }
  CHECK(sample(probes, "probe_failure_info" +
                           with_label(address_labels(servers, all[3]),
                                      "phase=\"verify\",reason=\"mta_sts_mx_mismatch\"")) == 1.0);
  CHECK(sample(probes, "probe_failure_info" +
                           with_label(address_labels(servers, all[12]),
                                      "phase=\"verify\",reason=\"cert_hostname_mismatch\"")) ==
        1.0);

  // /probe?domain= fetches the policy afresh and applies it the same way.
  const HttpReply now = get(exporter.port(), "/probe?domain=s-mismatch.secure.sxt&module=m");
  REQUIRE(now.status == 200);
  CHECK(sample(now.body, "probe_mta_sts_policy_valid" + labels(all[3])) == 1.0);
  CHECK(sample(now.body, "probe_mta_sts_mx_mismatch" + labels(all[3])) == 1.0);
  CHECK(sample(now.body, "probe_failure_info" +
                             with_label(address_labels(servers, all[3]),
                                        "phase=\"verify\",reason=\"mta_sts_mx_mismatch\"")) == 1.0);

  // The independent oracle: mta-sts-query (postfix-mta-sts-resolver) must find a valid policy,
  // with the same mode, exactly where the exporter does.
  if (const char* oracle = std::getenv("MTA_STS_ORACLE")) {
    const std::string ca = dir.file("policy-ca.pem", servers.ca.cert_pem());
    for (const auto& c : all) {
      CAPTURE(c.name);
      const OracleAnswer answer = ask_oracle(oracle, c.name + ".secure.sxt " + ca);
      CAPTURE(answer.output);
      REQUIRE(answer.verdict != 2);
      CHECK((answer.verdict == 0) == !c.mode.empty());
      if (!c.mode.empty()) CHECK(answer.output.find("mode=" + c.mode) != std::string::npos);
    }
  }
}
