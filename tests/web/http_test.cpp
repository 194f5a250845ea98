#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "starttls_exporter/web/http_server.hpp"

using namespace starttls_exporter::http;

namespace {

struct Reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

/// A minimal HTTP/1.0 client: sends `request` verbatim to 127.0.0.1:port, reads until EOF.
Reply raw_request(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};  // a hung server fails the test instead of blocking it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string data;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) data.append(buf, static_cast<size_t>(n));
  close(fd);
  Reply r;
  const auto split = data.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  r.head = data.substr(0, split);
  r.body = data.substr(split + 4);
  REQUIRE(r.head.rfind("HTTP/1.", 0) == 0);
  r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

Reply get(int port, const std::string& target, const std::string& extra_headers = "") {
  return raw_request(port,
                     "GET " + target + " HTTP/1.0\r\nHost: localhost\r\n" + extra_headers + "\r\n");
}

Routes test_routes() {
  Routes routes;
  routes["/metrics"] = [](const Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = "probe_success 1\n";
    r.headers.push_back({"X-Test", "yes"});
    return r;
  };
  routes["/echo"] = [](const Request& req) {
    Response r;
    r.body = req.method + "|" + req.path + "|" + req.remote_address + "|";
    for (const auto& [k, v] : req.query) r.body += k + "=" + v + ";";
    r.body += "|" + req.header("x-prometheus-scrape-timeout-seconds");
    return r;
  };
  routes["/stream"] = [](const Request&) {
    Response r;
    r.body_stream = [](const std::function<bool(std::string_view)>& write) {
      for (const std::string& piece :
           {std::string("one|"), std::string(), std::string(100000, 'x'), std::string("|end")}) {
        if (!write(piece)) return;
      }
    };
    return r;
  };
  routes["/stream-fails-at-once"] = [](const Request&) {
    Response r;
    r.body_stream = [](const std::function<bool(std::string_view)>&) {
      throw std::runtime_error("out of luck");
    };
    return r;
  };
  routes["/stream-fails-midway"] = [](const Request&) {
    Response r;
    r.body_stream = [](const std::function<bool(std::string_view)>& write) {
      write("partial|");
      throw std::runtime_error("out of luck");
    };
    return r;
  };
  routes["/boom"] = [](const Request&) -> Response { throw std::runtime_error("kaput"); };
  return routes;
}

}  // namespace

TEST_CASE("serves routes, 404 for unknown paths, 500 for throwing handlers") {
  Server server("127.0.0.1:0", test_routes());
  REQUIRE(server.port() > 0);

  const auto metrics = get(server.port(), "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body == "probe_success 1\n");
  CHECK(metrics.head.find("Content-Type: text/plain; version=0.0.4; charset=utf-8") !=
        std::string::npos);
  CHECK(metrics.head.find("Content-Length: 16") != std::string::npos);
  CHECK(metrics.head.find("X-Test: yes") != std::string::npos);

  CHECK(get(server.port(), "/").status == 404);
  CHECK(get(server.port(), "/metricsx").status == 404);
  CHECK(get(server.port(), "/metrics/x").status == 404);

  const auto boom = get(server.port(), "/boom");
  CHECK(boom.status == 500);
  CHECK(boom.body == "500 internal server error\n");

  // The server still works after a handler threw.
  CHECK(get(server.port(), "/metrics").status == 200);
}

TEST_CASE("query strings and headers are decoded") {
  Server server("127.0.0.1:0", test_routes());
  const auto r = get(server.port(), "/echo?target=%5B%3A%3A1%5D%3A25&module=a+b&x=1&x=2&flag",
                     "X-Prometheus-Scrape-Timeout-Seconds: 9.5\r\n");
  CHECK(r.status == 200);
  CHECK(r.body == "GET|/echo|127.0.0.1|flag=;module=a b;target=[::1]:25;x=1;|9.5");
}

namespace {

/// The body of a chunked message, or nullopt when it is not well-formed or has no last chunk.
std::optional<std::string> dechunk(std::string_view raw) {
  std::string body;
  while (true) {
    const auto line_end = raw.find("\r\n");
    if (line_end == std::string_view::npos) return std::nullopt;
    const std::size_t size = std::stoul(std::string(raw.substr(0, line_end)), nullptr, 16);
    raw.remove_prefix(line_end + 2);
    if (raw.size() < size + 2 || raw.substr(size, 2) != "\r\n") return std::nullopt;
    if (size == 0) return raw.size() == 2 ? std::optional(body) : std::nullopt;
    body.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

}  // namespace

TEST_CASE("a streamed body: chunked for HTTP/1.1, ended by close for HTTP/1.0") {
  Server server("127.0.0.1:0", test_routes());
  const std::string expected = "one|" + std::string(100000, 'x') + "|end";

  const auto http10 = get(server.port(), "/stream");
  CHECK(http10.status == 200);
  CHECK(http10.body == expected);
  CHECK(http10.head.find("Content-Length") == std::string::npos);
  CHECK(http10.head.find("Transfer-Encoding") == std::string::npos);

  const auto http11 = raw_request(server.port(), "GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(http11.status == 200);
  CHECK(http11.head.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(http11.head.find("Content-Length") == std::string::npos);
  CHECK(dechunk(http11.body) == expected);

  const auto head = raw_request(server.port(), "HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
}

TEST_CASE("a stream failing before its first piece is a 500; after it, a cut chunked body") {
  Server server("127.0.0.1:0", test_routes());
  const auto at_once =
      raw_request(server.port(), "GET /stream-fails-at-once HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(at_once.status == 500);
  CHECK(at_once.body == "500 internal server error\n");

  const auto midway =
      raw_request(server.port(), "GET /stream-fails-midway HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(midway.status == 200);
  CHECK(midway.body.find("partial|") != std::string::npos);
  CHECK_FALSE(dechunk(midway.body).has_value());  // no last chunk: the reader sees an error
}

TEST_CASE("HEAD gets headers without a body") {
  Server server("127.0.0.1:0", test_routes());
  const auto r = raw_request(server.port(), "HEAD /metrics HTTP/1.0\r\n\r\n");
  CHECK(r.status == 200);
  CHECK(r.body.empty());
}

TEST_CASE("binding a port in use throws a clear error") {
  Server first("127.0.0.1:0", test_routes());
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  try {
    Server second(address, test_routes());
    FAIL("second server started on a taken port");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CAPTURE(what);
    CHECK(what.rfind("listen " + address + ": ", 0) == 0);
    CHECK(what.find("in use") != std::string::npos);  // the OS's reason, not just "failed"
  }
  // The first server is unaffected.
  CHECK(get(first.port(), "/metrics").status == 200);
}

TEST_CASE("malformed listen addresses are rejected") {
  for (const char* address :
       {"", "9725", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:x", "[::1:9725", "[::1]:x",
        "[zz]:80", "example.org:9725", "300.1.1.1:80"}) {
    CAPTURE(address);
    CHECK_THROWS_AS(Server(address, test_routes()), std::invalid_argument);
  }
}

TEST_CASE("stopping the server closes the port") {
  int port = 0;
  {
    Server server("127.0.0.1:0", test_routes());
    port = server.port();
    CHECK(get(port, "/metrics").status == 200);
  }
  Server again("127.0.0.1:" + std::to_string(port), test_routes());  // the port is free again
  CHECK(again.port() == port);
}
