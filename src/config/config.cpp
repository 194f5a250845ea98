// load_config / parse_config: reading the file, running yaml-cpp, and turning every yaml-cpp
// exception into a located ConfigError. The sections themselves are built in sections.cpp.

#include "starttls_exporter/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <utility>

#include "starttls_exporter/core/net.hpp"

#include "document.hpp"
#include "sections.hpp"
#include "starttls_exporter/core/files.hpp"
#include "validate.hpp"
#include "yaml_reader.hpp"

namespace starttls_exporter::config {
namespace {

// A config file is a few kilobytes to a few megabytes (100,000 targets: about 6.5 MB); this
// bound only stops a mistaken path (a log file, a device) from being slurped into memory.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

// The Config of `yaml_text` without source_text (the callers set it, copied or moved).
Config parse_without_text(const std::string& yaml_text, const std::string& file_name) {
  const detail::Document document = detail::load_document(yaml_text, file_name, true);
  try {
    return detail::build_config(document, detail::Reader(file_name));
  } catch (const YAML::Exception& e) {
    // Not expected: the reader checks node types before converting. Kept so that only
    // ConfigError ever leaves this function.
    throw ConfigError(detail::location_of(file_name, e.mark), "",
                      "cannot read the YAML tree: " + detail::escape(e.msg));
  }
}

}  // namespace

std::string SourceLocation::to_string() const {
  if (line <= 0) return file;
  std::string out = file + ":" + std::to_string(line);
  if (column > 0) out += ":" + std::to_string(column);
  return out;
}

ConfigError::ConfigError(SourceLocation where, std::string key, std::string problem)
    : std::runtime_error(where.to_string() + ": " + (key.empty() ? "" : key + ": ") + problem),
      where_(std::move(where)),
      key_(std::move(key)),
      problem_(std::move(problem)) {}

std::string Target::endpoint() const {
  return net::format_endpoint(address, port);
}

std::string Target::key() const {
  return endpoint() + "|" + module;
}

Config load_config(const std::string& path) {
  std::string text;
  if (const auto problem = read_regular_file(path, text, kMaxConfigBytes)) {
    throw ConfigError({path, 0, 0}, "", "cannot read the configuration file: " + *problem);
  }
  Config config = parse_without_text(text, path);
  config.source_text = std::move(text);  // not a second copy of a file that may be megabytes
  return config;
}

Config parse_config(const std::string& yaml_text, const std::string& file_name) {
  Config config = parse_without_text(yaml_text, file_name);
  config.source_text = yaml_text;
  return config;
}

}  // namespace starttls_exporter::config
