#pragma once
/// \file
/// The command line of starttls_exporter.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "starttls_exporter/log.hpp"
#include "starttls_exporter/shard.hpp"

namespace starttls_exporter::app {

/// The default of --config.file, relative to the working directory.
inline constexpr const char* kDefaultConfigFile = "starttls_exporter.yml";
inline constexpr const char* kDefaultListenAddress = ":9725";

struct Flags {
  std::string config_file = kDefaultConfigFile;
  std::string listen_address = kDefaultListenAddress;
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::logfmt;
  std::string web_config_file;  ///< --web.config.file; empty: plain HTTP, no authentication
  runtime::Shard shard;         ///< --shard: which targets this replica probes (default: all)
  bool config_check = false;    ///< validate the config (trust stores too) and exit
  bool version = false;
  bool help = false;
};

/// A command line that cannot be parsed; what() is one line for the user.
class FlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses the arguments after the program name. Value flags take `--name=VALUE` or
/// `--name VALUE`. Throws FlagError for an unknown flag, a missing or bad value.
Flags parse_flags(const std::vector<std::string>& args);

/// The --help text: every flag with its default.
std::string usage();

}  // namespace starttls_exporter::app
