// The project's one SHA-256 and SHA-512, against the FIPS 180-2 test vector "abc".
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"

using namespace starttls_exporter;

namespace {
const std::vector<std::uint8_t> kAbc{'a', 'b', 'c'};
}

TEST_CASE("SHA-256 of bytes and of text agree with the FIPS 180-2 vector") {
  const std::string expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(tls::sha256_hex(kAbc) == expected);
  CHECK(text::to_hex(tls::sha256(std::string_view("abc"))) == expected);
  CHECK(tls::sha256(kAbc) == tls::sha256(std::string_view("abc")));
}

TEST_CASE("SHA-512 agrees with the FIPS 180-2 vector") {
  CHECK(text::to_hex(tls::sha512(kAbc)) ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}
