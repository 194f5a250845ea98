#pragma once
/// \file
/// The command line of starttls_exporter.

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "starttls_exporter/log/log.hpp"
#include "starttls_exporter/runtime/shard.hpp"

namespace starttls_exporter::app {

/// The default of --config.file, relative to the working directory.
inline constexpr const char* kDefaultConfigFile = "starttls_exporter.yml";
inline constexpr const char* kDefaultListenAddress = ":9725";

struct Flags {
  std::string config_file = kDefaultConfigFile;
  std::string listen_address = kDefaultListenAddress;
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::logfmt;
  std::string web_config_file;         ///< --web.config.file; empty: plain HTTP, no authentication
  std::string tlsrpt_listen_address;   ///< --tlsrpt.listen-address; empty: no TLS-RPT listener
  std::string tlsrpt_web_config_file;  ///< --tlsrpt.web-config.file; empty: plain HTTP
  runtime::Shard shard;       ///< --shard: which targets this replica probes (default: all)
  bool config_check = false;  ///< validate the config (trust stores too) and exit
  bool version = false;
  bool help = false;
};

/// A command line that cannot be parsed; what() is one line for the user.
class FlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The flags a command accepts: value flags (`--name=VALUE` or `--name VALUE`) with the
/// function that stores the value (it throws FlagError for a bad one), and switches.
template <class T>
struct FlagTable {
  std::map<std::string, std::function<void(T&, const std::string&)>, std::less<>> values;
  std::map<std::string, bool T::*, std::less<>> switches;
};

/// Parses `args` into `out` by `table`. An argument that is not a flag goes to `positional`,
/// which throws FlagError when it takes none. Throws FlagError for an unknown flag, a switch
/// given a value, a value flag without one.
template <class T>
void parse_args(const std::vector<std::string>& args, const FlagTable<T>& table, T& out,
                const std::function<void(const std::string&)>& positional) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("-")) {
      positional(arg);
      continue;
    }
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (auto sw = table.switches.find(name); sw != table.switches.end()) {
      if (eq != std::string::npos) throw FlagError(name + ": takes no value");
      out.*(sw->second) = true;
      continue;
    }
    auto setter = table.values.find(name);
    if (setter == table.values.end()) throw FlagError("unknown flag: " + arg);
    if (eq != std::string::npos) {
      setter->second(out, arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      setter->second(out, args[++i]);
    } else {
      throw FlagError(name + ": missing value");
    }
  }
}

/// Parses the arguments after the program name. Value flags take `--name=VALUE` or
/// `--name VALUE`. Throws FlagError for an unknown flag, a missing or bad value.
Flags parse_flags(const std::vector<std::string>& args);

/// The --help text: every flag with its default.
std::string usage();

}  // namespace starttls_exporter::app
