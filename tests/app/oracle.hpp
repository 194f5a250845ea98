#pragma once
/// \file
/// Asking an independent oracle of tests/app/oracles.sh (posttls-finger, mta-sts-query) from a
/// test: its exit status is the verdict, its output the evidence shown when verdicts differ.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace starttls_exporter::testing {

struct OracleAnswer {
  int verdict = 2;  ///< 0 yes, 1 no, 2 the oracle is broken
  std::string output;
};

/// Runs `ORACLE ARGS` through the shell and keeps what it printed.
inline OracleAnswer ask_oracle(const std::string& oracle, const std::string& args) {
  OracleAnswer answer;
  const std::string command = oracle + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return answer;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    answer.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  answer.verdict = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
  return answer;
}

}  // namespace starttls_exporter::testing
