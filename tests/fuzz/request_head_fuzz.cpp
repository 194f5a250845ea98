// Fuzz target for the web port's request head check (src/web/gate/request_head.cpp): the
// input is the first bytes a client sent, judged whole and as every prefix the gate could
// have received, under the default limits and tiny ones. Invariants: a complete head ends
// within the input at a line end and within the limits; a verdict on a prefix is never
// "rejected" when the whole is complete (the gate judges prefixes as bytes arrive).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "request_head.hpp"

using namespace starttls_exporter;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void judge(std::string_view bytes, const web::HeadLimits& limits) {
  const web::HeadVerdict whole = web::inspect_head(bytes, limits);
  if (whole.state == web::HeadVerdict::State::complete) {
    check(whole.head_bytes <= bytes.size() && whole.head_bytes <= limits.max_head_bytes);
    check(bytes[whole.head_bytes - 1] == '\n');
    check(whole.body_bytes <= limits.max_body_bytes);
  }
  if (whole.state == web::HeadVerdict::State::rejected) {
    const int status = web::status_of(whole.problem).code;
    check(status >= 400 && status < 600 && !http::name_of(whole.problem).empty());
  }
  for (std::size_t n = 0; n < bytes.size() && n < 512; ++n) {
    const auto prefix = web::inspect_head(bytes.substr(0, n), limits);
    if (whole.state == web::HeadVerdict::State::complete && n < whole.head_bytes) {
      check(prefix.state == web::HeadVerdict::State::incomplete);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  judge(bytes, {});
  judge(bytes,
        {.max_target_bytes = 8, .max_head_bytes = 64, .max_headers = 2, .max_body_bytes = 4});
  return 0;
}
