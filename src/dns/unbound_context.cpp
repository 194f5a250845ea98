#include "unbound_context.hpp"

#include <ldns/ldns.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "starttls_exporter/core/unique_fd.hpp"

namespace starttls_exporter::dns::detail {
namespace {

// Forward names among libunbound's default local zones (RFC 6761, 6762, 7686, 8375): they
// would shadow a configured domain. Reverse zones are never asked for.
constexpr const char* kSpecialUseZones[] = {"localhost.", "test.",      "invalid.",
                                            "onion.",     "home.arpa.", "local."};

void check(int rc, const std::string& what) {
  if (rc != 0) throw DnsError(what + ": " + unbound_error(rc));
}

void set_option(ub_ctx* ctx, const char* option, const std::string& value) {
  check(ub_ctx_set_option(ctx, option, value.c_str()),
        std::string("resolver option ") + option + " " + value);
}

void add_forwarders(ub_ctx* ctx, const ResolverSettings& settings) {
  if (settings.forwarders.empty()) {
    // The test suite sets this (tests/meson.build): there the system's nameservers are off
    // limits, since they are not on loopback, and a test that forgot its resolver fails.
    if (std::getenv("STARTTLS_EXPORTER_NO_SYSTEM_RESOLVER") != nullptr) {
      throw DnsError(
          "no resolver given, and /etc/resolv.conf's nameservers are disabled "
          "(STARTTLS_EXPORTER_NO_SYSTEM_RESOLVER is set)");
    }
    check(ub_ctx_resolvconf(ctx, nullptr), "reading the nameservers of /etc/resolv.conf");
    return;
  }
  bool loopback = false;
  for (const auto& forwarder : settings.forwarders) {
    const std::string spec = forwarder.ip + "@" + std::to_string(forwarder.port);
    check(ub_ctx_set_fwd(ctx, spec.c_str()), "dns.resolver " + spec);
    loopback = loopback || forwarder.ip.starts_with("127.") || forwarder.ip == "::1";
  }
  // A local validating or caching resolver (127.0.0.53, ::1) is a normal forwarder.
  if (loopback) set_option(ctx, "do-not-query-localhost:", "no");
}

/// libunbound checks an anchor only at its first query; parse it now to fail closed at start.
bool is_trust_anchor_record(const std::string& line) {
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, line.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) return false;
  const ldns_rr_type type = ldns_rr_get_type(rr);
  ldns_rr_free(rr);
  return type == LDNS_RR_TYPE_DS || type == LDNS_RR_TYPE_DNSKEY;
}

/// Each non-empty, non-comment line is one DS or DNSKEY record. At least one must load.
void add_trust_anchor(ub_ctx* ctx, const ResolverSettings& settings) {
  std::istringstream lines(settings.trust_anchor);
  int loaded = 0;
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (const auto comment = line.find(';'); comment != std::string::npos) line.erase(comment);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where =
        "trust anchor " + settings.trust_anchor_origin + ":" + std::to_string(number);
    if (!is_trust_anchor_record(line)) {
      throw DnsError(where + ": not a DS or DNSKEY record");
    }
    check(ub_ctx_add_ta(ctx, line.c_str()), where);
    ++loaded;
  }
  if (loaded == 0) {
    throw DnsError("trust anchor " + settings.trust_anchor_origin +
                   ": no DS or DNSKEY record (DNSSEC cannot be validated without one)");
  }
}

/// libunbound takes local-zone settings only from a configuration file (ub_ctx_set_option
/// accepts them and ignores them), so they go through an in-memory file: nothing is written
/// to disk, and nothing else in that file can be read from outside the process.
void switch_off_special_use_zones(ub_ctx* ctx) {
  std::string text = "server:\n";
  for (const char* zone : kSpecialUseZones) {
    text += "  local-zone: \"" + std::string(zone) + "\" nodefault\n";
  }
  const UniqueFd file(::memfd_create("starttls_exporter-unbound.conf", MFD_CLOEXEC));
  if (!file || ::write(file.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw DnsError("cannot prepare the resolver configuration");
  }
  const std::string path = "/proc/self/fd/" + std::to_string(file.get());
  check(ub_ctx_config(ctx, path.c_str()), "resolver local-zone configuration");
}

/// libunbound's defaults are a stub's: 16 outgoing UDP ports and 1,024 queries in progress.
/// A query holds its port until the answer or its retransmission timeout, and a server that
/// never answers drives that timeout to seconds, so 16 unanswered queries starved every other
/// lookup through the same forwarder (measured: 100 silent domains among 1,000, and none
/// resolved). Ports are opened on demand, so the idle cost is nil.
void size_for_many_lookups(ub_ctx* ctx) {
  set_option(ctx, "outgoing-range:", "4096");
  set_option(ctx, "num-queries-per-thread:", "4096");
}

}  // namespace

std::string unbound_error(int code) {
  const char* text = ub_strerror(code);
  return text ? text : "error " + std::to_string(code);
}

ContextPtr make_context(const ResolverSettings& settings) {
  ContextPtr ctx(ub_ctx_create());
  if (!ctx) throw DnsError("cannot create the resolver context");
  switch_off_special_use_zones(ctx.get());  // first: a configuration file resets other settings
  check(ub_ctx_async(ctx.get(), 1), "starting the resolver thread");
  size_for_many_lookups(ctx.get());
  add_forwarders(ctx.get(), settings);
  add_trust_anchor(ctx.get(), settings);
  return ctx;
}

}  // namespace starttls_exporter::dns::detail
