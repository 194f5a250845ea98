// Names of the DANE value types (include/starttls_exporter/core/dane.hpp): label values, stable.
// A table, as in probe_result.cpp.
#include "starttls_exporter/core/dane.hpp"
#include "starttls_exporter/core/text.hpp"

#include <utility>

namespace starttls_exporter::dane {
namespace {

constexpr std::pair<DaneFailure, const char*> kFailureNames[] = {
    {DaneFailure::tlsa_bogus, "tlsa_bogus"},
    {DaneFailure::tlsa_lookup_failed, "tlsa_lookup_failed"},
    {DaneFailure::no_match, "no_match"},
    {DaneFailure::ta_not_presented, "ta_not_presented"},
    {DaneFailure::ta_chain_invalid, "ta_chain_invalid"},
    {DaneFailure::ta_name_mismatch, "ta_name_mismatch"},
    {DaneFailure::ta_expired, "ta_expired"},
    {DaneFailure::key_type_no_match, "key_type_no_match"},
    {DaneFailure::pkix_invalid, "pkix_invalid"},
};

constexpr std::pair<TlsaStatus, const char*> kStatusNames[] = {
    {TlsaStatus::not_applicable, "not_applicable"},
    {TlsaStatus::none, "none"},
    {TlsaStatus::secure, "secure"},
    {TlsaStatus::insecure, "insecure"},
    {TlsaStatus::bogus, "bogus"},
    {TlsaStatus::failed, "failed"},
};

}  // namespace

std::string_view to_string(DaneFailure failure) noexcept {
  return text::name_in(kFailureNames, failure);
}

std::string_view to_string(TlsaStatus status) noexcept {
  return text::name_in(kStatusNames, status);
}

}  // namespace starttls_exporter::dane
