// Basic authentication of the web port: bcrypt hashes checked with crypt(3).

#include <doctest/doctest.h>

#include <string>

#include "http_client.hpp"
#include "starttls_exporter/http_server.hpp"

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
