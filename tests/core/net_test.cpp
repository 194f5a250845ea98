// The shared network-name rules: IP literals, server names, ports, endpoints, listen addresses.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "starttls_exporter/core/net.hpp"

using namespace starttls_exporter;

TEST_CASE("canonical_ip: one IPv4 or IPv6 literal, canonicalised") {
  CHECK(net::canonical_ip("192.0.2.25") == "192.0.2.25");
  CHECK(net::canonical_ip("2001:DB8:0::25") == "2001:db8::25");
  for (const char* bad :
       {"", "[::1]", "::1%lo", "192.0.2.256", "mx.test", "10.0.0.0/8", "192.0.2.1 "}) {
    CAPTURE(bad);
    CHECK_FALSE(net::canonical_ip(bad));
  }
  CHECK_FALSE(net::canonical_ip(std::string("127.0.0.1\0x", 11)));
}

TEST_CASE("server_name_problem: DNS names only, never an address or a numeric last label") {
  CHECK_FALSE(net::server_name_problem("mx.example.com"));
  CHECK_FALSE(net::server_name_problem("localhost"));
  CHECK_FALSE(net::server_name_problem("mail.123abc"));
  for (const char* bad :
       {"", "192.0.2.1", "::1", "mail.123", "a b", "-mx.test", "mx.test.", "mx..test"}) {
    CAPTURE(bad);
    CHECK(net::server_name_problem(bad));
  }
  CHECK(*net::server_name_problem("mail.123") ==
        "\"mail.123\" is not a valid DNS name (the last label is all digits)");
  CHECK(net::is_dns_name(std::string(63, 'a') + ".test"));
  CHECK_FALSE(net::is_dns_name(std::string(64, 'a') + ".test"));
}

TEST_CASE("parse_port and format_endpoint") {
  CHECK(net::parse_port("25") == 25);
  CHECK(net::parse_port("65535") == 65535);
  CHECK_FALSE(net::parse_port("0"));
  CHECK(net::parse_port("0", true) == 0);
  for (const char* bad : {"", "65536", "-1", "+25", "25 ", "0x19"}) {
    CAPTURE(bad);
    CHECK_FALSE(net::parse_port(bad));
  }
  CHECK(net::format_endpoint("192.0.2.25", 25) == "192.0.2.25:25");
  CHECK(net::format_endpoint("2001:db8::25", 465) == "[2001:db8::25]:465");
}

TEST_CASE("parse_listen_address") {
  CHECK(net::parse_listen_address(":9725").host.empty());
  CHECK(net::parse_listen_address(":9725").port == 9725);
  CHECK(net::parse_listen_address("localhost:0").host == "127.0.0.1");
  CHECK(net::parse_listen_address("[0:0::1]:9725").host == "::1");
  CHECK(net::parse_listen_address("[::1]:9725").ipv6());
  for (const char* bad : {"9725", "::1:9725", "[::1:9725", "[192.0.2.1]:1", "mx.test:25",
                          "127.0.0.1:65536", "127.0.0.1:"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(net::parse_listen_address(bad), std::invalid_argument);
  }
}

TEST_CASE("parse_target_address: the syntax /probe and the probe command share") {
  struct Case {
    const char* text;
    const char* address;  ///< nullptr: malformed
    int port;
    bool port_given = false;  ///< else handle_probe takes the module's default port
  };
  const Case cases[] = {
      {"192.0.2.25", "192.0.2.25", 25},
      {"192.0.2.25:587", "192.0.2.25", 587, true},
      {"192.0.2.25:25", "192.0.2.25", 25, true},
      {"2001:DB8::25", "2001:db8::25", 25},
      {"[2001:db8::25]:2525", "2001:db8::25", 2525, true},
      {"[::1]", "::1", 25},
      {"::1", "::1", 25},
      {"", nullptr, 0},
      {"mx.example.com", nullptr, 0},
      {"mx.example.com:25", nullptr, 0},
      {"192.0.2.25:", nullptr, 0},
      {"192.0.2.25:0", nullptr, 0},
      {"192.0.2.25:65536", nullptr, 0},
      {"192.0.2.25:25x", nullptr, 0},
      {"[192.0.2.25]:25", nullptr, 0},
      {"[::1]25", nullptr, 0},
      {"[::1", nullptr, 0},
      {"192.0.2.256", nullptr, 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    std::string problem;
    const auto target = net::parse_target_address(c.text, problem);
    if (c.address == nullptr) {
      CHECK_FALSE(target);
      CHECK_FALSE(problem.empty());
    } else {
      REQUIRE(target);
      CHECK(target->address == c.address);
      CHECK(target->port == c.port);
      CHECK(target->port_given == c.port_given);
    }
  }
}

TEST_CASE("parse_target_address says that names are not resolved") {
  std::string problem;
  CHECK_FALSE(net::parse_target_address("mx.example.com", problem));
  CHECK(problem.starts_with("names are not resolved"));
  CHECK_FALSE(net::parse_target_address("", problem));
  CHECK(problem == "missing target");
}
