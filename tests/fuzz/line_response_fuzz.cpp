// Fuzz target for the line-response parser of the IMAP, POP3 and ManageSieve dialogues: the
// first byte picks the chunk size, the second the limits and which kind of final line ends a
// response (IMAP tagged, POP3 status or multi-line ".", ManageSieve OK/NO/BYE); then responses
// are parsed one after another until the input ends or the parser refuses it. Aborts when a
// bound or invariant is broken.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// The parser's header is private to src/prober; the fuzz build has no include path for it.
#include "../../src/prober/line_reader.hpp"

using starttls_exporter::prober::LineResponseParser;
using starttls_exporter::prober::ParseStatus;
using starttls_exporter::prober::ReplyLimits;
using starttls_exporter::prober::starts_with_ignoring_case;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Final-line tests of the shapes the dialogues use.
LineResponseParser::FinalTest final_test(unsigned kind) {
  switch (kind % 3) {
    case 0:  // IMAP: the tagged status line
      return [](const std::vector<std::string>&, std::string_view line) {
        return starts_with_ignoring_case(line, "A1 ");
      };
    case 1:  // POP3 CAPA: "-ERR" at once, or "+OK" lines ended by "."
      return [](const std::vector<std::string>& before, std::string_view line) {
        if (before.empty()) return starts_with_ignoring_case(line, "-ERR");
        return line == ".";
      };
    default:  // ManageSieve: OK, NO or BYE
      return [](const std::vector<std::string>&, std::string_view line) {
        return starts_with_ignoring_case(line, "OK") || starts_with_ignoring_case(line, "NO") ||
               starts_with_ignoring_case(line, "BYE");
      };
  }
}

void check_response(const LineResponseParser& parser, const ReplyLimits& limits) {
  check(!parser.lines().empty() && parser.lines().size() <= limits.max_reply_lines);
  check(parser.raw().size() <= limits.max_reply_bytes);
  for (const auto& line : parser.lines()) check(line.size() <= limits.max_line_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  // Small limits half of the time, so every too_long path is reachable with short inputs.
  const ReplyLimits limits = (data[1] & 1) ? ReplyLimits{32, 128, 4} : ReplyLimits{};
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  LineResponseParser parser(final_test(data[1] >> 1), limits);
  while (!input.empty()) {
    const std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    ParseStatus status = parser.feed(piece);
    while (status == ParseStatus::complete) {
      check_response(parser, limits);
      check(parser.leftover().size() <= piece.size());
      status = parser.next();
    }
    if (status == ParseStatus::malformed || status == ParseStatus::too_long) {
      check(!parser.error().empty());
      check(parser.raw().size() <= limits.max_reply_bytes);
      return 0;
    }
  }
  return 0;
}
