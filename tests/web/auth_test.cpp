// Basic authentication of the web port: bcrypt hashes checked with crypt(3).

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>

#include "basic_auth.hpp"

#include "http_client.hpp"
#include "starttls_exporter/web/http_server.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::testing;

namespace {

http::Response plain_response(std::string body) {
  http::Response response;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

// bcrypt (cost 4, to keep the test fast) of "s3cret" and of "other".
constexpr const char* kS3cretHash = "$2b$04$RlRIl8y0NaDBlnkM0CYOsOBSblAdcD8athx/095eCHVOGg77L3gv2";
constexpr const char* kOtherHash = "$2y$04$GksYH5Yc3.ui1InbWpxiB.p/MJAf5giWKeoEtG9/qWCIIGAcPqYNS";

std::string base64(const std::string& text) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    unsigned bits = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) bits |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) bits |= static_cast<unsigned char>(text[i + 2]);
    out += kAlphabet[(bits >> 18) & 63];
    out += kAlphabet[(bits >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(bits >> 6) & 63] : '=';
    out += i + 2 < text.size() ? kAlphabet[bits & 63] : '=';
  }
  return out;
}

std::string basic(const std::string& user, const std::string& password) {
  return "Authorization: Basic " + base64(user + ":" + password) + "\r\n";
}

}  // namespace

TEST_CASE("basic auth: right, wrong, missing, unknown user; /-/healthy stays open") {
  http::Routes routes;
  routes["/metrics"] = [](const http::Request&) { return plain_response("m"); };
  routes["/-/healthy"] = [](const http::Request&) { return plain_response("OK"); };
  http::ServerOptions options;
  options.basic_auth_users = {{"prometheus", kS3cretHash}, {"ops", kOtherHash}};
  // Each request from another client address, so no failure puts the next one in a penalty.
  options.admit = [n = std::make_shared<std::atomic<int>>(0)](const std::string&, int) {
    return std::optional<std::string>("192.0.2." + std::to_string(++*n));
  };
  http::Server server("127.0.0.1:0", routes, options);
  const int port = server.port();

  CHECK(get(port, "/metrics", basic("prometheus", "s3cret")).status == 200);
  CHECK(get(port, "/metrics", basic("ops", "other")).status == 200);  // $2y$ too
  CHECK(get(port, "/metrics", basic("PROMETHEUS", "s3cret")).status == 401);
  CHECK(get(port, "/metrics", "Authorization: basic " + base64("prometheus:s3cret") + "\r\n")
            .status == 200);  // the scheme is case-insensitive
  CHECK(get(port, "/-/healthy").status == 200);

  const auto wrong = get(port, "/metrics", basic("prometheus", "wrong"));
  const auto unknown = get(port, "/metrics", basic("nobody", "s3cret"));
  const auto missing = get(port, "/metrics");
  const auto garbage = get(port, "/metrics", "Authorization: Basic !!!\r\n");
  const auto other_users_password = get(port, "/metrics", basic("prometheus", "other"));
  const auto unknown_path = get(port, "/no-such-page");
  for (const auto* reply :
       {&wrong, &unknown, &missing, &garbage, &other_users_password, &unknown_path}) {
    CHECK(reply->status == 401);
    CHECK(reply->headers.at("www-authenticate") ==
          "Basic realm=\"starttls_exporter\", charset=\"UTF-8\"");
    CHECK(reply->body == "401 Unauthorized\n");
  }
  // An unknown user and a wrong password get byte-identical answers.
  CHECK(wrong.headers == unknown.headers);
  CHECK(wrong.body == unknown.body);
}

TEST_CASE("without users every path is open") {
  http::Routes routes;
  routes["/metrics"] = [](const http::Request&) { return plain_response("m"); };
  http::Server server("127.0.0.1:0", routes);
  CHECK(get(server.port(), "/metrics").status == 200);
  CHECK(get(server.port(), "/metrics", basic("x", "y")).status == 200);
}

TEST_CASE("wrong credentials are penalised: 429 for them again, the right password still served") {
  http::Routes routes;
  routes["/metrics"] = [](const http::Request&) { return plain_response("m"); };
  http::WebCounters counters;
  http::ServerOptions options;
  options.basic_auth_users = {{"prometheus", kS3cretHash}};
  options.counters = &counters;
  http::Server server("127.0.0.1:0", routes, options);
  const int port = server.port();
  CHECK(get(port, "/metrics", basic("prometheus", "wrong")).status == 401);
  const auto throttled = get(port, "/metrics", basic("prometheus", "wrong"));
  CHECK(throttled.status == 429);
  CHECK(throttled.headers.at("retry-after") == "1");
  // One typo, then the right password from the same address: served at once.
  CHECK(get(port, "/metrics", basic("prometheus", "s3cret")).status == 200);
  CHECK(counters.count(http::RequestRefusal::unauthorized) == 1);
  CHECK(counters.count(http::RequestRefusal::auth_throttled) == 1);
}

namespace {

/// A clock the test moves by hand.
struct TestClock {
  std::shared_ptr<std::chrono::steady_clock::time_point> now =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  http::detail::BasicAuth::Clock function() const {
    return [now = now] { return *now; };
  }
  void advance(std::chrono::milliseconds by) const { *now += by; }
};

std::string header(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

}  // namespace

TEST_CASE("BasicAuth: a success is cached for its lifetime; failures are never cached") {
  using http::detail::AuthDecision;
  const TestClock clock;
  const http::detail::BasicAuth auth({{"prometheus", kS3cretHash}}, {}, clock.function());
  const auto base = auth.bcrypt_runs();
  CHECK(auth.check(header("prometheus", "s3cret"), "a").decision == AuthDecision::allowed);
  CHECK(auth.bcrypt_runs() == base + 1);
  CHECK(auth.check(header("prometheus", "s3cret"), "b").decision == AuthDecision::allowed);
  CHECK(auth.bcrypt_runs() == base + 1);  // cached: no bcrypt run
  clock.advance(std::chrono::seconds(61));
  CHECK(auth.check(header("prometheus", "s3cret"), "b").decision == AuthDecision::allowed);
  CHECK(auth.bcrypt_runs() == base + 2);  // expired: checked again
  // A wrong password and an unknown user cost one run each, and are not cached.
  CHECK(auth.check(header("prometheus", "wrong"), "c").decision == AuthDecision::denied);
  CHECK(auth.check(header("nobody", "s3cret"), "d").decision == AuthDecision::denied);
  CHECK(auth.bcrypt_runs() == base + 4);
  CHECK(auth.check(header("nobody", "s3cret"), "e").decision == AuthDecision::denied);
  CHECK(auth.bcrypt_runs() == base + 5);
  // A malformed header is refused without a run.
  CHECK(auth.check("Basic !!!", "f").decision == AuthDecision::denied);
  CHECK(auth.bcrypt_runs() == base + 5);
}

TEST_CASE("BasicAuth: each failure doubles the penalty of those credentials from that client") {
  using http::detail::AuthDecision;
  using std::chrono::milliseconds;
  const TestClock clock;
  const http::detail::BasicAuth auth(
      {{"prometheus", kS3cretHash}},
      {.first_penalty = milliseconds(1000), .max_penalty = milliseconds(4000)}, clock.function());
  const auto base = auth.bcrypt_runs();
  CHECK(auth.check(header("prometheus", "wrong"), "x").decision == AuthDecision::denied);
  const auto blocked = auth.check(header("prometheus", "wrong"), "x");
  CHECK(blocked.decision == AuthDecision::throttled);
  CHECK(blocked.retry_after == std::chrono::seconds(1));
  CHECK(auth.bcrypt_runs() == base + 1);
  clock.advance(milliseconds(1000));
  CHECK(auth.check(header("prometheus", "wrong"), "x").decision == AuthDecision::denied);
  CHECK(auth.check(header("prometheus", "wrong"), "x").retry_after == std::chrono::seconds(2));
  clock.advance(milliseconds(2000));
  CHECK(auth.check(header("prometheus", "wrong"), "x").decision == AuthDecision::denied);
  CHECK(auth.check(header("prometheus", "wrong"), "x").retry_after == std::chrono::seconds(4));
  clock.advance(milliseconds(4000));
  CHECK(auth.check(header("prometheus", "wrong"), "x").decision == AuthDecision::denied);
  CHECK(auth.check(header("prometheus", "wrong"), "x").retry_after == std::chrono::seconds(4));
  CHECK(auth.bcrypt_runs() == base + 4);  // the throttled answers ran nothing
  // Another client is not affected; other credentials from x are checked at once (no wait for
  // x's penalty), and right ones end x's penalty history.
  CHECK(auth.check(header("prometheus", "s3cret"), "y").decision == AuthDecision::allowed);
  CHECK(auth.check(header("prometheus", "other"), "x").decision == AuthDecision::denied);
  CHECK(auth.check(header("prometheus", "wrong"), "x").decision == AuthDecision::throttled);
  CHECK(auth.check(header("prometheus", "s3cret"), "x").decision == AuthDecision::allowed);
  CHECK(auth.check(header("prometheus", "wrong"), "x").decision == AuthDecision::denied);
  CHECK(auth.check(header("prometheus", "wrong"), "x").retry_after == std::chrono::seconds(1));
}
