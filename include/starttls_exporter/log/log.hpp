#pragma once
/// \file
/// One line per event on stderr, logfmt: `ts=2026-11-28T12:00:00.123Z level=info msg="..." k=v`,
/// or JSON lines with the same fields in the same order: `{"ts":"...","level":"info",...}`.
/// Thread-safe: each line is written with one write(2).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace starttls_exporter::log {

enum class Level { debug, info, warn, error };
enum class Format { logfmt, json };

using Field = std::pair<std::string_view, std::string_view>;

/// Lines below this level are dropped. Default: info.
void set_level(Level level) noexcept;
Level level() noexcept;

/// The line format. Default: logfmt. Set it before other threads log.
void set_format(Format format) noexcept;
Format format() noexcept;

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

/// Formats one JSON object line (without the trailing newline): keys ts, level, msg, then the
/// fields in order (a repeated key is written as given). Strings are escaped per RFC 8259
/// (\" \\ \n \r \t, a \u escape for other control bytes); bytes that are not valid UTF-8 become
/// U+FFFD, so the line is always valid JSON.
std::string format_json_line(std::string_view ts, Level level, std::string_view msg,
                             std::initializer_list<Field> fields);

}  // namespace starttls_exporter::log
