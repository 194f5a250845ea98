// Names of the DANE value types (include/starttls_exporter/dane.hpp): label values, stable.
#include "starttls_exporter/dane.hpp"

namespace starttls_exporter::dane {

std::string parameters(const TlsaRecord& record) {
  return std::to_string(record.usage) + " " + std::to_string(record.selector) + " " +
         std::to_string(record.matching_type);
}

std::string_view to_string(TlsaStatus status) noexcept {
  switch (status) {
    case TlsaStatus::not_applicable:
      return "not_applicable";
    case TlsaStatus::none:
      return "none";
    case TlsaStatus::secure:
      return "secure";
    case TlsaStatus::insecure:
      return "insecure";
    case TlsaStatus::bogus:
      return "bogus";
    case TlsaStatus::failed:
      return "failed";
  }
  return "failed";
}

std::string_view to_string(DaneFailure failure) noexcept {
  switch (failure) {
    case DaneFailure::tlsa_bogus:
      return "tlsa_bogus";
    case DaneFailure::tlsa_lookup_failed:
      return "tlsa_lookup_failed";
    case DaneFailure::no_match:
      return "no_match";
    case DaneFailure::ta_not_presented:
      return "ta_not_presented";
    case DaneFailure::ta_chain_invalid:
      return "ta_chain_invalid";
    case DaneFailure::ta_name_mismatch:
      return "ta_name_mismatch";
    case DaneFailure::ta_expired:
      return "ta_expired";
  }
  return "no_match";
}

const std::vector<DaneFailure>& all_dane_failures() {
  static const std::vector<DaneFailure> all{
      DaneFailure::tlsa_bogus,       DaneFailure::tlsa_lookup_failed, DaneFailure::no_match,
      DaneFailure::ta_not_presented, DaneFailure::ta_chain_invalid,   DaneFailure::ta_name_mismatch,
      DaneFailure::ta_expired};
  return all;
}

}  // namespace starttls_exporter::dane
