// Fuzz target: certificate_facts_from_der must never crash, hang or leak on any input.
// Built by tests/fuzz/meson.build with -fsanitize=fuzzer, or as a corpus replayer without it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "starttls_exporter/tls_client/tls_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto facts = starttls_exporter::tls::certificate_facts_from_der(
      std::span<const unsigned char>(data, size));
  // Touch the result so the parse cannot be optimised away.
  return facts && facts->sha256_hex.size() != 64 ? 1 : 0;
}
