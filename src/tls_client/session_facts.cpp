// ClientSession::facts and ::verify: what a completed handshake revealed, and its verdict.

#include <array>

#include "certificate_facts.hpp"
#include "chain_facts.hpp"
#include "client_session_impl.hpp"
#include "dane_match.hpp"
#include "starttls_exporter/lib/gnutls/digest.hpp"
#include "trust_store_impl.hpp"

namespace starttls_exporter::tls {
namespace {

TlsVersion version_of(gnutls_protocol_t version) {
  switch (version) {
    case GNUTLS_TLS1_3:
      return TlsVersion::tls1_3;
    case GNUTLS_TLS1_2:
      return TlsVersion::tls1_2;
    case GNUTLS_TLS1_1:
      return TlsVersion::tls1_1;
    case GNUTLS_TLS1_0:
      return TlsVersion::tls1_0;
    case GNUTLS_SSL3:
      return TlsVersion::ssl3_0;
    default:
      return TlsVersion::unknown;
  }
}

// blackbox_exporter's spelling; GnuTLS' own name for anything else.
std::string version_name(gnutls_protocol_t version) {
  switch (version) {
    case GNUTLS_TLS1_3:
      return "TLS 1.3";
    case GNUTLS_TLS1_2:
      return "TLS 1.2";
    case GNUTLS_TLS1_1:
      return "TLS 1.1";
    case GNUTLS_TLS1_0:
      return "TLS 1.0";
    case GNUTLS_SSL3:
      return "SSL 3.0";
    default: {
      const char* name = gnutls_protocol_get_name(version);
      return name ? name : "";
    }
  }
}

// A certificate GnuTLS accepted but we cannot parse (or that follows one we cannot parse,
// where peer_certificates() stops) still occupies its place in the chain, identified by its
// hash when it does not parse, so chain[0] is always the leaf.
CertificateFacts facts_of(const gnutls_datum_t& der) {
  if (auto facts = certificate_facts_from_der({der.data, der.size})) return std::move(*facts);
  CertificateFacts opaque;
  opaque.sha256_hex = sha256_hex({der.data, der.size});
  return opaque;
}

// True when the server sent exactly one certificate and it names itself as its issuer.
bool lone_self_issued_leaf(gnutls_session_t session) {
  unsigned count = 0;
  gnutls_certificate_get_peers(session, &count);
  if (count != 1) return false;
  const auto chain = peer_certificates(session);
  return chain.size() == 1 && gnutls_x509_crt_check_issuer(chain[0].get(), chain[0].get()) == 1;
}

/// The cache key of the chain `s` presented, from its DER bytes alone (nothing parsed).
Sha256 presented_chain_key(const SessionState& impl) {
  unsigned count = 0;
  const gnutls_datum_t* peers = gnutls_certificate_get_peers(impl.session.get(), &count);
  std::vector<std::span<const unsigned char>> ders;
  ders.reserve(count);
  for (unsigned i = 0; peers != nullptr && i < count; ++i)
    ders.emplace_back(peers[i].data, peers[i].size);
  return chain_key(impl.trust->impl().id, impl.server_name, ders);
}

bool has_staple(gnutls_session_t s) {
  gnutls_datum_t der{};
  return gnutls_ocsp_status_request_get(s, &der) == 0 && der.size > 0;
}

/// Parses the presented chain into its facts and completeness.
std::shared_ptr<ChainVerdict> parse_chain(const SessionState& impl, std::vector<CrtPtr>& parsed) {
  gnutls_session_t s = impl.session.get();
  auto verdict = std::make_shared<ChainVerdict>();
  unsigned count = 0;
  const gnutls_datum_t* peers = gnutls_certificate_get_peers(s, &count);
  parsed = peer_certificates(s);
  std::vector<CertificateFacts> chain;
  chain.reserve(count);
  for (unsigned i = 0; peers != nullptr && i < count; ++i) {
    chain.push_back(i < parsed.size()
                        ? certificate_facts_of(parsed[i].get(), {peers[i].data, peers[i].size})
                        : facts_of(peers[i]));
  }
  verdict->chain = CertificateChain(std::move(chain));
  verdict->chain_complete = chain_complete(parsed, count, impl.trust->impl().credentials.get());
  return verdict;
}

/// Path validation of the presented chain against the trust store, the name, the dates and
/// the stapled OCSP response: GnuTLS' verdict in the project's reasons.
VerifyVerdict verify_presented_chain(const SessionState& impl) {
  VerifyVerdict verdict;
  if (!impl.handshake_done) {
    verdict.reasons.push_back(FailureReason::cert_invalid);
    return verdict;
  }
  gnutls_session_t s = impl.session.get();
  unsigned status = 0;
  const char* host = impl.server_name.empty() ? nullptr : impl.server_name.c_str();
  if (gnutls_certificate_verify_peers3(s, host, &status) < 0) {
    verdict.reasons.push_back(FailureReason::cert_invalid);  // no certificate, bad type, ...
    return verdict;
  }
  if (status == 0) {
    verdict.verified = true;
    return verdict;
  }
  // Each bit with a reason of its own; listed in the order reasons are reported.
  const bool untrusted = status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA);
  const bool self_signed = (status & GNUTLS_CERT_SIGNER_NOT_FOUND) && lone_self_issued_leaf(s);
  const std::pair<bool, FailureReason> specific[] = {
      {(status & GNUTLS_CERT_EXPIRED) != 0, FailureReason::cert_expired},
      {(status & GNUTLS_CERT_NOT_ACTIVATED) != 0, FailureReason::cert_not_yet_valid},
      {(status & GNUTLS_CERT_REVOKED) != 0, FailureReason::cert_revoked},
      {self_signed, FailureReason::cert_self_signed},
      {untrusted && !self_signed, FailureReason::cert_untrusted},
      {(status & GNUTLS_CERT_UNEXPECTED_OWNER) != 0, FailureReason::cert_hostname_mismatch},
      {(status & GNUTLS_CERT_INSECURE_ALGORITHM) != 0, FailureReason::cert_insecure_algorithm},
  };
  for (const auto& [applies, reason] : specific) {
    if (applies) verdict.reasons.push_back(reason);
  }
  // GNUTLS_CERT_INVALID accompanies every failure; it counts only when nothing specific
  // explains it, while any unmapped detail bit (bad signature, purpose, ...) always counts.
  constexpr unsigned kMapped = GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED |
                               GNUTLS_CERT_NOT_ACTIVATED | GNUTLS_CERT_REVOKED |
                               GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA |
                               GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INSECURE_ALGORITHM;
  if ((status & ~kMapped) != 0 || verdict.reasons.empty()) {
    verdict.reasons.push_back(FailureReason::cert_invalid);
  }
  return verdict;
}

}  // namespace

TlsFacts ClientSession::facts() const {
  TlsFacts facts;
  if (!impl_->handshake_done) return facts;
  SessionState& impl = *impl_;
  gnutls_session_t s = impl.session.get();
  facts.version = version_name(gnutls_protocol_get_version(s));
  facts.negotiated = version_of(gnutls_protocol_get_version(s));
  if (const char* cipher = gnutls_ciphersuite_get(s)) facts.cipher = cipher;
  if (const char* group = gnutls_group_get_name(gnutls_group_get(s))) facts.group = group;
  impl.chain_key = presented_chain_key(impl);
  impl.stapled = has_staple(s);
  if (impl.chain_cache) {
    impl.cached_chain = impl.chain_cache->find(impl.chain_key, std::chrono::system_clock::now());
  }
  std::vector<CrtPtr> parsed;
  if (impl.cached_chain) {
    facts.chain = impl.cached_chain->chain;
    facts.chain_complete = impl.cached_chain->chain_complete;
    if (impl.stapled) parsed = peer_certificates(s);  // the staple is matched to the leaf
  } else {
    // Each certificate is parsed once, here, for its facts and for the chain checks.
    impl.new_chain = parse_chain(impl, parsed);
    facts.chain = impl.new_chain->chain;
    facts.chain_complete = impl.new_chain->chain_complete;
  }
  if (impl.stapled) facts.ocsp = stapled_ocsp(s, parsed.empty() ? nullptr : parsed.front().get());
  return facts;
}

VerifyVerdict ClientSession::verify() const {
  SessionState& impl = *impl_;
  if (impl.handshake_done && impl.cached_chain && !impl.stapled) return impl.cached_chain->verify;
  VerifyVerdict verdict = verify_presented_chain(impl);
  if (impl.chain_cache && impl.new_chain && !impl.stapled) {
    impl.new_chain->verify = verdict;
    impl.chain_cache->insert(impl.chain_key, std::move(impl.new_chain),
                             std::chrono::system_clock::now());
  }
  return verdict;
}
dane::DaneCheck ClientSession::check_dane(const dane::DaneExpectation& expectation, SystemTime now,
                                          bool pkix_verified) const {
  // The chain is parsed again only where DANE can apply: secure records to match, or none in
  // a signed zone (the leaf's record is then what the domain would publish).
  const auto status = expectation.tlsa.status;
  const bool matching = impl_->handshake_done &&
                        (status == dane::TlsaStatus::secure || status == dane::TlsaStatus::none);
  return tls::check_dane(matching ? peer_certificates(impl_->session.get()) : std::vector<CrtPtr>{},
                         expectation, now, pkix_verified);
}

}  // namespace starttls_exporter::tls
