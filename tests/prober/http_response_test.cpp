// The bounded HTTP/1.x response reader of the policy fetch.
#include <doctest/doctest.h>

#include "http_response.hpp"

using namespace starttls_exporter::prober;

TEST_CASE("status, headers and body, with CRLF or LF, Content-Length or the end") {
  auto p = parse_http_response(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      "Content-Length: 5\r\n\r\nhello",
      100);
  REQUIRE(p.response);
  CHECK(p.response->status == 200);
  CHECK(p.response->content_type == "text/plain");
  CHECK(p.response->body == "hello");
  p = parse_http_response("HTTP/1.0 301\nLocation: https://x/\n\n", 100);
  REQUIRE(p.response);
  CHECK(p.response->status == 301);
  CHECK(p.response->location == "https://x/");
  p = parse_http_response("HTTP/1.1 200 OK\r\ncontent-type:  text/plain  \r\n\r\nto the end", 100);
  REQUIRE(p.response);
  CHECK(p.response->content_type == "text/plain");
  CHECK(p.response->body == "to the end");
}

TEST_CASE("malformed, oversized and truncated replies") {
  struct Case {
    std::string bytes;
    HttpProblem problem;
  };
  for (const Case& c : {
           Case{"", HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\n", HttpProblem::malformed},
           Case{"HTTP/2 200\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 20x OK\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 200OK\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HttpProblem::malformed},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", HttpProblem::truncated},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890", HttpProblem::too_large},
           Case{"HTTP/1.1 200 OK\r\n\r\n01234567890", HttpProblem::too_large},
           Case{"HTTP/1.1 200 OK\r\nX: " + std::string(kMaxHeaderBytes, 'a') + "\r\n\r\n",
                HttpProblem::too_large},
       }) {
    CAPTURE(c.bytes.substr(0, 80));
    const auto p = parse_http_response(c.bytes, 10);
    REQUIRE(p.problem);
    CHECK(*p.problem == c.problem);
    CHECK_FALSE(p.response);
  }
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 101; ++i) many += "X: y\r\n";
  CHECK(parse_http_response(many + "\r\n", 10).problem == HttpProblem::too_large);
}

TEST_CASE("text/plain with or without parameters, in any case") {
  CHECK(is_text_plain("text/plain"));
  CHECK(is_text_plain("Text/Plain; charset=utf-8"));
  CHECK(is_text_plain(" text/plain ;format=flowed"));
  CHECK_FALSE(is_text_plain("text/html"));
  CHECK_FALSE(is_text_plain("text/plainx"));
  CHECK_FALSE(is_text_plain(""));
}
