// Fuzz target for the SMTP reply parser: feeds the input in chunks whose size comes from the
// first byte, parses reply after reply, and aborts when a bound or invariant is broken.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

// The parser's header is private to src/prober; the fuzz build has no include path for it.
#include "../../src/prober/smtp_reply.hpp"

using starttls_exporter::prober::ParseStatus;
using starttls_exporter::prober::ReplyLimits;
using starttls_exporter::prober::ReplyParser;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_reply(const ReplyParser& parser, const ReplyLimits& limits) {
  const auto& reply = parser.reply();
  check(reply.code >= 200 && reply.code <= 599);
  check(!reply.lines.empty() && reply.lines.size() <= limits.max_reply_lines);
  check(reply.raw.size() <= limits.max_reply_bytes);
  for (const auto& line : reply.lines) check(line.size() <= limits.max_line_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  // Small limits half of the time, so every too_long path is reachable with short inputs.
  const ReplyLimits limits = (data[1] & 1) ? ReplyLimits{32, 128, 4} : ReplyLimits{};
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  ReplyParser parser(limits);
  while (!input.empty()) {
    const std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    ParseStatus status = parser.feed(piece);
    while (status == ParseStatus::complete) {
      check_reply(parser, limits);
      check(parser.leftover().size() <= piece.size());
      status = parser.next();
    }
    if (status == ParseStatus::malformed || status == ParseStatus::too_long) {
      check(!parser.error().empty());
      check(parser.reply().raw.size() <= limits.max_reply_bytes);
      return 0;
    }
  }
  return 0;
}
