#include "tlsrpt_command.hpp"

#include <iostream>
#include <optional>

#include "flags.hpp"
#include "starttls_exporter/config/config.hpp"
#include "starttls_exporter/report/report.hpp"
#include "starttls_exporter/runtime/report_intake.hpp"
#include "starttls_exporter/store/report_database.hpp"
#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::app {
namespace {

constexpr const char* kUsage =
    "usage: starttls_exporter tlsrpt show FILE [--output=text|json]\n"
    "       starttls_exporter tlsrpt import [--config.file=PATH] FILE...\n"
    "\n"
    "show prints one TLS-RPT report (RFC 8460). import keeps reports in the database of the\n"
    "configuration (tlsrpt.database), as the exporter's HTTPS and Maildir intake do: same\n"
    "checks, same duplicates (organization-name and report-id), and a running exporter's\n"
    "metrics include them. FILE holds a report's JSON, that JSON gzipped, or a report mail\n"
    "(.eml), decided by the bytes, not the name. Within the intake limits: 15 MiB a mail,\n"
    "1 MiB a report as sent, 20 MiB inflated, JSON 32 levels deep, 1,000 policies, 100,000\n"
    "failure details.\n"
    "\n"
    "Exit status: 0 every report printed or kept (or already kept), 1 a report refused (the\n"
    "reason on stderr), 2 usage, I/O or database error.\n";

int usage_error(const std::string& problem) {
  std::cerr << "starttls_exporter tlsrpt: " << problem << "\n\n" << kUsage;
  return 2;
}

int show(const std::vector<std::string>& args) {
  std::string file, output = "text";
  for (std::size_t i = 0; i < args.size(); ++i) {
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
  auto bytes = runtime::read_submission(file);
  if (!bytes) return usage_error("cannot read " + file);
  if (!tlsrpt::looks_like_report_body(*bytes)) {
    tlsrpt::MailBody part = tlsrpt::report_from_mail(*bytes, limits);
    if (!part.body) {
      std::cerr << "starttls_exporter tlsrpt: " << file << ": refused ("
                << tlsrpt::to_string(*part.refusal) << "): " << part.detail << "\n";
      return 1;
    }
    bytes = std::move(part.body);
  }
  const tlsrpt::Parsed parsed = tlsrpt::decode_and_parse(*bytes, limits);
  if (!parsed.report) {
    std::cerr << "starttls_exporter tlsrpt: " << file << ": refused ("
              << tlsrpt::to_string(*parsed.refusal) << "): " << parsed.detail << "\n";
    return 1;
  }
  std::cout << (output == "json" ? report::tlsrpt_json_report(*parsed.report)
                                 : report::tlsrpt_text_report(*parsed.report));
  return 0;
}

/// One file into the database; true when kept or already kept.
bool import_file(store::ReportDatabase& database, const config::Config& config,
                 const std::string& file) {
  const auto bytes = runtime::read_submission(file);
  if (!bytes) throw std::runtime_error("cannot read " + file);
  const runtime::IntakeOutcome outcome =
      runtime::ingest_submission(database, config, *bytes, runtime::ReportSource::cli);
  database.count_submission("cli", runtime::to_string(outcome.result));
  std::cout << file << ": " << runtime::to_string(outcome.result);
  if (!outcome.report_id.empty()) {
    std::cout << " (" << outcome.organization << ", report-id " << outcome.report_id << ")";
  }
  if (!outcome.detail.empty()) std::cout << ": " << outcome.detail;
  std::cout << "\n";
  return outcome.result == runtime::SubmissionResult::stored ||
         outcome.result == runtime::SubmissionResult::duplicate;
}

int import(const std::vector<std::string>& args) {
  std::string config_file = kDefaultConfigFile;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].starts_with("--config.file=")) {
      config_file = args[i].substr(14);
    } else if (args[i] == "--config.file" && i + 1 < args.size()) {
      config_file = args[++i];
    } else if (!args[i].starts_with("-")) {
      files.push_back(args[i]);
    } else {
      return usage_error("unexpected argument \"" + args[i] + "\"");
    }
  }
  if (files.empty()) return usage_error("no FILE");
  try {
    const config::Config config = config::load_config(config_file);
    if (config.tlsrpt.database.empty()) {
      std::cerr << "starttls_exporter tlsrpt: " << config_file
                << ": tlsrpt.database is not set: there is nowhere to keep reports\n";
      return 2;
    }
    store::ReportDatabase database(config.tlsrpt.database);
    bool all_kept = true;
    for (const auto& file : files) all_kept = import_file(database, config, file) && all_kept;
    return all_kept ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "starttls_exporter tlsrpt: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

int tlsrpt_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "show") return show(rest);
  if (!args.empty() && args[0] == "import") return import(rest);
  return usage_error("the subcommands are show and import");
}

}  // namespace starttls_exporter::app
