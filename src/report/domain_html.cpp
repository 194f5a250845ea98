// domain_html_report and summarize: the domain report for the status page, and the row each
// domain gets there. The HTML report is the text report (domain_text) marked for CSS, so it
// says exactly what the probe command prints.
#include <algorithm>

#include "decision.hpp"
#include "format.hpp"
#include "starttls_exporter/report/report.hpp"

namespace starttls_exporter::report {
namespace {

std::string failure_reason(const domains::AddressProbe& address) {
  if (!address.result) return "not probed yet";
  if (!address.result->failure) return "failed";
  return std::string(to_string(address.result->failure->reason));
}

/// The DANE column: what the addresses' DANE checks found, worst first.
std::string dane_summary(const domains::DomainProbe& probe) {
  std::size_t applies = 0, matched = 0, no_usable = 0;
  for (const auto& address : probe.addresses) {
    if (!address.result || !address.result->dane) continue;
    const dane::DaneCheck& check = *address.result->dane;
    if (check.applies) {
      ++applies;
      if (check.matched) ++matched;
    } else if (check.status == dane::TlsaStatus::secure) {
      ++no_usable;
    }
  }
  if (applies > 0) {
    return (matched == applies ? "matched " : "FAILED, matched ") + std::to_string(matched) +
           " of " + std::to_string(applies);
  }
  if (no_usable > 0) return "no usable TLSA records";
  return "none";
}

std::string mta_sts_summary(const domains::DomainState& state) {
  const mta_sts::PolicyState* policy = state.mta_sts.get();
  if (!policy) return "none";
  if (policy->failure) return "unusable: " + std::string(mta_sts::to_string(*policy->failure));
  if (!policy->parse.policy) return "unusable: does not parse";
  return std::string(mta_sts::to_string(policy->parse.policy->mode));
}

}  // namespace

std::string domain_html_report(const domains::DomainProbe& probe, std::uint16_t port,
                               SystemTime now) {
  const DomainText text = domain_text(probe, port, now, Paint{Colour::markup});
  std::string out = "<h1>Mail domain " + text::html_escape(probe.state->domain.name) + "</h1>\n";
  out += "<pre class=\"report\">" + html_from_marked(text.head) + "</pre>\n";
  if (!text.addresses.empty()) out += "<h2>Addresses</h2>\n";
  for (const auto& address : text.addresses) {
    out += "<details><summary>" + html_from_marked(address.line) +
           "</summary>\n<pre class=\"report\">" + html_from_marked(address.body) +
           "</pre></details>\n";
  }
  return out;
}

DomainSummary summarize(const domains::DomainProbe& probe) {
  const domains::DomainState& state = *probe.state;
  DomainSummary out;
  out.domain = state.domain.name;
  out.module = state.domain.module;
  out.resolved = state.path != nullptr;
  const policy::DomainVerdict verdict = domain_verdict(probe);
  out.success = out.resolved && verdict.success;
  for (const auto failure : verdict.failures) {
    if (failure != dns::DomainFailure::address_failed) {
      out.domain_failures.emplace_back(dns::to_string(failure));
    }
  }
  for (const auto& address : probe.addresses) {
    if (address.result && address.result->success) continue;
    out.failing.push_back(address.target.info.endpoint + " (" +
                          address.target.info.labels.at("mx") + "): " + failure_reason(address));
  }
  out.dnssec_secure = state.path && state.path->secure;
  out.dane = dane_summary(probe);
  out.mta_sts = mta_sts_summary(state);
  for (const auto& address : probe.addresses) {
    if (!address.result || !address.result->tls || address.result->tls->chain.empty()) continue;
    const SystemTime not_after = address.result->tls->chain.front().not_after;
    if (!out.earliest_expiry || not_after < *out.earliest_expiry) out.earliest_expiry = not_after;
  }
  return out;
}

}  // namespace starttls_exporter::report
