#include "yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "document.hpp"
#include "starttls_exporter/core/files.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {

std::string_view describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

const Entry* Fields::find(std::string_view name) const noexcept {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string Fields::child_path(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
}

SourceLocation Reader::location(const YAML::Node& node) const {
  SourceLocation where = location_of(file_, node.Mark());
  if (where.line > 0) where.line += line_offset_;
  return where;
}

Fields Reader::item_fields(const YAML::Node& item, const std::string& path,
                           std::span<const std::string_view> allowed,
                           std::initializer_list<std::string_view> required) const {
  if (item.IsNull()) {
    std::string keys;
    for (const auto key : required) keys += (keys.empty() ? "" : " and ") + std::string(key);
    fail(location(item), path, "expected a mapping with at least " + keys + ", got nothing");
  }
  Fields fields = this->fields(item, path, allowed);
  for (const auto key : required) {
    if (fields.find(key) == nullptr) {
      fail(location(item), fields.child_path(key), "required key is missing");
    }
  }
  return fields;
}

LoadedFile Reader::named_file(const Entry& entry, std::string_view empty_problem,
                              std::size_t max_bytes) const {
  const std::string text = scalar(entry, "a file name");
  if (text.empty()) fail(entry, std::string(empty_problem));
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(file_).parent_path() / path;
  LoadedFile loaded{path.string(), {}};
  if (const auto problem = read_regular_file(loaded.path, loaded.bytes, max_bytes)) {
    constexpr std::size_t kShown = 1024;
    std::string shown = quote(text, kShown);
    if (loaded.path != text) shown += " (resolved to " + quote(loaded.path, kShown) + ")";
    fail(entry, "cannot read " + shown + ": " + *problem);
  }
  return loaded;
}

SourceLocation Reader::location(const Entry& entry) const {
  return entry.value.IsNull() ? location(entry.key) : location(entry.value);
}

void Reader::fail(const SourceLocation& where, std::string key, std::string problem) const {
  throw ConfigError(where, std::move(key), std::move(problem));
}

void Reader::fail(const Entry& entry, std::string problem) const {
  fail(location(entry), entry.path, std::move(problem));
}

Fields Reader::fields(const YAML::Node& map, const std::string& path,
                      std::span<const std::string_view> allowed) const {
  std::vector<Entry> entries;
  if (map.IsNull()) return Fields(std::move(entries), map, path);
  if (!map.IsMap()) {
    fail(location(map), path, "expected a mapping, got " + std::string(describe(map)));
  }
  Fields so_far({}, map, path);
  for (const auto& pair : map) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) {
      fail(location(key), path, "keys must be scalars, got " + std::string(describe(key)));
    }
    const std::string name = key.Scalar();
    // Keys that are not plain identifiers are shown quoted so the message stays one line.
    const std::string child = so_far.child_path(is_plain_key(name) ? name : quote(name));
    if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string expected;
      for (auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
      fail(location(key), child, "unknown key (expected one of: " + expected + ")");
    }
    for (const auto& earlier : entries) {
      if (earlier.name == name) {
        fail(location(key), child,
             "duplicate key (first at line " + std::to_string(location(earlier.key).line) + ")");
      }
    }
    entries.push_back(Entry{name, child, key, pair.second});
  }
  return Fields(std::move(entries), map, path);
}

std::string Reader::scalar(const Entry& entry, std::string_view what) const {
  if (!entry.value.IsScalar()) {
    fail(entry, "expected " + std::string(what) + ", got " + std::string(describe(entry.value)));
  }
  return entry.value.Scalar();
}

Duration Reader::duration(const Entry& entry) const {
  const std::string text = scalar(entry, "a duration such as 30s");
  const auto parsed = parse_duration(text);
  if (!parsed) {
    fail(entry, quote(text) + " is not a duration (use units y, w, d, h, m, s, ms as in 1m30s)");
  }
  if (parsed->count() <= 0) fail(entry, "must be greater than zero");
  return *parsed;
}

std::int64_t Reader::integer(const Entry& entry, std::int64_t min, std::int64_t max) const {
  const std::string text = scalar(entry, "an integer");
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const std::string range = " (" + std::to_string(min) + " to " + std::to_string(max) + ")";
  if (!digits_only || (ec != std::errc{} && ec != std::errc::result_out_of_range) || ptr != end) {
    fail(entry, quote(text) + " is not an integer" + range);
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    fail(entry, quote(text) + " is out of range" + range);
  }
  return value;
}

}  // namespace starttls_exporter::config::detail
