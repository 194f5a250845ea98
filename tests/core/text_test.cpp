// The shared byte-level rules: escaping, hex, UTF-8, FNV-1a.
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "starttls_exporter/core/text.hpp"

using namespace starttls_exporter;

TEST_CASE("escape: every rule set keeps the result one printable line") {
  const std::string hostile = std::string("a\"b\\c\nd\re\tf\x01g\x7fh") + "\xc3\xa9";
  CHECK(text::escape(hostile, {}) == "a\\\"b\\\\c\\nd\\re\\tf\\x01g\\x7fh\xc3\xa9");
  CHECK(text::escape(hostile, text::kMessageRules) ==
        "a\\\"b\\\\c\\x0ad\\x0de\\x09f\\x01g\\x7fh\\xc3\\xa9");
  CHECK(text::escape(hostile, {false, true, false}) ==
        "a\"b\\\\c\\nd\\re\\tf\\x01g\\x7fh\\xc3\\xa9");
  for (int byte = 0; byte < 256; ++byte) {
    const std::string one(1, static_cast<char>(byte));
    for (const auto& rules : {text::EscapeRules{}, text::kMessageRules}) {
      const std::string out = text::escape(one, rules);
      CHECK(out.find('\n') == std::string::npos);
      CHECK(out.find('\r') == std::string::npos);
    }
  }
}

TEST_CASE("quote: quoted, escaped, and cut after max_shown bytes") {
  CHECK(text::quote("mx\n") == "\"mx\\x0a\"");
  CHECK(text::quote(std::string(10, 'a'), 4) == "\"aaaa\"...");
}

TEST_CASE("to_hex") {
  const std::array<unsigned char, 4> bytes{0x00, 0x0f, 0xa0, 0xff};
  CHECK(text::to_hex(bytes) == "000fa0ff");
  CHECK(text::to_hex({}) == "");
}

TEST_CASE("UTF-8: well-formed sequences only") {
  CHECK(text::is_valid_utf8(""));
  CHECK(text::is_valid_utf8("plain ASCII"));
  CHECK(text::is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xa7"));  // é € 📧
  CHECK_FALSE(text::is_valid_utf8("\xc0\xaf"));                        // overlong
  CHECK_FALSE(text::is_valid_utf8("\xed\xa0\x80"));                    // surrogate
  CHECK_FALSE(text::is_valid_utf8("\xf4\x90\x80\x80"));                // above U+10FFFF
  CHECK_FALSE(text::is_valid_utf8("\xe2\x82"));                        // truncated
  CHECK(text::utf8_sequence_length("\xe2\x82\xac!") == 3);
  CHECK(text::utf8_sequence_length("") == 0);
}

TEST_CASE("fnv1a64 is the published FNV-1a 64 (fixed across builds)") {
  CHECK(text::fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(text::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(text::fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("html_escape: markup characters as references, control bytes as U+FFFD") {
  CHECK(text::html_escape("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  CHECK(text::html_escape("a\"b") == "a&quot;b");
  CHECK(text::html_escape("tab\tline\n") == "tab\tline\n");
  CHECK(text::html_escape(std::string("x\x0e\x1by\x7f", 5)) ==
        "x\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd");
  CHECK(text::html_escape("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 as it is
}
