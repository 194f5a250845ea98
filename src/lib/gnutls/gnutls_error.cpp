#include "gnutls_error.hpp"

#include <gnutls/gnutls.h>

#include "starttls_exporter/lib/gnutls/trust_store.hpp"

namespace starttls_exporter::tls {
namespace {

class GnutlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gnutls"; }
  std::string message(int rc) const override { return gnutls_strerror(rc); }
};

}  // namespace

const std::error_category& gnutls_category() noexcept {
  static const GnutlsCategory category;
  return category;
}

std::error_code make_gnutls_error(int rc) noexcept {
  return {rc, gnutls_category()};
}

int check_gnutls(int rc, const std::string& context) {
  if (rc < 0) throw TlsError(context + ": " + gnutls_strerror(rc));
  return rc;
}

}  // namespace starttls_exporter::tls
