#pragma once
/// \file
/// TrustStore's private state: the GnuTLS certificate credentials (trust anchors, verification
/// limits). Immutable after construction; GnuTLS allows sharing one credentials object among
/// sessions on many threads.

#include "handles.hpp"
#include "starttls_exporter/trust_store.hpp"

namespace starttls_exporter::tls {

struct TrustStore::Impl {
  CredentialsPtr credentials;
};

}  // namespace starttls_exporter::tls
