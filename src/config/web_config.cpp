// load_web_config / parse_web_config: the exporter toolkit's web config format, validated with
// the same located errors as the main configuration.

#include "starttls_exporter/config/web_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "document.hpp"
#include "starttls_exporter/core/files.hpp"
#include "validate.hpp"
#include "yaml_reader.hpp"

namespace starttls_exporter::config {
namespace {

constexpr std::size_t kMaxWebConfigBytes = 1024 * 1024;

// Certificates and keys are a few kilobytes; this bound only stops a mistaken path.
constexpr std::size_t kMaxPemBytes = 4 * 1024 * 1024;

constexpr std::array<std::pair<std::string_view, ClientAuth>, 5> kClientAuthTypes{{
    {"NoClientCert", ClientAuth::none},
    {"RequestClientCert", ClientAuth::request},
    {"RequireAnyClientCert", ClientAuth::require_any},
    {"VerifyClientCertIfGiven", ClientAuth::verify_if_given},
    {"RequireAndVerifyClientCert", ClientAuth::require_and_verify},
}};

// Keys of the toolkit's tls_server_config that this exporter refuses by name rather than as
// unknown: GnuTLS' own defaults choose cipher suites and curves, and inline PEM is not read.
constexpr std::array<std::string_view, 5> kUnsupportedTlsKeys{"cipher_suites", "curve_preferences",
                                                              "client_allowed_sans", "cert", "key"};

/// min_version / max_version: "TLS12" or "TLS13".
TlsVersion tls_version(const detail::Entry& entry, const detail::Reader& reader) {
  const std::string text = reader.scalar(entry, "a TLS version");
  if (text == "TLS12") return TlsVersion::tls1_2;
  if (text == "TLS13") return TlsVersion::tls1_3;
  if (text == "TLS10" || text == "TLS11") {
    reader.fail(entry, text + " is not supported: the web port speaks TLS12 or TLS13");
  }
  reader.fail(entry, "unknown TLS version " + detail::quote(text) + " (expected TLS12 or TLS13)");
}

void parse_tls_versions(const detail::Fields& fields, const detail::Reader& reader,
                        WebTlsConfig& tls) {
  if (const auto* e = fields.find("min_version")) tls.min_version = tls_version(*e, reader);
  if (const auto* e = fields.find("max_version")) tls.max_version = tls_version(*e, reader);
  if (tls.min_version > tls.max_version) {
    reader.fail(*fields.find("min_version"), "is above max_version");
  }
  // Accepted for compatibility and ignored, as Go (and so the toolkit) ignores it since 1.18.
  if (const auto* e = fields.find("prefer_server_cipher_suites")) {
    const std::string text = reader.scalar(*e, "true or false");
    if (text != "true" && text != "false") reader.fail(*e, "expected true or false");
  }
  for (std::string_view name : kUnsupportedTlsKeys) {
    if (const auto* e = fields.find(name)) {
      reader.fail(reader.location(e->key), e->path,
                  "not supported by starttls_exporter (GnuTLS' defaults apply; certificates "
                  "are read from cert_file and key_file)");
    }
  }
}

ClientAuth client_auth(const detail::Entry& entry, const detail::Reader& reader) {
  const std::string text = reader.scalar(entry, "a client auth type");
  for (const auto& [name, value] : kClientAuthTypes) {
    if (text == name) return value;
  }
  reader.fail(entry, "unknown client auth type " + detail::quote(text) +
                         " (expected NoClientCert, RequestClientCert, RequireAnyClientCert, " +
                         "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
}

LoadedFile pem_file(const detail::Entry& entry, const detail::Reader& reader) {
  return reader.named_file(entry, "must not be empty", kMaxPemBytes);
}

WebTlsConfig parse_tls(const detail::Entry& entry, const detail::Reader& reader) {
  WebTlsConfig tls;
  tls.location = reader.location(entry.key);
  const detail::Fields fields =
      reader.fields(entry.value, entry.path,
                    {"cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version",
                     "max_version", "prefer_server_cipher_suites", "cipher_suites",
                     "curve_preferences", "client_allowed_sans", "cert", "key"});
  parse_tls_versions(fields, reader, tls);
  for (const char* required : {"cert_file", "key_file"}) {
    if (fields.find(required) == nullptr) {
      reader.fail(reader.location(entry.key), entry.path + "." + required,
                  "missing (tls_server_config needs cert_file and key_file)");
    }
  }
  tls.cert = pem_file(*fields.find("cert_file"), reader);
  tls.key = pem_file(*fields.find("key_file"), reader);
  if (const auto* e = fields.find("client_ca_file")) tls.client_ca = pem_file(*e, reader);
  const auto* auth = fields.find("client_auth_type");
  if (auth) tls.client_auth = client_auth(*auth, reader);
  const std::string auth_name(client_auth_name(tls.client_auth));
  if (verifies_client_certs(tls.client_auth) && !tls.client_ca) {
    reader.fail(*auth, auth_name + " needs client_ca_file");
  }
  if (tls.client_ca && !verifies_client_certs(tls.client_auth)) {
    reader.fail(*fields.find("client_ca_file"),
                "client certificates are not verified with client_auth_type " + auth_name +
                    " (use VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  return tls;
}

// bcrypt: "$2a$", "$2b$" or "$2y$", a two-digit cost, "$", 53 characters of salt and hash.
bool is_bcrypt_hash(std::string_view hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$')
    return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  const bool cost_digits = hash[4] >= '0' && hash[4] <= '3' && hash[5] >= '0' && hash[5] <= '9';
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  constexpr std::string_view kAlphabet =
      "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return cost_digits && cost >= 4 && cost <= 31 &&
         hash.substr(7).find_first_not_of(kAlphabet) == std::string_view::npos;
}

std::map<std::string, std::string> parse_users(const detail::Entry& entry,
                                               const detail::Reader& reader) {
  std::map<std::string, std::string> users;
  const detail::Fields fields = reader.fields(entry.value, entry.path, {});
  for (const detail::Entry& user : fields.all()) {
    if (user.name.empty() || user.name.find(':') != std::string::npos ||
        !detail::is_valid_utf8(user.name) ||
        user.name.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) {
      reader.fail(reader.location(user.key), user.path,
                  "invalid user name: use non-empty UTF-8 text without ':' or control characters");
    }
    const std::string hash = reader.scalar(user, "a bcrypt hash");
    // The hash is never shown: it is as good as a password for an offline attack.
    if (!is_bcrypt_hash(hash)) {
      reader.fail(user,
                  "not a bcrypt hash (expected $2y$, $2b$ or $2a$, a cost and 53 more "
                  "characters, as htpasswd -nbBC 10 USER PASSWORD makes)");
    }
    users.emplace(user.name, hash);
  }
  return users;
}

}  // namespace

std::string_view client_auth_name(ClientAuth auth) noexcept {
  for (const auto& [name, value] : kClientAuthTypes) {
    if (value == auth) return name;
  }
  return "NoClientCert";  // not reached: every enumerator is in the table
}

WebConfig load_web_config(const std::string& path) {
  std::string text;
  if (const auto problem = read_regular_file(path, text, kMaxWebConfigBytes)) {
    throw ConfigError({path, 0, 0}, "", "cannot read the web configuration file: " + *problem);
  }
  return parse_web_config(text, path);
}

WebConfig parse_web_config(const std::string& yaml_text, const std::string& file_name) {
  const YAML::Node root = detail::load_document(yaml_text, file_name, false).root;
  const detail::Reader reader(file_name);
  WebConfig web;
  web.source_file = file_name;
  try {
    if (root.IsNull()) return web;
    if (!root.IsMap()) {
      reader.fail(reader.location(root), "",
                  "the top level must be a mapping with the keys tls_server_config and "
                  "basic_auth_users, got " +
                      std::string(detail::describe(root)));
    }
    const detail::Fields top = reader.fields(root, "", {"tls_server_config", "basic_auth_users"});
    if (const auto* e = top.find("tls_server_config"); e && !e->value.IsNull()) {
      web.tls_server = parse_tls(*e, reader);
    }
    if (const auto* e = top.find("basic_auth_users"))
      web.basic_auth_users = parse_users(*e, reader);
  } catch (const YAML::Exception& e) {
    throw ConfigError(detail::location_of(file_name, e.mark), "",
                      "cannot read the YAML tree: " + detail::escape(e.msg));
  }
  return web;
}

}  // namespace starttls_exporter::config
