#pragma once
/// \file
/// Typed, located access to a parsed YAML tree. Private to src/config; the only place besides
/// config.cpp that sees yaml-cpp. Every accessor throws ConfigError ("file:line:col: key:
/// problem") on the first problem it finds; nothing else is thrown except std::bad_alloc.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "starttls_exporter/config/config.hpp"

namespace starttls_exporter::config::detail {

/// One key/value pair of a YAML mapping, with its dotted path ("modules.smtp.timeout").
struct Entry {
  std::string name;
  std::string path;
  YAML::Node key;
  YAML::Node value;
};

/// The entries of one mapping in file order, looked up by name.
class Fields {
 public:
  Fields(std::vector<Entry> entries, YAML::Node map, std::string path)
      : entries_(std::move(entries)), map_(std::move(map)), path_(std::move(path)) {}
  const std::vector<Entry>& all() const noexcept { return entries_; }
  /// The entry named `name`, or nullptr when the key is absent.
  const Entry* find(std::string_view name) const noexcept;
  const YAML::Node& map() const noexcept { return map_; }
  /// The path of a child key: "targets[0]" + "address" -> "targets[0].address".
  std::string child_path(std::string_view name) const;

 private:
  std::vector<Entry> entries_;
  YAML::Node map_;
  std::string path_;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  /// The same reader for a tree parsed from a slice of the file that starts at 0-based line
  /// `first_line` (document.hpp's TextSlice): locations count from the file's first line.
  Reader for_slice(int first_line) const {
    Reader shifted(file_);
    shifted.line_offset_ = first_line;
    return shifted;
  }

  const std::string& file() const noexcept { return file_; }
  /// 1-based location of `node`; line 0 when yaml-cpp has no mark for it.
  SourceLocation location(const YAML::Node& node) const;
  /// Where to report a problem with an entry's value: the value, or its key when the value is
  /// empty (yaml-cpp's marks for empty values point past the line).
  SourceLocation location(const Entry& entry) const;

  [[noreturn]] void fail(const SourceLocation& where, std::string key, std::string problem) const;
  [[noreturn]] void fail(const Entry& entry, std::string problem) const;

  /// The entries of mapping `map` at `path`. A null node (an empty "key:") reads as an empty
  /// mapping. Rejects non-mappings, non-scalar and duplicate keys, and — when `allowed` is not
  /// empty — keys not in `allowed`.
  Fields fields(const YAML::Node& map, const std::string& path,
                std::span<const std::string_view> allowed) const;
  Fields fields(const YAML::Node& map, const std::string& path,
                std::initializer_list<std::string_view> allowed) const {
    return fields(map, path, std::span(allowed.begin(), allowed.size()));
  }

  /// The fields of one mapping item of a sequence (`path` "targets[3]"), which must have the
  /// `required` keys; a null item fails "expected a mapping with at least A and B".
  Fields item_fields(const YAML::Node& item, const std::string& path,
                     std::span<const std::string_view> allowed,
                     std::initializer_list<std::string_view> required) const;

  /// The entry's value as a scalar string; `what` names the expected kind ("a duration").
  std::string scalar(const Entry& entry, std::string_view what) const;
  /// A positive Prometheus duration ("30s").
  Duration duration(const Entry& entry) const;
  /// The file the entry names, read once now (a typo fails at load, not at first use). A
  /// relative name is resolved against the config file's directory. An empty name fails with
  /// `empty_problem`; an unreadable file with "cannot read "NAME" (resolved to "PATH"): why".
  LoadedFile named_file(const Entry& entry, std::string_view empty_problem,
                        std::size_t max_bytes) const;
  /// A decimal integer in [min, max]; no sign, no other bases.
  std::int64_t integer(const Entry& entry, std::int64_t min, std::int64_t max) const;

 private:
  std::string file_;
  int line_offset_ = 0;
};

/// "a mapping", "a sequence", "a scalar", "nothing": for "expected X, got Y" messages.
std::string_view describe(const YAML::Node& node);

}  // namespace starttls_exporter::config::detail
