// apply_module: the one place that copies a module's settings into a ProbeSpec.
#include "starttls_exporter/prober/prober.hpp"

namespace starttls_exporter::prober {

void apply_module(ProbeSpec& spec, const config::Module& module) {
  spec.ehlo_name = module.ehlo_name;
  spec.protocol = module.protocol;
  spec.tls_mode = module.tls.mode;
  spec.source_address = module.source_address;
  spec.min_version = module.tls.min_version;
  spec.legacy_probe = module.tls.legacy_probe;
  spec.handshake_per_key_type = module.tls.handshake_per_key_type;
  spec.certificate_file = module.certificate_file.pattern;
}

}  // namespace starttls_exporter::prober
