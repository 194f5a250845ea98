#include <doctest/doctest.h>

#include <set>
#include <string>

#include "starttls_exporter/core/duration.hpp"
#include "starttls_exporter/core/probe_result.hpp"
#include "starttls_exporter/log/log.hpp"

using namespace starttls_exporter;
using namespace std::chrono_literals;

TEST_CASE("parse_duration accepts Prometheus durations") {
  struct Case {
    const char* text;
    Duration want;
  };
  const Case cases[] = {{"0s", 0ms},      {"10s", 10s},         {"1m30s", 90s},
                        {"500ms", 500ms}, {"1h", 1h},           {"2d", 48h},
                        {"1w", 168h},     {"1m500ms", 60500ms}, {"1h2m3s4ms", 3723004ms}};
  for (const auto& c : cases) {
    CAPTURE(c.text);
    REQUIRE(parse_duration(c.text).has_value());
    CHECK(*parse_duration(c.text) == c.want);
  }
}

TEST_CASE("parse_duration rejects malformed text") {
  for (const char* text : {"", "10", "s", "10x", "1s1m", "1m1m", "-5s", " 5s", "5s ", "1.5s",
                           "99999999999999999999s", "9999999999999y"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("format_duration round-trips") {
  for (const char* text : {"0s", "10s", "1m30s", "500ms", "1h", "1h2m3s4ms"}) {
    CHECK(format_duration(*parse_duration(text)) == text);
  }
}

TEST_CASE("failure reason names are unique snake_case") {
  std::set<std::string> seen;
  for (auto reason : all_failure_reasons()) {
    const std::string name(to_string(reason));
    CHECK(name != "unknown");
    CHECK(seen.insert(name).second);
    for (char c : name) CHECK(((c >= 'a' && c <= 'z') || c == '_'));
  }
  CHECK(to_string(Phase::tls_handshake) == "tls_handshake");
}

TEST_CASE("logfmt lines quote and escape hostile values") {
  const auto line = log::format_line("T", log::Level::warn, "probe failed",
                                     {{"target", "127.0.0.1:25"}, {"detail", "a \"b\"\r\n\x01"}});
  CHECK(
      line ==
      "ts=T level=warn msg=\"probe failed\" target=127.0.0.1:25 detail=\"a \\\"b\\\"\\r\\n\\x01\"");
  CHECK(log::format_line("T", log::Level::info, "x", {{"k", ""}}) ==
        "ts=T level=info msg=x k=\"\"");
}
