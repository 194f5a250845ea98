// The names of DomainFailure: each is one `reason` label of probe_domain_failure_info. One
// table, in enum order: the names and the list of every failure both come from it.
#include <utility>

#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/dns/mail_path.hpp"

namespace starttls_exporter::dns {
namespace {

constexpr std::pair<DomainFailure, const char*> kFailureNames[] = {
    {DomainFailure::mx_lookup_failed, "mx_lookup_failed"},
    {DomainFailure::dns_bogus, "dns_bogus"},
    {DomainFailure::dns_timeout, "dns_timeout"},
    {DomainFailure::nxdomain, "nxdomain"},
    {DomainFailure::null_mx, "null_mx"},
    {DomainFailure::no_addresses, "no_addresses"},
    {DomainFailure::address_reserved, "address_reserved"},
    {DomainFailure::address_lookup_failed, "address_lookup_failed"},
    {DomainFailure::too_many_hosts, "too_many_hosts"},
    {DomainFailure::too_many_addresses, "too_many_addresses"},
    {DomainFailure::address_failed, "address_failed"},
    {DomainFailure::dane_failed, "dane_failed"},
    {DomainFailure::srv_lookup_failed, "srv_lookup_failed"},
    {DomainFailure::no_srv_records, "no_srv_records"},
    {DomainFailure::service_not_offered, "service_not_offered"},
};

}  // namespace

std::string_view to_string(DomainFailure failure) noexcept {
  return text::name_in(kFailureNames, failure);
}

const std::vector<DomainFailure>& all_domain_failures() {
  static const std::vector<DomainFailure> all = [] {
    std::vector<DomainFailure> out;
    for (const auto& [failure, name] : kFailureNames) out.push_back(failure);
    return out;
  }();
  return all;
}

}  // namespace starttls_exporter::dns
