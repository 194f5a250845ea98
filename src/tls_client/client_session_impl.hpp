#pragma once
/// \file
/// ClientSession's private state, shared by client_session.cpp (handshake, I/O) and
/// session_facts.cpp (facts, verify). Used from the one thread that runs the socket's executor.

#include <string>

#include "asio_transport.hpp"
#include "handles.hpp"
#include "starttls_exporter/tls_client/chain_cache.hpp"
#include "starttls_exporter/tls_client/tls_client.hpp"

namespace starttls_exporter::tls {

/// The state itself, as a namespace-level type so file-local helpers and GnuTLS callbacks can
/// name it (ClientSession::Impl is private).
struct SessionState {
  SessionState(asio::ip::tcp::socket& s, const ClientSettings& settings)
      : socket(s),
        trust(settings.trust),
        server_name(settings.server_name),
        versions(settings.versions),
        key_type(settings.key_type),
        chain_cache(settings.chain_cache) {}

  asio::ip::tcp::socket& socket;            // not owned; its descriptor is re-read at every I/O
  std::shared_ptr<const TrustStore> trust;  // keeps the credentials alive for `session`
  std::string server_name;
  VersionOffer versions;
  std::optional<KeyType> key_type;
  ChainCache* chain_cache;   // not owned; null: no cache
  SessionPtr session;        // declared after `trust`: destroyed before the credentials
  AsioTransport io{socket};  // the session's transport over `socket`
  bool handshake_done = false;
  // Set by facts(), used by verify() (which the prober calls after it): the cached verdict on
  // the presented chain, or the new one to cache once verify() has judged it.
  std::shared_ptr<const ChainVerdict> cached_chain;
  std::shared_ptr<ChainVerdict> new_chain;
  Sha256 chain_key{};
  bool stapled = false;  // an OCSP staple: verified afresh, never from the cache
};

struct ClientSession::Impl : SessionState {
  using SessionState::SessionState;
};

}  // namespace starttls_exporter::tls
