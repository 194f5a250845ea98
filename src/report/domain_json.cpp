// domain_json_report: domain_text_report's facts as one JSON object. Keys are the interface
// (README, "The probe command"); add keys, never rename or remove them.
#include "address_json.hpp"
#include "decision.hpp"
#include "format.hpp"

namespace starttls_exporter::report {
namespace {

using Json = nlohmann::ordered_json;

Json optional_time(const std::optional<SystemTime>& t) {
  return t ? Json(rfc3339(*t)) : Json(nullptr);
}

const dane::DaneCheck* served_check(const domains::DomainProbe& probe, const std::string& host) {
  for (const auto& address : probe.addresses) {
    if (address.target.info.labels.at("mx") == host && address.result && address.result->dane) {
      return &*address.result->dane;
    }
  }
  return nullptr;
}

Json dane_json(const domains::DomainProbe& probe, const dns::MxHost& host) {
  Json published = Json::array();
  for (const auto& record : published_records(host.tlsa)) {
    published.push_back(
        {{"record", record.record},
         {"usable", record.usable},
         {"unusable_reason", record.usable ? Json(nullptr) : Json(record.why_not)}});
  }
  Json out = {{"status", dane::to_string(host.tlsa.status)},
              {"dnssec_secure", host.tlsa.secure},
              {"base_name", host.tlsa.base_name},
              {"detail", host.tlsa.detail},
              {"published", std::move(published)},
              {"would_match", Json::array()},
              {"matched", nullptr},
              {"rollover_ready", nullptr}};
  if (const dane::DaneCheck* check = served_check(probe, host.name)) {
    out["would_match"] = check->chain_records;
    if (check->applies) {
      out["matched"] = check->matched;
      out["rollover_ready"] = check->rollover_ready;
    }
  }
  return out;
}

Json host_json(const domains::DomainProbe& probe, const dns::MxHost& host) {
  Json reserved = Json::array();
  for (const auto& r : host.reserved)
    reserved.push_back({{"address", r.address}, {"range", r.range}});
  return {{"host", host.name},
          {"preference", host.preference},
          {"port", host.port != 0 ? Json(host.port) : Json(nullptr)},
          {"weight", host.weight},
          {"canonical_name", host.canonical_name},
          {"addresses", host.addresses},
          {"reserved", std::move(reserved)},
          {"dnssec_secure", host.secure},
          {"dane", dane_json(probe, host)}};
}

Json mta_sts_json(const dns::MailPath& path, const mta_sts::PolicyState* policy) {
  if (!path.mta_sts_txt || path.mta_sts_txt->outcome != dns::Outcome::data) return nullptr;
  const auto record = mta_sts::parse_sts_records(path.mta_sts_txt->texts);
  Json out = {{"record_id", record.record ? Json(record.record->id) : Json(nullptr)},
              {"record_failure",
               record.failure ? Json(mta_sts::to_string(*record.failure)) : Json(nullptr)},
              {"policy_failure", nullptr},
              {"mode", nullptr},
              {"max_age", nullptr},
              {"mx", Json::array()},
              {"matches", Json::object()},
              {"policy_cert_not_after", nullptr}};
  if (!policy) return out;
  if (policy->failure) out["policy_failure"] = mta_sts::to_string(*policy->failure);
  out["policy_cert_not_after"] = optional_time(policy->cert_not_after);
  if (!policy->parse.policy) return out;
  const mta_sts::Policy& p = *policy->parse.policy;
  out["mode"] = mta_sts::to_string(p.mode);
  out["max_age"] = p.max_age;
  out["mx"] = p.mx;
  for (const auto& host : path.hosts) {
    Json matched = nullptr;
    for (const auto& pattern : p.mx) {
      if (matched.is_null() && mta_sts::mx_matches(pattern, host.name)) matched = pattern;
    }
    out["matches"][host.name] = matched;
  }
  return out;
}

Json tlsrpt_json(const dns::MailPath& path) {
  if (!path.tlsrpt_txt || path.tlsrpt_txt->outcome != dns::Outcome::data) return nullptr;
  const auto parsed = mta_sts::parse_tlsrpt_records(path.tlsrpt_txt->texts);
  return {{"rua", parsed.record ? Json(parsed.record->rua) : Json::array()},
          {"failure", parsed.failure ? Json(mta_sts::to_string(*parsed.failure)) : Json(nullptr)}};
}

const char* kind_name(config::DomainKind kind) {
  switch (kind) {
    case config::DomainKind::service:
      return "service";
    case config::DomainKind::host:
      return "host";
    case config::DomainKind::mx:
      break;
  }
  return "mx";
}

}  // namespace

std::string domain_json_report(const domains::DomainProbe& probe, std::uint16_t port,
                               SystemTime now) {
  const domains::DomainState& state = *probe.state;
  const dns::MailPath empty;
  const dns::MailPath& path = state.path ? *state.path : empty;
  const policy::DomainVerdict verdict = domain_verdict(probe);
  Json failures = Json::array();
  for (const auto failure : verdict.failures) failures.push_back(dns::to_string(failure));
  Json hosts = Json::array();
  for (const auto& host : path.hosts) hosts.push_back(host_json(probe, host));
  Json addresses = Json::array();
  for (const auto& address : probe.addresses) {
    const ProbeRequest request{state.domain.module, address.target.timeout, address.target.spec};
    Json one =
        address.result
            ? address_json(request, *address.result, now)
            : Json{{"target", address.target.info.endpoint}, {"success", false}, {"pending", true}};
    one["mx"] = address.target.info.labels.at("mx");
    one["decided_by"] = decided_by(address, state.mta_sts.get());
    addresses.push_back(std::move(one));
  }
  return dump({{"domain", state.domain.name},
               {"module", state.domain.module},
               {"kind", kind_name(state.domain.kind)},
               {"service", state.domain.service},
               {"port", port},
               {"success", verdict.success},
               {"resolved", path.resolved},
               {"dnssec_secure", path.secure},
               {"implicit_mx", path.implicit_mx},
               {"null_mx", path.null_mx},
               {"failures", std::move(failures)},
               {"signature_expiry", optional_time(path.signature_expiry)},
               {"resolve_seconds", state.resolve_seconds},
               {"mx", std::move(hosts)},
               {"mta_sts", mta_sts_json(path, state.mta_sts.get())},
               {"tlsrpt", tlsrpt_json(path)},
               {"addresses", std::move(addresses)}});
}

}  // namespace starttls_exporter::report
