#pragma once
/// \file
/// One connection of the web TLS terminator: handshake, then a relay to the plaintext HTTP
/// server on loopback. Private to src/web/tls.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "server_credentials.hpp"
#include "terminator_io.hpp"

namespace starttls_exporter::tls {

/// The local ports of the relay connections held open, each with its real client's address.
/// The HTTP server asks it (through Terminator::client_of) whether a connection is ours.
/// Thread-safe.
class RelayRegistry {
 public:
  void add(int local_port, std::string client);
  void remove(int local_port);
  std::optional<std::string> find(int local_port) const;

 private:
  mutable std::mutex mutex_;
  std::map<int, std::string> clients_;
};

/// What every connection shares; all of it outlives the connection threads.
struct ConnectionContext {
  const ServerCredentials& credentials;
  const TerminatorLimits& limits;
  int stop_fd;  ///< readable once the terminator stops: every wait ends
  int backend_port;
  RelayRegistry& registry;
};

/// Serves one accepted, non-blocking connection until either side closes, a deadline passes or
/// the terminator stops; closes it. Runs on the connection's own thread. Never throws.
void serve_connection(UniqueFd client, const std::string& client_address,
                      const ConnectionContext& context) noexcept;

}  // namespace starttls_exporter::tls
