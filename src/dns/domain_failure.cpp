// The names of DomainFailure: each is one `reason` label of probe_domain_failure_info.
#include "starttls_exporter/dns/mail_path.hpp"

namespace starttls_exporter::dns {

std::string_view to_string(DomainFailure failure) noexcept {
  switch (failure) {
    case DomainFailure::mx_lookup_failed:
      return "mx_lookup_failed";
    case DomainFailure::dns_bogus:
      return "dns_bogus";
    case DomainFailure::dns_timeout:
      return "dns_timeout";
    case DomainFailure::nxdomain:
      return "nxdomain";
    case DomainFailure::null_mx:
      return "null_mx";
    case DomainFailure::no_addresses:
      return "no_addresses";
    case DomainFailure::address_reserved:
      return "address_reserved";
    case DomainFailure::address_lookup_failed:
      return "address_lookup_failed";
    case DomainFailure::too_many_hosts:
      return "too_many_hosts";
    case DomainFailure::too_many_addresses:
      return "too_many_addresses";
    case DomainFailure::address_failed:
      return "address_failed";
    case DomainFailure::dane_failed:
      return "dane_failed";
    case DomainFailure::srv_lookup_failed:
      return "srv_lookup_failed";
    case DomainFailure::no_srv_records:
      return "no_srv_records";
    case DomainFailure::service_not_offered:
      return "service_not_offered";
  }
  return "mx_lookup_failed";
}

const std::vector<DomainFailure>& all_domain_failures() {
  static const std::vector<DomainFailure> all{DomainFailure::mx_lookup_failed,
                                              DomainFailure::dns_bogus,
                                              DomainFailure::dns_timeout,
                                              DomainFailure::nxdomain,
                                              DomainFailure::null_mx,
                                              DomainFailure::no_addresses,
                                              DomainFailure::address_reserved,
                                              DomainFailure::address_lookup_failed,
                                              DomainFailure::too_many_hosts,
                                              DomainFailure::too_many_addresses,
                                              DomainFailure::address_failed,
                                              DomainFailure::dane_failed,
                                              DomainFailure::srv_lookup_failed,
                                              DomainFailure::no_srv_records,
                                              DomainFailure::service_not_offered};
  return all;
}

}  // namespace starttls_exporter::dns
