// TLS-RPT report parsing (src/tlsrpt) on fixtures: RFC 8460's example, the quirks real senders
// show, and hostile bodies (a gzip bomb, deep nesting, too many details, truncated gzip).
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/tlsrpt/report.hpp"

using namespace starttls_exporter;
using tlsrpt::Refusal;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TLSRPT_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("RFC 8460's example, as JSON and gzipped, reads the same") {
  const auto json = tlsrpt::decode_and_parse(fixture("rfc8460.json"));
  const auto gzipped = tlsrpt::decode_and_parse(fixture("rfc8460.json.gz"));
  REQUIRE(json.report);
  REQUIRE(gzipped.report);
  const tlsrpt::Report& r = *json.report;
  CHECK(r.organization_name == "Company-X");
  CHECK(r.organization == "company-x");
  CHECK(r.report_id == "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
  CHECK(text::rfc3339(r.start) == "2016-04-01T00:00:00Z");
  CHECK(text::rfc3339(r.end) == "2016-04-01T23:59:59Z");
  REQUIRE(r.policies.size() == 1);
  const tlsrpt::PolicyResult& p = r.policies[0];
  CHECK(p.type == tlsrpt::PolicyType::sts);
  CHECK(p.policy_domain == "company-y.example");
  CHECK(p.mx_hosts == std::vector<std::string>{"*.mail.company-y.example"});
  CHECK(p.policy_strings.size() == 4);
  CHECK(p.successful_sessions == 5326);
  CHECK(p.failed_sessions == 303);  // the summary's own count (the details sum to 303 too)
  REQUIRE(p.failures.size() == 3);
  CHECK(p.failures[0].result_type == "certificate-expired");
  CHECK(p.failures[0].receiving_mx_hostname == "mx1.mail.company-y.example");
  CHECK(p.failures[1].receiving_ip == "203.0.113.56");
  CHECK(p.failures[2].failure_reason_code == "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED");
  CHECK(gzipped.report->report_id == r.report_id);
  CHECK(gzipped.report->policies[0].failures.size() == 3);
}

TEST_CASE("senders' quirks are read; what is counted is strict") {
  const auto parsed = tlsrpt::decode_and_parse(fixture("quirks.json"));
  REQUIRE(parsed.report);
  const tlsrpt::Report& r = *parsed.report;
  CHECK(r.organization == "microsoft corporation");
  CHECK(r.contact_info.empty());                            // null
  CHECK(text::rfc3339(r.start) == "2026-11-30T00:00:00Z");  // no zone: UTC
  CHECK(text::rfc3339(r.end) == "2026-12-01T00:00:00Z");    // the next day's midnight
  REQUIRE(r.policies.size() == 3);
  const auto& tlsa = r.policies[0];
  CHECK(tlsa.type == tlsrpt::PolicyType::tlsa);
  CHECK(tlsa.policy_domain == "example.test");
  CHECK(tlsa.mx_hosts == std::vector<std::string>{"mx1.example.test"});  // a string
  CHECK(tlsa.policy_strings == std::vector<std::string>{"3 1 1 AABBCC", "2 1 1 DDEEFF"});
  CHECK(tlsa.failed_sessions == 7);  // the summary, though the details sum to 3
  REQUIRE(tlsa.failures.size() == 2);
  CHECK(tlsa.failures[0].result_type == "dane-required");
  CHECK(tlsa.failures[1].result_type == "unknown");
  CHECK(tlsa.failures[1].reported_result_type == "something-new");
  const auto& sts = r.policies[1];
  CHECK(sts.mx_hosts.empty());
  CHECK(sts.failures.at(0).result_type == "sts-policy-fetch-error");
  CHECK(sts.failures.at(0).receiving_mx_hostname.empty());  // a fetch error has no MX
  CHECK(r.policies[2].type == tlsrpt::PolicyType::no_policy_found);
  CHECK(r.policies[2].failures.empty());  // failure-details absent
}

TEST_CASE("hostile bodies are refused within their bounds") {
  const auto bomb = tlsrpt::decode_and_parse(fixture("bomb.json.gz"));
  CHECK(bomb.refusal == Refusal::too_large);  // 21 MiB inflated, the limit is 20 MiB
  CHECK(tlsrpt::decode_and_parse(fixture("deep.json")).refusal == Refusal::malformed);
  const std::string gzip = fixture("rfc8460.json.gz");
  CHECK(tlsrpt::decode_and_parse(gzip.substr(0, gzip.size() / 2)).refusal == Refusal::malformed);
  CHECK(tlsrpt::decode_and_parse("not json").refusal == Refusal::malformed);
  CHECK(tlsrpt::decode_and_parse("[]").refusal == Refusal::malformed);
  tlsrpt::Limits small;
  small.max_failure_details = 2;
  CHECK(tlsrpt::decode_and_parse(fixture("rfc8460.json"), small).refusal == Refusal::malformed);
  small = {};
  small.max_compressed_bytes = 100;
  CHECK(tlsrpt::decode_and_parse(fixture("rfc8460.json"), small).refusal == Refusal::too_large);
  // A report without its identity or its period is not counted.
  CHECK(tlsrpt::parse_report(R"({"organization-name":"x","date-range":{"start-datetime":
        "2026-01-01T00:00:00Z","end-datetime":"2026-01-02T00:00:00Z"},"policies":[]})")
            .refusal == Refusal::malformed);
}

TEST_CASE("labels: result types from the IANA registry, organizations normalised and bounded") {
  CHECK(tlsrpt::normalise_result_type("Certificate-Expired") == "certificate-expired");
  CHECK(tlsrpt::normalise_result_type("sts-webpki-invalid") == "sts-webpki-invalid");
  CHECK(tlsrpt::normalise_result_type("<script>") == "unknown");
  CHECK(tlsrpt::normalise_organization("Google Inc.") == "google inc");
  CHECK(tlsrpt::normalise_organization("mail.Example.COM.") == "mail.example.com");
  CHECK(tlsrpt::normalise_organization("\"}\n{evil=1") == "evil1");
  CHECK(tlsrpt::normalise_organization("  ") == "unknown");
  CHECK(tlsrpt::normalise_organization(std::string(200, 'a')).size() == 64);
}

TEST_CASE("date-times: Z, offsets, fractions, no zone; nonsense refused") {
  CHECK(text::rfc3339(*tlsrpt::parse_datetime("2026-12-07T10:00:00+02:00")) ==
        "2026-12-07T08:00:00Z");
  CHECK(text::rfc3339(*tlsrpt::parse_datetime("2026-12-07T10:00:00.123Z")) ==
        "2026-12-07T10:00:00Z");
  CHECK(text::rfc3339(*tlsrpt::parse_datetime("2026-12-07 10:00:00")) == "2026-12-07T10:00:00Z");
  CHECK_FALSE(tlsrpt::parse_datetime("2026-02-30T00:00:00Z"));
  CHECK_FALSE(tlsrpt::parse_datetime("yesterday"));
  CHECK_FALSE(tlsrpt::parse_datetime("2026-12-07T10:00:00Zjunk"));
}

TEST_CASE("report mails: the labelled part, else a part whose bytes are gzip or JSON") {
  const auto labelled = tlsrpt::report_from_mail(fixture("google.eml"));
  REQUIRE(labelled.body);
  const auto google = tlsrpt::decode_and_parse(*labelled.body);
  REQUIRE(google.report);
  CHECK(google.report->organization_name == "Google Inc.");
  // application/octet-stream around gzip: found by its bytes, as the issue's senders need.
  const auto sniffed = tlsrpt::report_from_mail(fixture("unlabelled.eml"));
  REQUIRE(sniffed.body);
  CHECK(tlsrpt::decode_and_parse(*sniffed.body).report->report_id ==
        "133780000000000000+example.test");
  CHECK(tlsrpt::report_from_mail("Subject: hi\r\n\r\nno report here\r\n").refusal ==
        Refusal::malformed);
  CHECK(tlsrpt::report_from_mail("").refusal == Refusal::malformed);
  tlsrpt::Limits small;
  small.max_message_bytes = 100;
  CHECK(tlsrpt::report_from_mail(fixture("google.eml"), small).refusal == Refusal::too_large);
  CHECK(tlsrpt::looks_like_report_body(fixture("rfc8460.json.gz")));
  CHECK(tlsrpt::looks_like_report_body(" \n{\"a\":1}"));
  CHECK_FALSE(tlsrpt::looks_like_report_body(fixture("google.eml")));
}
