#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "document.hpp"
#include "sections.hpp"
#include "starttls_exporter/config/config_keys.hpp"
#include "starttls_exporter/core/text.hpp"
#include "validate.hpp"

namespace starttls_exporter::config::detail {
namespace {

std::string parse_address(const Entry& entry, const Reader& reader) {
  const std::string text = reader.scalar(entry, "an IP address");
  if (const auto ip = canonical_ip(text)) return *ip;
  if (!text.empty() && text.front() == '[') {
    reader.fail(entry,
                quote(text) + " is not an IP address: write IPv6 addresses without brackets");
  }
  reader.fail(entry, quote(text) +
                         " is not an IPv4 or IPv6 address (names are not resolved; put the "
                         "certificate name in server_name)");
}

// A probe binds the module's source_address before connecting to the target, so both must be
// of one address family.
std::optional<std::string> family_mismatch(const std::string& address, const Module& module) {
  if (module.source_address.empty()) return std::nullopt;
  const auto family = [](const std::string& ip) {
    return ip.find(':') != std::string::npos ? "IPv6" : "IPv4";
  };
  if (std::string_view(family(address)) == family(module.source_address)) return std::nullopt;
  return address + " is " + family(address) + " but module " + module.name + "'s source_address " +
         module.source_address + " (" + module.source_address_location.to_string() + ") is " +
         family(module.source_address) + ": a probe cannot bind one and connect to the other";
}

}  // namespace

ProbedEntry parse_probed_entry(const Fields& fields, const Module& module, const Config& config,
                               const YAML::Node& item, const std::string& path,
                               const OwnTimeouts& own_timeouts, const Reader& reader) {
  ProbedEntry out;
  // Without a port, the module's protocol and TLS mode choose it (imap 143, implicit imap 993).
  out.port = default_port(module.protocol, module.tls.mode);
  if (const Entry* e = fields.find("port")) {
    out.port = static_cast<std::uint16_t>(reader.integer(*e, 1, 65535));
  }
  out.interval = config.global.interval;
  const Entry* interval = fields.find("interval");
  if (interval != nullptr) out.interval = reader.duration(*interval);
  if (const Entry* e = fields.find("labels")) out.labels = parse_labels(*e, reader);
  out.certificate_file = module.certificate_file;
  if (const Entry* e = fields.find("certificate_file")) {
    out.certificate_file = parse_certificate_file(*e, reader);
  }
  check_timeout_below_interval(module, out.interval, interval, item, path, own_timeouts, reader);
  return out;
}

namespace {

// One element of the sequence; `path` is "targets[i]".
Target parse_target(const YAML::Node& item, const std::string& path, const Config& config,
                    const OwnTimeouts& own_timeouts, const Reader& reader) {
  const Fields fields = reader.item_fields(item, path, keys::kTarget, {"address", "module"});
  Target target;
  target.address = parse_address(*fields.find("address"), reader);
  const Module& module = find_module(*fields.find("module"), config, reader);
  target.module = module.name;
  if (const auto problem = family_mismatch(target.address, module)) {
    reader.fail(*fields.find("address"), *problem);
  }
  if (const Entry* e = fields.find("server_name")) {
    target.server_name = reader.scalar(*e, "a DNS name");
    if (const auto problem = server_name_problem(target.server_name)) reader.fail(*e, *problem);
  }
  ProbedEntry common = parse_probed_entry(fields, module, config, item, path, own_timeouts, reader);
  target.port = common.port;
  target.interval = common.interval;
  target.labels = std::move(common.labels);
  target.certificate_file = std::move(common.certificate_file);
  return target;
}

}  // namespace

void check_timeout_below_interval(const Module& module, Duration value, const Entry* interval,
                                  const YAML::Node& item, const std::string& path,
                                  const OwnTimeouts& own_timeouts, const Reader& reader) {
  if (module.timeout < value) return;
  const std::string timeout_from = own_timeouts.contains(module.name)
                                       ? "modules." + module.name + ".timeout"
                                       : std::string("global.timeout");
  const std::string problem = "the timeout " + format_duration(module.timeout) + " (" +
                              timeout_from + ") must be shorter than the interval " +
                              format_duration(value) +
                              (interval != nullptr ? "" : " (global.interval)");
  if (interval != nullptr) reader.fail(*interval, problem);
  reader.fail(reader.location(item), path, problem);
}

const Module& find_module(const Entry& entry, const Config& config, const Reader& reader) {
  const std::string name = reader.scalar(entry, "a module name");
  const auto it = config.modules.find(name);
  if (it != config.modules.end()) return it->second;
  std::string defined;
  for (const auto& [known, module] : config.modules) {
    defined += (defined.empty() ? "" : ", ") + known;
  }
  reader.fail(entry,
              "unknown module " + quote(name) +
                  (defined.empty() ? " (no modules are defined)" : " (defined: " + defined + ")"));
}

std::map<std::string, std::string> parse_labels(const Entry& entry, const Reader& reader) {
  std::map<std::string, std::string> labels;
  const Fields fields = reader.fields(entry.value, entry.path, {});
  for (const Entry& label : fields.all()) {
    if (const auto problem = label_name_problem(label.name)) {
      reader.fail(reader.location(label.key), label.path, *problem);
    }
    std::string value = reader.scalar(label, "a label value");
    if (value.empty()) {
      reader.fail(label, "label value must not be empty (Prometheus treats it as no label)");
    }
    if (const auto problem = label_value_problem(value)) reader.fail(label, *problem);
    labels.emplace(label.name, std::move(value));
  }
  return labels;
}

namespace {

// Where each target starts, for the duplicate check after the whole list is read.
struct ItemStart {
  int line = 0;
  int column = 0;
};

// Fails on the first target (by index) whose key an earlier one has. Sorting (hash, index)
// pairs costs 16 bytes per target, where a map of the keys cost about 130 at 100,000 targets.
void check_duplicates(const std::vector<Target>& targets, const std::vector<ItemStart>& starts,
                      const Reader& reader) {
  std::vector<std::pair<std::uint64_t, std::size_t>> hashes(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) hashes[i] = {text::fnv1a64(targets[i].key()), i};
  std::sort(hashes.begin(), hashes.end());
  std::optional<std::pair<std::size_t, std::size_t>> first;  // (later, earlier)
  for (std::size_t a = 0; a < hashes.size(); ++a) {
    for (std::size_t b = a + 1; b < hashes.size() && hashes[b].first == hashes[a].first; ++b) {
      const std::size_t earlier = hashes[a].second;
      const std::size_t later = hashes[b].second;
      if (targets[earlier].key() != targets[later].key()) continue;
      if (!first || later < first->first) first = {later, earlier};
    }
  }
  if (!first) return;
  const auto [later, earlier] = *first;
  const Target& target = targets[later];
  reader.fail({reader.file(), starts[later].line, starts[later].column},
              "targets[" + std::to_string(later) + "]",
              "duplicate target " + target.endpoint() + " with module " + target.module +
                  ": same as targets[" + std::to_string(earlier) + "] at line " +
                  std::to_string(starts[earlier].line));
}

}  // namespace

std::vector<Target> parse_targets(const Entry* entry, const Document& document,
                                  const Config& config, const OwnTimeouts& own_timeouts,
                                  const Reader& reader) {
  std::vector<Target> targets;
  std::vector<ItemStart> starts;
  const auto add = [&](const YAML::Node& item, const Reader& located) {
    const std::string path = "targets[" + std::to_string(targets.size()) + "]";
    targets.push_back(parse_target(item, path, config, own_timeouts, located));
    const SourceLocation where = located.location(item);
    starts.push_back({where.line, where.column});
  };
  if (!document.target_slices.empty()) {
    targets.reserve(document.target_count);
    for (const TextSlice& slice : document.target_slices) {
      const Reader located = reader.for_slice(slice.first_line);
      for (const YAML::Node& item : load_slice(document.text, slice, reader.file())) {
        add(item, located);
      }
    }
    check_duplicates(targets, starts, reader);
    return targets;
  }
  if (entry == nullptr || entry->value.IsNull()) return targets;
  if (!entry->value.IsSequence()) {
    reader.fail(*entry,
                "expected a sequence of targets, got " + std::string(describe(entry->value)));
  }
  for (const YAML::Node& item : entry->value) add(item, reader);
  check_duplicates(targets, starts, reader);
  return targets;
}

}  // namespace starttls_exporter::config::detail
