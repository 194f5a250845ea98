#include "flags.hpp"

#include <string_view>

namespace starttls_exporter::app {
namespace {

std::optional<log::Level> parse_level(std::string_view text) {
  if (text == "debug") return log::Level::debug;
  if (text == "info") return log::Level::info;
  if (text == "warn") return log::Level::warn;
  if (text == "error") return log::Level::error;
  return std::nullopt;
}

const FlagTable<Flags>& flag_table() {
  static const FlagTable<Flags> table{
      {
          {"--config.file",
           [](Flags& f, const std::string& v) {
             if (v.empty()) throw FlagError("--config.file: empty path");
             f.config_file = v;
           }},
          {"--web.listen-address",
           [](Flags& f, const std::string& v) {
             if (v.empty()) throw FlagError("--web.listen-address: empty address");
             f.listen_address = v;
           }},
          {"--log.level",
           [](Flags& f, const std::string& v) {
             const auto level = parse_level(v);
             if (!level)
               throw FlagError("--log.level: want debug, info, warn or error, got \"" + v + "\"");
             f.log_level = *level;
           }},
          {"--log.format",
           [](Flags& f, const std::string& v) {
             if (v == "logfmt") {
               f.log_format = log::Format::logfmt;
             } else if (v == "json") {
               f.log_format = log::Format::json;
             } else {
               throw FlagError("--log.format: want logfmt or json, got \"" + v + "\"");
             }
           }},
          {"--web.config.file",
           [](Flags& f, const std::string& v) {
             if (v.empty()) throw FlagError("--web.config.file: empty path");
             f.web_config_file = v;
           }},
          {"--tlsrpt.listen-address",
           [](Flags& f, const std::string& v) {
             if (v.empty()) throw FlagError("--tlsrpt.listen-address: empty address");
             f.tlsrpt_listen_address = v;
           }},
          {"--tlsrpt.web-config.file",
           [](Flags& f, const std::string& v) {
             if (v.empty()) throw FlagError("--tlsrpt.web-config.file: empty path");
             f.tlsrpt_web_config_file = v;
           }},
          {"--shard",
           [](Flags& f, const std::string& v) {
             try {
               f.shard =
                   runtime::parse_shard(v, v.starts_with("auto/") ? runtime::local_hostname() : "");
             } catch (const std::invalid_argument& e) {
               throw FlagError(std::string("--shard: ") + e.what());
             }
           }},
      },
      {
          {"--config.check", &Flags::config_check},
          {"--version", &Flags::version},
          {"--help", &Flags::help},
          {"-h", &Flags::help},
      }};
  return table;
}

}  // namespace

Flags parse_flags(const std::vector<std::string>& args) {
  Flags flags;
  parse_args(args, flag_table(), flags,
             [](const std::string& arg) { throw FlagError("unknown flag: " + arg); });
  return flags;
}

std::string usage() {
  return std::string(
             "usage: starttls_exporter [flags]\n"
             "       starttls_exporter probe ADDRESS[:PORT] [flags]   (one probe now)\n"
             "       starttls_exporter tlsrpt show FILE [--output=json] (one TLS-RPT report)\n"
             "       starttls_exporter tlsrpt import FILE... (into tlsrpt.database)\n"
             "\n"
             "Probes mail servers' TLS (SMTP, submission, LMTP, IMAP, POP3, ManageSieve; STARTTLS\n"
             "or implicit TLS) and serves the results to Prometheus.\n"
             "\n"
             "Flags (--name=VALUE or --name VALUE):\n"
             "  --config.file=PATH             configuration file (default \"") +
         kDefaultConfigFile +
         "\")\n"
         "  --web.listen-address=HOST:PORT address of /metrics (default \"" +
         kDefaultListenAddress +
         "\";\n"
         "                                 \":PORT\" is every interface, \"[::1]:PORT\" IPv6)\n"
         "  --log.level=LEVEL              debug, info, warn or error (default \"info\")\n"
         "  --log.format=FORMAT            logfmt or json (default \"logfmt\")\n"
         "  --web.config.file=PATH         TLS and basic authentication of the web port, in\n"
         "                                 the exporter toolkit's format (default: none)\n"
         "  --tlsrpt.listen-address=HOST:PORT\n"
         "                                 address of POST /tlsrpt, where senders send TLS-RPT\n"
         "                                 reports (needs tlsrpt.database; default: none)\n"
         "  --tlsrpt.web-config.file=PATH  TLS and basic authentication of that listener, in\n"
         "                                 the same format (default: none, plain HTTP)\n"
         "  --shard=INDEX/COUNT            probe only the targets that rendezvous hashing of\n"
         "                                 their key assigns to shard INDEX of COUNT (0-based;\n"
         "                                 default \"0/1\", every target); INDEX \"auto\" takes\n"
         "                                 the host name's trailing ordinal (\"exporter-2\": 2)\n"
         "  --config.check                 load and validate the configuration, including CA\n"
         "                                 files, then exit: 0 when valid, 1 when not\n"
         "  --version                      print the version and exit\n"
         "  -h, --help                     print this help and exit\n"
         "\n"
         "Signals: SIGHUP reloads the configuration (a bad one is logged and ignored);\n"
         "SIGTERM and SIGINT stop the exporter.\n";
}

}  // namespace starttls_exporter::app
