#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "smtp_reply.hpp"
#include "transcript.hpp"

using namespace starttls_exporter::prober;

namespace {

struct Case {
  const char* name;
  std::string input;
  ParseStatus want;
  int code = 0;
  std::vector<std::string> lines = {};
  std::string leftover = {};
};

/// Feeds `input` whole, then byte by byte, and checks both give the same answer.
void check_case(const Case& c, ReplyLimits limits = {}) {
  const std::string name = c.name;
  CAPTURE(name);
  ReplyParser whole(limits);
  CHECK(whole.feed(c.input) == c.want);
  ReplyParser bytewise(limits);
  ParseStatus st = ParseStatus::need_more;
  std::string leftover;
  for (std::size_t i = 0; i < c.input.size(); ++i) {
    if (st == ParseStatus::complete) {
      leftover += c.input[i];  // bytes after the reply, fed one at a time
      continue;
    }
    st = bytewise.feed(std::string_view(&c.input[i], 1));
  }
  CHECK(st == c.want);
  if (c.want == ParseStatus::complete) {
    CHECK(whole.reply().code == c.code);
    CHECK(whole.reply().lines == c.lines);
    CHECK(whole.leftover() == c.leftover);
    CHECK(bytewise.reply().lines == c.lines);
    CHECK(leftover == c.leftover);
    CHECK(whole.reply().raw + c.leftover == c.input);
  } else if (c.want != ParseStatus::need_more) {
    CHECK_FALSE(whole.error().empty());
  }
}

}  // namespace

TEST_CASE("complete replies") {
  const Case cases[] = {
      {"postfix greeting",
       "220 mx.example ESMTP Postfix\r\n",
       ParseStatus::complete,
       220,
       {"mx.example ESMTP Postfix"}},
      {"multiline EHLO",
       "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 CHUNKING\r\n",
       ParseStatus::complete,
       250,
       {"mx.example", "PIPELINING", "STARTTLS", "CHUNKING"}},
      {"bare final code", "250-first\r\n250\r\n", ParseStatus::complete, 250, {"first", ""}},
      {"bare code only", "221\r\n", ParseStatus::complete, 221, {""}},
      {"empty continuation text", "250-\r\n250 x\r\n", ParseStatus::complete, 250, {"", "x"}},
      {"bare LF", "220-a\n220 b\n", ParseStatus::complete, 220, {"a", "b"}},
      {"tab and UTF-8 text",
       "220 h\xc3\xa9\tllo\r\n",
       ParseStatus::complete,
       220,
       {"h\xc3\xa9\tllo"}},
      {"leftover after reply",
       "220 go ahead\r\n250 injected\r\n",
       ParseStatus::complete,
       220,
       {"go ahead"},
       "250 injected\r\n"},
      {"leftover partial line", "220 ok\r\nabc", ParseStatus::complete, 220, {"ok"}, "abc"},
      {"5xx", "554 5.7.1 no\r\n", ParseStatus::complete, 554, {"5.7.1 no"}},
  };
  for (const auto& c : cases) check_case(c);
}

TEST_CASE("incomplete replies need more") {
  const Case cases[] = {
      {"no CRLF yet", "220 mx.example", ParseStatus::need_more},
      {"continuation only", "250-a\r\n250-b\r\n", ParseStatus::need_more},
      {"CR without LF yet", "220 a\r", ParseStatus::need_more},
      {"partial code", "25", ParseStatus::need_more},
      {"nothing", "", ParseStatus::need_more},
  };
  for (const auto& c : cases) check_case(c);
}

TEST_CASE("malformed replies") {
  const Case cases[] = {
      {"first digit 1", "120 x\r\n", ParseStatus::malformed},
      {"first digit 6", "620 x\r\n", ParseStatus::malformed},
      {"letters", "abc\r\n", ParseStatus::malformed},
      {"two digits", "22\r\n", ParseStatus::malformed},
      {"bad separator", "220:x\r\n", ParseStatus::malformed},
      {"mixed codes", "250-a\r\n251 b\r\n", ParseStatus::malformed},
      {"NUL byte", std::string("220 a\0b\r\n", 8), ParseStatus::malformed},
      {"binary garbage", "\x16\x03\x01\x00\xff", ParseStatus::malformed},
      {"bare CR", "220 a\rb\r\n", ParseStatus::malformed},
      {"empty line", "\r\n", ParseStatus::malformed},
      {"continuation then garbage", "250-a\r\nxyz\r\n", ParseStatus::malformed},
      {"DEL byte", "220 \x7f\r\n", ParseStatus::malformed},
  };
  for (const auto& c : cases) check_case(c);
}

TEST_CASE("limits") {
  const ReplyLimits limits{16, 40, 3};
  const Case cases[] = {
      {"line of exactly the limit",
       "220 " + std::string(12, 'a') + "\r\n",
       ParseStatus::complete,
       220,
       {std::string(12, 'a')}},
      {"over-long line", "220 " + std::string(13, 'a') + "\r\n", ParseStatus::too_long},
      {"over-long line without CRLF", "220 " + std::string(1000, 'a'), ParseStatus::too_long},
      {"too many lines", "250-a\r\n250-b\r\n250-c\r\n250 d\r\n", ParseStatus::too_long},
      {"three lines fit",
       "250-a\r\n250-b\r\n250 c\r\n",
       ParseStatus::complete,
       250,
       {"a", "b", "c"}},
      {"reply too big",
       "250-" + std::string(12, 'a') + "\r\n250-" + std::string(12, 'b') + "\r\n250 " +
           std::string(12, 'c') + "\r\n",
       ParseStatus::too_long},
  };
  for (const auto& c : cases) check_case(c, limits);
}

TEST_CASE("a 16 MiB line without CRLF is cut off at the line limit") {
  ReplyParser parser;  // default limits: 4096-byte lines
  const std::string chunk(64 * 1024, 'a');
  CHECK(parser.feed("220 ") == ParseStatus::need_more);
  ParseStatus st = ParseStatus::need_more;
  for (int i = 0; i < 256 && st == ParseStatus::need_more; ++i) st = parser.feed(chunk);
  CHECK(st == ParseStatus::too_long);
  CHECK(parser.reply().raw.size() <= ReplyLimits{}.max_line_bytes);
  CHECK(parser.feed("\r\n") == ParseStatus::too_long);  // sticky
}

TEST_CASE("missing CRLF then more data continues the line") {
  ReplyParser parser;
  CHECK(parser.feed("220 mx") == ParseStatus::need_more);
  CHECK(parser.feed(".example ESMTP\r") == ParseStatus::need_more);
  CHECK(parser.feed("\n250 next") == ParseStatus::complete);
  CHECK(parser.reply().lines == std::vector<std::string>{"mx.example ESMTP"});
  CHECK(parser.leftover() == "250 next");
  // next() parses the leftover as the start of the following reply.
  CHECK(parser.next() == ParseStatus::need_more);
  CHECK(parser.feed("\r\n") == ParseStatus::complete);
  CHECK(parser.reply().code == 250);
  CHECK(parser.reply().lines == std::vector<std::string>{"next"});
  CHECK(parser.leftover().empty());
}

TEST_CASE("errors are sticky and describe the line") {
  ReplyParser parser;
  CHECK(parser.feed("250-a\r\n251 b\r\n") == ParseStatus::malformed);
  CHECK(parser.error().find("line 2") != std::string::npos);
  CHECK(parser.feed("250 ok\r\n") == ParseStatus::malformed);
}

TEST_CASE("transcript escapes and bounds server text") {
  Transcript t;
  t.add("S: ", std::string("220 a\x01\xff\\\r\n", 10));
  REQUIRE(t.lines().size() == 1);
  CHECK(t.lines()[0] == "S: 220 a\\x01\\xff\\\\\\r\\n");
  t.add("S: ", std::string(1000, 'x'));
  CHECK(t.lines()[1].size() <= Transcript::max_line_bytes);
  CHECK(t.lines()[1].ends_with("..."));
  for (int i = 0; i < 500; ++i) t.add("C: ", "NOOP");
  CHECK(t.lines().size() == Transcript::max_lines + 1);
  CHECK(t.lines().back() == "... (transcript truncated)");
  Transcript r;
  r.add_reply(250, {"mx", "STARTTLS", ""});
  CHECK(r.lines() == std::vector<std::string>{"S: 250-mx", "S: 250-STARTTLS", "S: 250"});
}
