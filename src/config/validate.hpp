#pragma once
/// \file
/// Syntax checks for configuration values, independent of YAML. Private to src/config.
/// Each *_problem function returns nullopt when the value is acceptable, else a short phrase
/// describing what is wrong (it becomes the PROBLEM part of a ConfigError). Nothing here throws
/// except std::bad_alloc.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "starttls_exporter/core/net.hpp"
#include "starttls_exporter/core/text.hpp"

namespace starttls_exporter::config::detail {

// The shared rules (src/core), by the names the loader has always used.
using net::canonical_ip;
using net::ehlo_name_problem;
using net::is_dns_name;
using net::server_name_problem;
using text::is_valid_utf8;
using text::quote;

/// A module name: 1–64 of [A-Za-z0-9_-]. It becomes the `module` label and part of the
/// dotted keys in error messages, so dots and other punctuation are not allowed.
std::optional<std::string> module_name_problem(std::string_view text);

/// A static label name: [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed, not reserved.
std::optional<std::string> label_name_problem(std::string_view text);

/// A static label value: valid UTF-8 without NUL bytes.
std::optional<std::string> label_value_problem(std::string_view text);

/// `text` with \xNN for control and non-ASCII bytes (and \" \\), cut after `max_shown`
/// bytes with "...": for text from elsewhere (yaml-cpp's messages quote input bytes).
std::string escape(std::string_view text, std::size_t max_shown = 256);

/// True for keys shown bare in dotted paths: 1–64 of [A-Za-z0-9_-]. Others are quoted.
bool is_plain_key(std::string_view text);

}  // namespace starttls_exporter::config::detail
