#include <doctest/doctest.h>

#include <stdlib.h>
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "flags.hpp"
#include "starttls_exporter/config/config.hpp"

using namespace starttls_exporter;
using namespace starttls_exporter::app;
using namespace std::chrono_literals;

TEST_CASE("flags: both value forms, switches and defaults") {
  struct Case {
    std::vector<std::string> args;
    std::string config_file, listen_address;
    bool check, version, help;
    log::Level level;
  };
  const Case cases[] = {
      {{}, kDefaultConfigFile, kDefaultListenAddress, false, false, false, log::Level::info},
      {{"--config.file=a.yml"}, "a.yml", ":9725", false, false, false, log::Level::info},
      {{"--config.file", "b.yml", "--config.check"},
       "b.yml",
       ":9725",
       true,
       false,
       false,
       log::Level::info},
      {{"--web.listen-address=127.0.0.1:0", "--log.level", "debug"},
       kDefaultConfigFile,
       "127.0.0.1:0",
       false,
       false,
       false,
       log::Level::debug},
      {{"--web.listen-address", "[::1]:9725", "--version"},
       kDefaultConfigFile,
       "[::1]:9725",
       false,
       true,
       false,
       log::Level::info},
      {{"-h"}, kDefaultConfigFile, ":9725", false, false, true, log::Level::info},
      {{"--help", "--log.level=error"},
       kDefaultConfigFile,
       ":9725",
       false,
       false,
       true,
       log::Level::error},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args.size());
    const Flags flags = parse_flags(c.args);
    CHECK(flags.config_file == c.config_file);
    CHECK(flags.listen_address == c.listen_address);
    CHECK(flags.config_check == c.check);
    CHECK(flags.version == c.version);
    CHECK(flags.help == c.help);
    CHECK(flags.log_level == c.level);
  }
}

TEST_CASE("flags: unknown flags and missing or bad values are errors") {
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus"},
      {"config.yml"},
      {"--config.file"},
      {"--config.file="},
      {"--log.level=verbose"},
      {"--version=yes"},
      {"--web.listen-address"},
  };
  for (const auto& args : bad) {
    CAPTURE(args.front());
    CHECK_THROWS_AS(parse_flags(args), FlagError);
  }
  CHECK(usage().find("--config.file") != std::string::npos);
  CHECK(usage().find(kDefaultConfigFile) != std::string::npos);
}

TEST_CASE("--shard is a flag; a bad value is a FlagError naming it") {
  CHECK(parse_flags({}).shard == runtime::Shard{0, 1});
  CHECK(parse_flags({"--shard=1/4"}).shard == runtime::Shard{1, 4});
  CHECK(parse_flags({"--shard", "3/4"}).shard == runtime::Shard{3, 4});
  try {
    parse_flags({"--shard=4/4"});
    FAIL("--shard=4/4 accepted");
  } catch (const FlagError& e) {
    CHECK(std::string(e.what()).find("--shard: INDEX 4 must be below COUNT 4") !=
          std::string::npos);
  }
  CHECK_THROWS_AS(parse_flags({"--shard"}), FlagError);
  CHECK(usage().find("--shard=INDEX/COUNT") != std::string::npos);
}
