// starttls_exporter: probes mail servers' TLS (SMTP, submission, LMTP, IMAP, POP3, ManageSieve;
// STARTTLS or implicit TLS) and serves Prometheus metrics.

#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exporter.hpp"
#include "flags.hpp"
#include "probe_command.hpp"
#include "process.hpp"
#include "tlsrpt_command.hpp"

int main(int argc, char** argv) {
  using namespace starttls_exporter;
  const sigset_t control_signals = app::block_control_signals();  // before any thread starts

  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "probe") {
    return app::probe_command(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && args.front() == "tlsrpt") {
    return app::tlsrpt_command(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  app::Flags flags;
  try {
    flags = app::parse_flags(args);
  } catch (const app::FlagError& e) {
    std::cerr << "starttls_exporter: " << e.what() << "\n\n" << app::usage();
    return 2;
  }
  if (flags.help) {
    std::cout << app::usage();
    return 0;
  }
  if (flags.version) {
    std::cout << app::version_line() << "\n";
    return 0;
  }
  log::set_level(flags.log_level);
  log::set_format(flags.log_format);
  if (flags.config_check) return app::check_config(flags);
  return app::run_exporter(flags, control_signals);
}
