#include "starttls_exporter/log/log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::logfmt};

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

bool needs_quoting(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

// logfmt value: bare when safe, else double-quoted with \" \\ \n \t and \xNN escapes, so one
// event is always one line whatever a hostile server sent.
void append_value(std::string& out, std::string_view value) {
  if (!needs_quoting(value)) {
    out += value;
    return;
  }
  out += '"';
  for (const char c : value) text::append_escaped(out, static_cast<unsigned char>(c), {});
  out += '"';
}

std::string utc_timestamp() {
  return text::rfc3339(std::chrono::system_clock::now(), true);
}

}  // namespace

void set_level(Level level) noexcept {
  g_level.store(level);
}
Level level() noexcept {
  return g_level.load();
}
void set_format(Format format) noexcept {
  g_format.store(format);
}
Format format() noexcept {
  return g_format.load();
}

std::string format_line(std::string_view ts, Level lvl, std::string_view msg,
                        std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(96);
  line += "ts=";
  line += ts;
  line += " level=";
  line += level_name(lvl);
  line += " msg=";
  append_value(line, msg);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    append_value(line, value);
  }
  return line;
}

std::string format_json_line(std::string_view ts, Level lvl, std::string_view msg,
                             std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  line += "{\"ts\":";
  text::append_json_string(line, ts);
  line += ",\"level\":";
  text::append_json_string(line, level_name(lvl));
  line += ",\"msg\":";
  text::append_json_string(line, msg);
  for (const auto& [key, value] : fields) {
    line += ',';
    text::append_json_string(line, key);
    line += ':';
    text::append_json_string(line, value);
  }
  line += '}';
  return line;
}

void write(Level lvl, std::string_view msg, std::initializer_list<Field> fields) {
  if (lvl < g_level.load()) return;
  std::string line = g_format.load() == Format::json
                         ? format_json_line(utc_timestamp(), lvl, msg, fields)
                         : format_line(utc_timestamp(), lvl, msg, fields);
  line += '\n';
  // One write(2) per line keeps lines from different threads whole.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace starttls_exporter::log
