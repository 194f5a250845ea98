// Valid configurations: defaults, overrides, canonicalization, labels, CA file resolution and
// the shipped config.example.yaml.

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "starttls_exporter/config/config.hpp"

using namespace starttls_exporter::config;
using namespace std::chrono_literals;

namespace {

Config load_data(const char* name) {
  return load_config(std::string(TEST_DATA_DIR) + "/" + name);
}

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("defaults apply when only the required keys are set") {
  const Config config = load_data("valid-minimal.yaml");
  CHECK(config.source_file == std::string(TEST_DATA_DIR) + "/valid-minimal.yaml");
  CHECK(config.global.interval == 60s);
  CHECK(config.global.timeout == 10s);
  CHECK(config.global.concurrency == 256);
  REQUIRE(config.modules.size() == 1);
  const Module& module = config.modules.at("smtp_starttls");
  CHECK(module.name == "smtp_starttls");
  CHECK(module.protocol == Protocol::smtp);
  CHECK(module.timeout == 10s);
  CHECK(module.ehlo_name == "localhost");
  CHECK(module.tls.ca_file.empty());
  REQUIRE(config.targets.size() == 1);
  const Target& target = config.targets[0];
  CHECK(target.address == "192.0.2.25");
  CHECK(target.port == 25);
  CHECK(target.module == "smtp_starttls");
  CHECK(target.server_name.empty());
  CHECK(target.interval == 60s);
  CHECK(target.labels.empty());
  CHECK(target.endpoint() == "192.0.2.25:25");
  CHECK(target.key() == "192.0.2.25:25|smtp_starttls");
}

TEST_CASE("every key overrides its default; targets keep file order") {
  const Config config = load_data("valid-full.yaml");
  CHECK(config.global.interval == 2min);
  CHECK(config.global.timeout == 15s);
  CHECK(config.global.concurrency == 8);
  CHECK(config.modules.at("fast").timeout == 3s);
  CHECK(config.modules.at("fast").ehlo_name == "[IPv6:2001:DB8::1]");
  CHECK(config.modules.at("slow").timeout == 15s);  // inherits global.timeout
  CHECK(config.modules.at("slow").ehlo_name == "prober.example.net");
  REQUIRE(config.targets.size() == 3);
  const Target& first = config.targets[0];
  CHECK(first.port == 587);
  CHECK(first.module == "fast");
  CHECK(first.server_name == "mx1.example.com");
  CHECK(first.interval == 30s);
  CHECK(first.labels ==
        std::map<std::string, std::string>{{"_team", "mail-ops"}, {"domain", "example.com"}});
  // Same address and port as the first target but another module: not a duplicate.
  CHECK(config.targets[2].key() == "192.0.2.25:25|slow");
  CHECK(config.targets[2].interval == 2min);  // inherits global.interval
}

TEST_CASE("IPv6 addresses are canonicalized and bracketed in the endpoint") {
  const Config config = load_data("valid-full.yaml");
  const Target& target = config.targets[1];
  CHECK(target.address == "2001:db8::25");
  CHECK(target.endpoint() == "[2001:db8::25]:25");
  CHECK(target.key() == "[2001:db8::25]:25|slow");
  CHECK(target.labels.at("domain") == "exämple.org");

  const Config loopback = parse_config(
      "modules: {m: }\ntargets:\n- {address: '0:0::1', port: 2525, module: m}\n", "v6.yaml");
  CHECK(loopback.targets.at(0).endpoint() == "[::1]:2525");
}

TEST_CASE("a configuration without targets is valid") {
  const Config config = load_data("valid-no-targets.yaml");
  CHECK(config.targets.empty());
  CHECK(config.modules.empty());
  CHECK(config.global.concurrency == 256);
}

TEST_CASE("ehlo_name accepts domains and address literals only") {
  struct Case {
    const char* name;
    bool valid;
  };
  const Case cases[] = {{"localhost", true},
                        {"prober.example.net", true},
                        {"[192.0.2.1]", true},
                        {"[IPv6:::1]", true},
                        {"[::1]", false},
                        {"[IPv6:192.0.2.1]", false},
                        {"192.0.2.1", false},
                        {"prober.example.net ", false},
                        {"a\\nb", false},
                        {"[192.0.2.1", false},
                        {"", false}};
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const std::string text =
        std::string("modules:\n  m:\n    ehlo_name: \"") + c.name + "\"\ntargets: []\n";
    bool ok = true;
    try {
      parse_config(text, "e.yaml");
    } catch (const ConfigError& e) {
      ok = false;
      CHECK(e.key() == "modules.m.ehlo_name");
    }
    CHECK(ok == c.valid);
  }
}

TEST_CASE("a relative ca_file is resolved against the config file's directory") {
  TempDir dir;
  dir.write("ca.pem", "placeholder: only readability is checked at load time\n");
  dir.write("config.yaml", "modules:\n  m:\n    tls: {ca_file: ca.pem}\ntargets: []\n");
  const Config config = load_config((dir.path() / "config.yaml").string());
  const TlsSettings& tls = config.modules.at("m").tls;
  CHECK(tls.ca_file == (dir.path() / "ca.pem").string());
  CHECK(tls.ca_file_location.file == (dir.path() / "config.yaml").string());
  CHECK(tls.ca_file_location.line == 3);
  CHECK(tls.ca_file_location.column == 20);

  // An absolute path is kept as written.
  const std::string absolute = (dir.path() / "ca.pem").string();
  const Config other = parse_config(
      "modules:\n  m:\n    tls: {ca_file: '" + absolute + "'}\ntargets: []\n", "/elsewhere/c.yaml");
  CHECK(other.modules.at("m").tls.ca_file == absolute);
}

TEST_CASE("reserved label names are sorted and rejected as static labels") {
  const auto& names = reserved_label_names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"target", "module", "phase", "reason", "le", "fingerprint_sha256"}) {
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
  }
  for (auto name : names) {
    CAPTURE(name);
    const std::string text =
        "modules: {m: }\ntargets:\n- {address: 192.0.2.1, module: m, "
        "labels: {" +
        std::string(name) + ": x}}\n";
    CHECK_THROWS_AS(parse_config(text, "l.yaml"), ConfigError);
  }
}

TEST_CASE("config.example.yaml is valid and probes loopback only") {
  const Config config = load_config(EXAMPLE_CONFIG);
  REQUIRE(config.targets.size() == 1);
  CHECK(config.targets[0].endpoint() == "127.0.0.1:25");
  CHECK(config.targets[0].module == "smtp_starttls");
  CHECK(config.global.interval == 60s);
  CHECK(config.global.timeout == 10s);
  CHECK(config.global.concurrency == 256);
  CHECK(config.modules.at("smtp_starttls").ehlo_name == "localhost");
  CHECK(config.modules.at("smtp_starttls").tls.ca_file.empty());
}

TEST_CASE("protocol and tls.mode choose a target's default port; an explicit port wins") {
  struct Case {
    const char* protocol;
    const char* mode;  ///< nullptr: tls.mode left out (starttls)
    Protocol parsed;
    TlsMode parsed_mode;
    int port;
  };
  const Case cases[] = {
      {"smtp", nullptr, Protocol::smtp, TlsMode::starttls, 25},
      {"smtp", "implicit", Protocol::smtp, TlsMode::implicit, 465},
      {"submission", nullptr, Protocol::submission, TlsMode::starttls, 587},
      {"submission", "implicit", Protocol::submission, TlsMode::implicit, 465},
      {"lmtp", "starttls", Protocol::lmtp, TlsMode::starttls, 24},
      {"imap", nullptr, Protocol::imap, TlsMode::starttls, 143},
      {"imap", "implicit", Protocol::imap, TlsMode::implicit, 993},
      {"pop3", nullptr, Protocol::pop3, TlsMode::starttls, 110},
      {"pop3", "implicit", Protocol::pop3, TlsMode::implicit, 995},
      {"sieve", nullptr, Protocol::sieve, TlsMode::starttls, 4190},
  };
  for (const auto& c : cases) {
    CAPTURE(c.protocol);
    CAPTURE(c.mode ? c.mode : "(none)");
    std::string yaml = std::string("modules:\n  m:\n    protocol: ") + c.protocol + "\n";
    if (c.mode) yaml += std::string("    tls:\n      mode: ") + c.mode + "\n";
    yaml +=
        "targets:\n  - address: 127.0.0.1\n    module: m\n"
        "  - address: 127.0.0.2\n    module: m\n    port: 2525\n";
    const Config config = parse_config(yaml, "protocols.yaml");
    CHECK(config.modules.at("m").protocol == c.parsed);
    CHECK(config.modules.at("m").tls.mode == c.parsed_mode);
    CHECK(protocol_name(c.parsed) == c.protocol);
    CHECK(config.targets.at(0).port == c.port);
    CHECK(config.targets.at(1).port == 2525);
  }
}

TEST_CASE("config.example.yaml's commented module per protocol is valid once uncommented") {
  std::ifstream in(EXAMPLE_CONFIG);
  std::string yaml = "modules:\n", line;
  bool inside = false;
  int modules = 0;
  while (std::getline(in, line)) {
    if (line.find("# One module per mail protocol") != std::string::npos) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("  # ", 0) != 0) break;  // the block ends at the first other line
    yaml += "  " + line.substr(4) + "\n";
    if (line.rfind("  #   ", 0) != 0) ++modules;  // "  # name:" opens a module
  }
  yaml += "targets: []\n";
  CAPTURE(yaml);
  const Config config = parse_config(yaml, "example-protocols.yaml");
  CHECK(modules == 8);
  CHECK(config.modules.size() == 8);
  CHECK(config.modules.at("imaps").protocol == Protocol::imap);
  CHECK(config.modules.at("imaps").tls.mode == TlsMode::implicit);
  CHECK(config.modules.at("sieve").protocol == Protocol::sieve);
}

TEST_CASE("the tlsrpt section: paths against the config's directory, domains normalised") {
  const Config config = parse_config(
      "targets: []\n"
      "tlsrpt:\n"
      "  database: reports.db\n"
      "  maildir: /var/mail/tlsrpt\n"
      "  retention: 30d\n"
      "  max_organizations: 5\n"
      "  domains: [Example.TEST.]\n",
      "/etc/starttls_exporter/config.yaml");
  CHECK(config.tlsrpt.database == "/etc/starttls_exporter/reports.db");
  CHECK(config.tlsrpt.maildir == "/var/mail/tlsrpt");
  CHECK(config.tlsrpt.retention == std::chrono::hours(24 * 30));
  CHECK(config.tlsrpt.max_organizations == 5);
  CHECK(config.tlsrpt.domains == std::vector<std::string>{"example.test"});
  CHECK(parse_config("targets: []\n", "c.yaml").tlsrpt.retention == std::chrono::hours(24 * 90));
  CHECK_THROWS_WITH_AS(parse_config("targets: []\ntlsrpt:\n  maildir: m\n", "c.yaml"),
                       "c.yaml:3:12: tlsrpt.maildir: needs tlsrpt.database: reports are kept there",
                       ConfigError);
  CHECK_THROWS_WITH_AS(
      parse_config("targets: []\ntlsrpt:\n  database: r.db\n  domains: [192.0.2.1]\n", "c.yaml"),
      doctest::Contains("c.yaml:4:13: tlsrpt.domains[0]: \"192.0.2.1\" is an IP address"),
      ConfigError);
  CHECK_THROWS_AS(parse_config("targets: []\ntlsrpt:\n  max_organizations: 0\n", "c.yaml"),
                  ConfigError);
}
