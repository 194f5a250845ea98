#pragma once
/// \file
/// The probe command run in-process with its standard output captured (stderr is left alone:
/// doctest shows it). Shared by the app tests.

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "probe_command.hpp"

namespace starttls_exporter::testing {

struct CommandRun {
  int code = -1;
  std::string out;
};

inline CommandRun run_probe_command(const std::vector<std::string>& args) {
  std::ostringstream captured;
  auto* saved = std::cout.rdbuf(captured.rdbuf());
  CommandRun run;
  run.code = app::probe_command(args);
  std::cout.rdbuf(saved);
  run.out = captured.str();
  return run;
}

}  // namespace starttls_exporter::testing
