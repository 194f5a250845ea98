#pragma once
/// \file
/// Builds a Config from a parsed YAML document: defaults first, then validation, section by
/// section (global, modules, targets — in that order whatever their order in the file).
/// Private to src/config.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "starttls_exporter/config.hpp"
#include "yaml_reader.hpp"

namespace starttls_exporter::config::detail {

/// Throws ConfigError for the first problem found. Relative tls.ca_file paths are resolved
/// against the directory of reader.file(), and the file is opened to check it is readable.
Config build_config(const YAML::Node& root, const Reader& reader);

/// Names of the modules that set their own timeout (the others inherit global.timeout); used
/// to say where an effective timeout came from.
using OwnTimeouts = std::set<std::string, std::less<>>;

/// The `targets` sequence (`entry` may be null: no targets). `config` must already hold the
/// global settings and the modules; the targets get the effective interval.
std::vector<Target> parse_targets(const Entry* entry, const Config& config,
                                  const OwnTimeouts& own_timeouts, const Reader& reader);

}  // namespace starttls_exporter::config::detail
