#include "starttls_exporter/core/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace starttls_exporter {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Descending order, as Prometheus requires; "ms" must be tried before "m".
constexpr std::array kUnits{
    Unit{"y", 365LL * 24 * 3600 * 1000},
    Unit{"w", 7LL * 24 * 3600 * 1000},
    Unit{"d", 24LL * 3600 * 1000},
    Unit{"h", 3600LL * 1000},
    Unit{"ms", 1},
    Unit{"m", 60LL * 1000},
    Unit{"s", 1000},
};

// Rank for the descending-order rule: ms is the smallest unit although listed before m.
constexpr int rank(std::size_t unit_index) {
  return unit_index == 4
             ? 6
             : (unit_index > 4 ? static_cast<int>(unit_index) - 1 : static_cast<int>(unit_index));
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  int last_rank = -1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (number > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
      number = number * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    std::size_t unit_index = kUnits.size();
    for (std::size_t i = 0; i < kUnits.size(); ++i) {
      if (text.substr(pos).starts_with(kUnits[i].suffix)) {
        unit_index = i;
        break;
      }
    }
    if (unit_index == kUnits.size() || rank(unit_index) <= last_rank) return std::nullopt;
    last_rank = rank(unit_index);
    pos += kUnits[unit_index].suffix.size();
    const std::int64_t millis = kUnits[unit_index].millis;
    if (number > (std::numeric_limits<std::int64_t>::max() - total) / millis) return std::nullopt;
    total += number * millis;
  }
  return Duration{total};
}

std::string format_duration(Duration duration) {
  std::int64_t rest = duration.count();
  if (rest == 0) return "0s";
  std::string out;
  if (rest < 0) {
    out += '-';
    rest = -rest;
  }
  // Weeks and years are not used on output: "168h" reads better than "1w" for intervals.
  for (const Unit& unit : {kUnits[2], kUnits[3], kUnits[5], kUnits[6], kUnits[4]}) {
    if (rest >= unit.millis) {
      out += std::to_string(rest / unit.millis);
      out += unit.suffix;
      rest %= unit.millis;
    }
  }
  return out;
}

}  // namespace starttls_exporter
