#pragma once
/// \file
/// One line per event on stderr, logfmt: `ts=2026-11-28T12:00:00.123Z level=info msg="..." k=v`.
/// Thread-safe: each line is written with one write(2).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace starttls_exporter::log {

enum class Level { debug, info, warn, error };

using Field = std::pair<std::string_view, std::string_view>;

/// Lines below this level are dropped. Default: info.
void set_level(Level level) noexcept;
Level level() noexcept;

void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::error, m, f);
}

/// Formats one logfmt line (without the trailing newline); exposed for tests.
std::string format_line(std::string_view ts, Level level, std::string_view msg,
                        std::initializer_list<Field> fields);

}  // namespace starttls_exporter::log
