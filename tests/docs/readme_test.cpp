// README.md against the code: the --help texts, the metric families, the configuration keys.
// Each check fails naming what is in one and missing in the other.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "domain_series.hpp"
#include "flags.hpp"
#include "name_series.hpp"
#include "probe_command.hpp"
#include "series_builder.hpp"
#include "starttls_exporter/config/config_keys.hpp"
#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/store/result_store.hpp"

using namespace starttls_exporter;

namespace {

std::string slurp(const char* path) {
  std::ifstream in(path);
  REQUIRE(in.is_open());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The backticked first cell of every table row of `text` that matches `name`.
std::set<std::string> first_cells(const std::string& text, const std::regex& name) {
  std::set<std::string> out;
  std::istringstream lines(text);
  const std::regex row(R"(^\| `([^`]+)`)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row) && std::regex_match(m[1].str(), name)) {
      out.insert(m[1].str());
    }
  }
  return out;
}

void check_same(const std::set<std::string>& readme, const std::set<std::string>& code,
                const std::string& what) {
  for (const auto& name : code) {
    CHECK_MESSAGE(readme.contains(name), what << " " << name << " is missing from README.md");
  }
  for (const auto& name : readme) {
    CHECK_MESSAGE(code.contains(name), what << " " << name << " is in README.md, not the code");
  }
}

}  // namespace

TEST_CASE("README shows --help and probe --help as the binary prints them") {
  const std::string readme = slurp(README_PATH);
  CHECK_MESSAGE(readme.find("```\n" + app::usage() + "```") != std::string::npos,
                "README.md's Command line block differs from --help:\n"
                    << app::usage());
  CHECK_MESSAGE(readme.find("```\n" + app::probe_usage() + "```") != std::string::npos,
                "README.md's probe command block differs from probe --help:\n"
                    << app::probe_usage());
}

TEST_CASE("README's metric tables list exactly the families the exporter can emit") {
  std::set<std::string> code;
  for (std::size_t i = 0; i < static_cast<std::size_t>(metrics::Fam::count_); ++i) {
    code.emplace(metrics::family_name(static_cast<metrics::Fam>(i)));
  }
  store::ResultStore store;
  metrics::Collector collector(store, {"test", "test"});
  collector.set_lag_source([] { return Histogram{}; });
  collector.set_web_source([] { return metrics::WebStats{}; });
  collector.set_chain_cache_source([] { return metrics::ChainCacheStats{}; });
  collector.set_reload_status(true, std::chrono::system_clock::now());
  for (const auto& family : collector.Collect()) code.insert(family.name);
  for (const auto& name : metrics::domain_family_names()) code.insert(name);
  for (const auto& name : metrics::name_family_names()) code.insert(name);
  for (const auto& name : metrics::tlsrpt_family_names()) code.insert(name);
  CHECK(code.size() > 30);
  const std::string readme = slurp(README_PATH);
  check_same(
      first_cells(readme, std::regex("(?!probe_allowed_cidrs$)(probe|starttls_exporter)_[a-z0-9_]+|"
                                     "tlsrpt_[a-z0-9_]+_(total|seconds)")),
      code, "metric");
}

TEST_CASE("README's configuration tables list exactly the keys the loader accepts") {
  const auto paths = config::keys::documented_paths();
  const std::set<std::string> code(paths.begin(), paths.end());
  const std::string readme = slurp(README_PATH);
  check_same(
      first_cells(
          readme,
          std::regex(
              R"((global|modules|targets|dns|domains|hosts|mta_sts|tlsrpt)[.\[].*|probe_allowed_cidrs)")),
      code, "config key");
  // config.example.yaml, which the quick start runs, shows every key (set or commented out).
  const std::string example = slurp(EXAMPLE_CONFIG);
  for (const auto& path : code) {
    const std::string leaf = path.substr(path.find_last_of('.') + 1);
    CHECK_MESSAGE(std::regex_search(example, std::regex("(^|[ #])" + leaf + ":")),
                  "config.example.yaml does not show " << path);
  }
}
