#include "tlsrpt_command.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

#include "starttls_exporter/report/report.hpp"
#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::app {
namespace {

constexpr const char* kUsage =
    "usage: starttls_exporter tlsrpt show FILE [--output=text|json]\n"
    "\n"
    "Prints one TLS-RPT report (RFC 8460): FILE holds its JSON, or that JSON gzipped (decided\n"
    "by the bytes, not the name). Within the intake limits: 1 MiB as stored, 20 MiB inflated,\n"
    "JSON 32 levels deep, 1,000 policies, 100,000 failure details.\n"
    "\n"
    "Exit status: 0 printed, 1 the report is refused (the reason on stderr), 2 usage or I/O\n"
    "error.\n";

int usage_error(const std::string& problem) {
  std::cerr << "starttls_exporter tlsrpt: " << problem << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int tlsrpt_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.empty() || args[0] != "show") return usage_error("the only subcommand is show");
  std::string file, output = "text";
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].starts_with("--output=")) {
      output = args[i].substr(9);
    } else if (args[i] == "--output" && i + 1 < args.size()) {
      output = args[++i];
    } else if (file.empty() && !args[i].starts_with("-")) {
      file = args[i];
    } else {
      return usage_error("unexpected argument \"" + args[i] + "\"");
    }
  }
  if (file.empty()) return usage_error("no FILE");
  if (output != "text" && output != "json") return usage_error("--output is text or json");
  const tlsrpt::Limits limits;
  std::ifstream in(file, std::ios::binary);
  if (!in) return usage_error("cannot read " + file);
  std::string body;
  body.resize(limits.max_compressed_bytes + 1);  // one byte more tells "too large"
  in.read(body.data(), static_cast<std::streamsize>(body.size()));
  if (in.bad()) return usage_error("cannot read " + file);
  body.resize(static_cast<std::size_t>(in.gcount()));
  const tlsrpt::Parsed parsed = tlsrpt::decode_and_parse(body, limits);
  if (!parsed.report) {
    std::cerr << "starttls_exporter tlsrpt: " << file << ": refused ("
              << tlsrpt::to_string(*parsed.refusal) << "): " << parsed.detail << "\n";
    return 1;
  }
  std::cout << (output == "json" ? report::tlsrpt_json_report(*parsed.report)
                                 : report::tlsrpt_text_report(*parsed.report));
  return 0;
}

}  // namespace starttls_exporter::app
