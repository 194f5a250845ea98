#pragma once
/// \file
/// Options for an app::Exporter in a test: the given config, the web port on 127.0.0.1:0.

#include <string>
#include <utility>

#include "exporter.hpp"

namespace starttls_exporter::testing {

inline app::ExporterOptions local_exporter(std::string config_file,
                                           http::ServerOptions server = {}) {
  app::ExporterOptions options;
  options.config_file = std::move(config_file);
  options.listen_address = "127.0.0.1:0";
  options.web.server = std::move(server);
  return options;
}

}  // namespace starttls_exporter::testing
