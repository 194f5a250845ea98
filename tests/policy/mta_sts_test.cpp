// MTA-STS and TLS-RPT as text: the TXT records, the policy file and MX patterns (RFC 8461,
// RFC 8460), each rule with the input that breaks it.
#include <doctest/doctest.h>

#include "starttls_exporter/policy/mta_sts.hpp"

using namespace starttls_exporter::mta_sts;

namespace {

std::vector<PolicyProblem> problems_of(std::string_view body) {
  return parse_policy(body).problems;
}

}  // namespace

TEST_CASE("the _mta-sts record: exactly one v=STSv1 record with a 1-32 alphanumeric id") {
  auto r = parse_sts_records({"v=STSv1; id=2026120212"});
  REQUIRE(r.record);
  CHECK(r.record->id == "2026120212");
  // Other TXT records are ignored; a final ";" and whitespace around ";" are allowed.
  r = parse_sts_records({"google-site-verification=abc", "v=STSv1 ;  id=abc;"});
  REQUIRE(r.record);
  CHECK(r.record->id == "abc");
  // Unknown fields are accepted when they follow the grammar.
  CHECK(parse_sts_records({"v=STSv1; id=a1; ext.x_y-z=some:value"}).record);
  CHECK(parse_sts_records({}).failure == RecordFailure::no_record);
  CHECK(parse_sts_records({"v=STSv2; id=1", "v=STSv10; id=1"}).failure == RecordFailure::no_record);
  CHECK(parse_sts_records({"v=STSv1; id=1", "v=STSv1; id=2"}).failure ==
        RecordFailure::multiple_records);
  struct Bad {
    const char* record;
    const char* detail;
  };
  for (const Bad b : {Bad{"v=STSv1", "no id field"}, Bad{"v=STSv1;", "no id field"},
                      Bad{"v=STSv1; id=", "id must be 1 to 32 letters and digits"},
                      Bad{"v=STSv1; id=2026-12-02", "id must be 1 to 32 letters and digits"},
                      Bad{"v=STSv1; id=123456789012345678901234567890123",
                          "id must be 1 to 32 letters and digits"},
                      Bad{"v=STSv1;; id=1", "an empty field (two \";\" in a row)"},
                      Bad{"v=STSv1; id", "field \"id\" has no \"=\""},
                      Bad{"v=STSv1; id=1; _x=1", "bad field name \"_x\""},
                      Bad{"v=STSv1; id=1; x=a b", "bad value for field \"x\""}}) {
    CAPTURE(b.record);
    const auto parsed = parse_sts_records({b.record});
    CHECK(parsed.failure == RecordFailure::record_invalid);
    CHECK(parsed.detail == b.detail);
  }
}

TEST_CASE("the _smtp._tls record: exactly one v=TLSRPTv1 record with mailto: or https: rua") {
  auto r = parse_tlsrpt_records({"v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example/x"});
  REQUIRE(r.record);
  CHECK(r.record->rua == std::vector<std::string>{"mailto:tls@example.com", "https://r.example/x"});
  CHECK(parse_tlsrpt_records({"v=TLSRPTv1;rua=MAILTO:a@b.c"}).record);
  CHECK(parse_tlsrpt_records({"v=spf1 -all"}).failure == RecordFailure::no_record);
  CHECK(
      parse_tlsrpt_records({"v=TLSRPTv1; rua=mailto:a@b", "v=TLSRPTv1; rua=mailto:c@d"}).failure ==
      RecordFailure::multiple_records);
  for (const char* bad : {"v=TLSRPTv1", "v=TLSRPTv1; rua=", "v=TLSRPTv1; rua=http://r.example/",
                          "v=TLSRPTv1; rua=mailto:", "v=TLSRPTv1; rua=mailto:a@b,,mailto:c@d"}) {
    CAPTURE(bad);
    CHECK(parse_tlsrpt_records({bad}).failure == RecordFailure::record_invalid);
  }
}

TEST_CASE("a valid policy: LF or CRLF, every mode, unknown keys ignored") {
  auto p = parse_policy(
      "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.Example.NET\n"
      "max_age: 604800\n");
  REQUIRE(p.policy);
  CHECK(p.policy->mode == Mode::enforce);
  CHECK(p.policy->max_age == 604800);
  CHECK(p.policy->mx == std::vector<std::string>{"mail.example.com", "*.example.net"});
  p = parse_policy("version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 0\r\n");
  REQUIRE(p.policy);
  CHECK(p.policy->mode == Mode::testing);
  // mode none needs no mx; no final line end; trailing whitespace; an extension key.
  p = parse_policy("version: STSv1\nmode: none   \nmax_age:86400\nx-note: any text, even ü");
  REQUIRE(p.policy);
  CHECK(p.policy->mode == Mode::none);
  CHECK(p.policy->mx.empty());
  CHECK(parse_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n").policy);
}

TEST_CASE("a repeated field keeps its first value (RFC 8461 §3.2); mx accumulates") {
  const auto p = parse_policy(
      "version: STSv1\nmode: testing\nmode: enforce\nmax_age: 10\nmax_age: x\nmx: a.example\n"
      "mx: b.example\n");
  REQUIRE(p.policy);
  CHECK(p.policy->mode == Mode::testing);
  CHECK(p.policy->max_age == 10);
  CHECK(p.policy->mx.size() == 2);
}

TEST_CASE("every violation of the policy grammar has its own reason") {
  const std::string ok_head = "version: STSv1\nmode: enforce\n";
  struct Case {
    std::string body;
    std::vector<PolicyProblem> problems;
  };
  for (const Case& c : std::vector<Case>{
           {"mode: enforce\nmx: a.example\nmax_age: 1\n", {PolicyProblem::version_missing}},
           {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
            {PolicyProblem::version_unsupported}},
           {"version: STSv1\nmx: a.example\nmax_age: 1\n", {PolicyProblem::mode_missing}},
           {"version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n",
            {PolicyProblem::mode_invalid}},
           {ok_head + "mx: a.example\n", {PolicyProblem::max_age_missing}},
           {ok_head + "mx: a.example\nmax_age: 1w\n", {PolicyProblem::max_age_invalid}},
           {ok_head + "mx: a.example\nmax_age: 12345678901\n", {PolicyProblem::max_age_invalid}},
           {ok_head + "mx: a.example\nmax_age: 31557601\n", {PolicyProblem::max_age_out_of_range}},
           {ok_head + "max_age: 1\n", {PolicyProblem::mx_missing}},
           {ok_head + "mx: a..example\nmax_age: 1\n", {PolicyProblem::mx_invalid}},
           {ok_head + "mx: *.*.example\nmax_age: 1\n", {PolicyProblem::mx_invalid}},
           {ok_head + "mx: -a.example\nmax_age: 1\n", {PolicyProblem::mx_invalid}},
           {ok_head + "mx: a.example.\nmax_age: 1\n", {PolicyProblem::mx_invalid}},
           {ok_head + "mx: a.example\n\nmax_age: 1\n", {PolicyProblem::line_invalid}},
           {ok_head + " mx: a.example\nmax_age: 1\n",
            {PolicyProblem::line_invalid, PolicyProblem::mx_missing}},
           {ok_head + "mx a.example\nmx: b.example\nmax_age: 1\n", {PolicyProblem::line_invalid}},
           {ok_head + "mx: b.example\nmax_age: 1\nnote:\n", {PolicyProblem::line_invalid}},
           {ok_head + "mx: b.example\nmax_age: 1\r\r\n",  // a bare CR is no line end
            {PolicyProblem::line_invalid, PolicyProblem::max_age_missing}},
           {"",
            {PolicyProblem::version_missing, PolicyProblem::mode_missing,
             PolicyProblem::max_age_missing}},
       }) {
    CAPTURE(c.body);
    CHECK(problems_of(c.body) == c.problems);
    CHECK_FALSE(parse_policy(c.body).policy);
  }
  CHECK(parse_policy(ok_head + "mx: a.example\n\nmax_age: 1\n").first_bad_line == 4);
  CHECK(
      parse_policy(std::string("version: STSv1\nmode: none\nmax_age: 1\nx: a\0b\n", 44)).problems ==
      std::vector<PolicyProblem>{PolicyProblem::line_invalid});
}

TEST_CASE("an MX pattern's wildcard covers exactly one leftmost label (RFC 8461 §4.1)") {
  CHECK(mx_matches("mail.example.com", "mail.example.com"));
  CHECK(mx_matches("mail.example.com", "MAIL.Example.com."));
  CHECK_FALSE(mx_matches("mail.example.com", "mail2.example.com"));
  CHECK(mx_matches("*.example.com", "mx.example.com"));
  CHECK(mx_matches("*.example.com", "MX.example.com."));
  CHECK_FALSE(mx_matches("*.example.com", "a.mx.example.com"));
  CHECK_FALSE(mx_matches("*.example.com", "example.com"));
  CHECK_FALSE(mx_matches("*.example.com", ".example.com"));
  CHECK_FALSE(mx_matches("*.example.com", "mx.example.org"));
}
