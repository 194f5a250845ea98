// --log.format=json: the same fields as logfmt, always one valid JSON object per line.

#include <doctest/doctest.h>

#include <string>

#include "starttls_exporter/log/log.hpp"

using namespace starttls_exporter;

TEST_CASE("JSON lines: field order, escaping, invalid UTF-8") {
  struct Case {
    std::string msg;
    std::string value;
    std::string json;  ///< the expected line
  };
  const Case cases[] = {
      {"probe failed", "connection_refused",
       R"({"ts":"T","level":"info","msg":"probe failed","reason":"connection_refused"})"},
      {"quote \" and \\", "line\nbreak\r\ttab",
       R"({"ts":"T","level":"info","msg":"quote \" and \\","reason":"line\nbreak\r\ttab"})"},
      {"ctl", std::string("\x01\x1b[31m\x7f", 7),
       R"({"ts":"T","level":"info","msg":"ctl","reason":"\u0001\u001b[31m\u007f"})"},
      {"utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7",
       "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"utf8\",\"reason\":\"caf\xc3\xa9 \xe2\x82\xac "
       "\xf0\x9f\x93\xa7\"}"},
      {"bad",
       "a\xff"
       "b\xc3(\xed\xa0\x80z\xc0\xaf",
       "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"bad\",\"reason\":\"a\xef\xbf\xbd"
       "b\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\"}"},
      {"nul", std::string("a\0b", 3),
       R"({"ts":"T","level":"info","msg":"nul","reason":"a\u0000b"})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.msg);
    CHECK(log::format_json_line("T", log::Level::info, c.msg, {{"reason", c.value}}) == c.json);
  }
  CHECK(log::format_json_line("2026-01-01T00:00:00.000Z", log::Level::warn, "m",
                              {{"a", "1"}, {"b", ""}}) ==
        R"({"ts":"2026-01-01T00:00:00.000Z","level":"warn","msg":"m","a":"1","b":""})");
}

TEST_CASE("the format switch is global and defaults to logfmt") {
  CHECK(log::format() == log::Format::logfmt);
  log::set_format(log::Format::json);
  CHECK(log::format() == log::Format::json);
  log::set_format(log::Format::logfmt);
  CHECK(log::format() == log::Format::logfmt);
}
