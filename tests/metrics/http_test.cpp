#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "starttls_exporter/http_server.hpp"

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
  routes["/parts"] = [](const Request&) {
    Response r;
    r.body = "head|";
    r.body_parts = std::make_shared<const std::vector<std::string>>(
        std::vector<std::string>{"one|", "", std::string(100000, 'x'), "|end"});
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

TEST_CASE("body parts follow the body in order and count in Content-Length") {
  Server server("127.0.0.1:0", test_routes());
  const auto r = get(server.port(), "/parts");
  CHECK(r.status == 200);
  CHECK(r.body == "head|one|" + std::string(100000, 'x') + "|end");
  CHECK(r.head.find("Content-Length: 100013") != std::string::npos);
  const auto head = raw_request(server.port(), "HEAD /parts HTTP/1.0\r\n\r\n");
  CHECK(head.body.empty());
  CHECK(head.head.find("Content-Length: 100013") != std::string::npos);
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
