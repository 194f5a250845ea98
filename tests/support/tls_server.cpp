#include "tls_server.hpp"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <stdexcept>
#include <vector>

namespace starttls_exporter::testing {
namespace {

using Clock = std::chrono::steady_clock;

void check(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string(what) + ": " + gnutls_strerror(rc));
}

// Installs the chain as parsed certificates: gnutls_certificate_set_x509_key_mem would keep
// only the first 16 certificates of a longer chain, and tests need 30.
void load_key_and_chain(gnutls_certificate_credentials_t creds, const IssuedCert& cert) {
  const gnutls_datum_t chain{
      reinterpret_cast<unsigned char*>(const_cast<char*>(cert.chain_pem.data())),
      static_cast<unsigned>(cert.chain_pem.size())};
  const gnutls_datum_t key_pem{
      reinterpret_cast<unsigned char*>(const_cast<char*>(cert.key_pem.data())),
      static_cast<unsigned>(cert.key_pem.size())};
  gnutls_x509_crt_t* crts = nullptr;
  unsigned count = 0;
  check(gnutls_x509_crt_list_import2(&crts, &count, &chain, GNUTLS_X509_FMT_PEM, 0),
        "crt_list_import2");
  gnutls_x509_privkey_t key = nullptr;
  int rc = gnutls_x509_privkey_init(&key);
  if (rc >= 0) rc = gnutls_x509_privkey_import(key, &key_pem, GNUTLS_X509_FMT_PEM);
  if (rc >= 0) rc = gnutls_certificate_set_x509_key(creds, crts, count, key);  // copies both
  if (key) gnutls_x509_privkey_deinit(key);
  for (unsigned i = 0; i < count; ++i) gnutls_x509_crt_deinit(crts[i]);
  gnutls_free(crts);
  check(rc, "set_x509_key");
}

// Waits until `fd` is ready in `events` or `deadline` passes. False on timeout or error.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

// GnuTLS' "recognized the ClientHello" hook, used to abort right after it.
int refuse_after_client_hello(gnutls_session_t) {
  return GNUTLS_E_NO_CIPHER_SUITES;
}

}  // namespace

struct TlsServerSession::Impl {
  int fd;
  gnutls_certificate_credentials_t creds = nullptr;
  gnutls_session_t session = nullptr;
  std::string pending;  // decrypted bytes not yet returned by read_line
  std::string error;
  // chain_verbatim / ocsp_response: what the certificate callback hands GnuTLS; outlives
  // `session`.
  std::vector<gnutls_pcert_st> verbatim_chain;
  gnutls_privkey_t verbatim_key = nullptr;
  std::vector<unsigned char> ocsp_der;
  gnutls_ocsp_data_st ocsp{};

  ~Impl() {
    if (session) gnutls_deinit(session);
    if (creds) gnutls_certificate_free_credentials(creds);
    for (auto& pcert : verbatim_chain) gnutls_pcert_deinit(&pcert);
    if (verbatim_key) gnutls_privkey_deinit(verbatim_key);
  }

  // Repeats `op` while GnuTLS asks to, waiting for the descriptor in between.
  template <class Op>
  int run(Op op, Clock::time_point deadline) {
    for (;;) {
      const int rc = op();
      if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
        if (rc < 0) error = gnutls_strerror(rc);
        return rc;
      }
      const short events = gnutls_record_get_direction(session) ? POLLOUT : POLLIN;
      if (!wait_fd(fd, events, deadline)) {
        error = "timeout";
        return GNUTLS_E_TIMEDOUT;
      }
    }
  }
};

namespace {

// Transport over the raw descriptor. send() uses MSG_NOSIGNAL so a client that hangs up never
// SIGPIPEs the test process; errno goes to GnuTLS so EAGAIN becomes GNUTLS_E_AGAIN.
ssize_t push(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
  auto* impl = static_cast<TlsServerSession::Impl*>(ptr);
  const ssize_t rc = send(impl->fd, data, size, MSG_NOSIGNAL);
  if (rc < 0) gnutls_transport_set_errno(impl->session, errno);
  return rc;
}

ssize_t pull(gnutls_transport_ptr_t ptr, void* data, size_t size) {
  auto* impl = static_cast<TlsServerSession::Impl*>(ptr);
  const ssize_t rc = recv(impl->fd, data, size, 0);
  if (rc < 0) gnutls_transport_set_errno(impl->session, errno);
  return rc;
}

// GnuTLS asks for the certificate at handshake time and sends what it gets: the chain as
// written and the OCSP response for the leaf, unchecked (the credentials API would refuse to
// staple a "revoked" response, which tests need).
int retrieve_verbatim(gnutls_session_t session, const gnutls_cert_retr_st*, gnutls_pcert_st** pcert,
                      unsigned int* pcert_length, gnutls_ocsp_data_st** ocsp,
                      unsigned int* ocsp_length, gnutls_privkey_t* key, unsigned int* flags) {
  auto* impl = static_cast<TlsServerSession::Impl*>(gnutls_session_get_ptr(session));
  *pcert = impl->verbatim_chain.data();
  *pcert_length = static_cast<unsigned>(impl->verbatim_chain.size());
  *ocsp = impl->ocsp_der.empty() ? nullptr : &impl->ocsp;
  *ocsp_length = impl->ocsp_der.empty() ? 0 : 1;
  *key = impl->verbatim_key;
  *flags = 0;  // we keep ownership
  return 0;
}

void load_verbatim(TlsServerSession::Impl& impl, const IssuedCert& cert,
                   const std::vector<unsigned char>& ocsp_der) {
  const gnutls_datum_t chain{
      reinterpret_cast<unsigned char*>(const_cast<char*>(cert.chain_pem.data())),
      static_cast<unsigned>(cert.chain_pem.size())};
  const gnutls_datum_t key{reinterpret_cast<unsigned char*>(const_cast<char*>(cert.key_pem.data())),
                           static_cast<unsigned>(cert.key_pem.size())};
  unsigned count = 64;
  std::vector<gnutls_pcert_st> pcerts(count);
  check(gnutls_pcert_list_import_x509_raw(pcerts.data(), &count, &chain, GNUTLS_X509_FMT_PEM, 0),
        "pcert_list_import");
  pcerts.resize(count);
  impl.verbatim_chain = std::move(pcerts);
  check(gnutls_privkey_init(&impl.verbatim_key), "privkey_init");
  check(gnutls_privkey_import_x509_raw(impl.verbatim_key, &key, GNUTLS_X509_FMT_PEM, nullptr, 0),
        "privkey_import");
  impl.ocsp_der = ocsp_der;
  impl.ocsp.response = {impl.ocsp_der.data(), static_cast<unsigned>(impl.ocsp_der.size())};
  impl.ocsp.exptime = 0;  // never stale
  gnutls_certificate_set_retrieve_function3(impl.creds, retrieve_verbatim);
}

}  // namespace

TlsServerSession::TlsServerSession(int fd, const IssuedCert& cert, TlsServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->fd = fd;
  check(gnutls_certificate_allocate_credentials(&impl_->creds), "allocate_credentials");
  if (options.chain_verbatim || !options.ocsp_response.empty()) {
    load_verbatim(*impl_, cert, options.ocsp_response);
  } else {
    load_key_and_chain(impl_->creds, cert);
    if (options.second_cert) load_key_and_chain(impl_->creds, *options.second_cert);
  }
  check(gnutls_init(&impl_->session, GNUTLS_SERVER | GNUTLS_NONBLOCK), "gnutls_init");
  const char* err_pos = nullptr;
  check(gnutls_priority_set_direct(impl_->session, options.priorities.c_str(), &err_pos),
        "priorities");
  check(gnutls_credentials_set(impl_->session, GNUTLS_CRD_CERTIFICATE, impl_->creds),
        "credentials_set");
  gnutls_certificate_server_set_request(impl_->session, GNUTLS_CERT_IGNORE);
  gnutls_transport_set_ptr(impl_->session, impl_.get());
  gnutls_session_set_ptr(impl_->session, impl_.get());
  gnutls_transport_set_push_function(impl_->session, push);
  gnutls_transport_set_pull_function(impl_->session, pull);
}

TlsServerSession::~TlsServerSession() = default;

bool TlsServerSession::handshake(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  return impl_->run([&] { return gnutls_handshake(impl_->session); }, deadline) == 0;
}

bool TlsServerSession::write(std::string_view data) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!data.empty()) {
    const auto rc = impl_->run(
        [&] {
          return static_cast<int>(gnutls_record_send(impl_->session, data.data(), data.size()));
        },
        deadline);
    if (rc <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(rc));
  }
  return true;
}

std::optional<std::string> TlsServerSession::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto eol = impl_->pending.find('\n');
    if (eol != std::string::npos) {
      std::string line = impl_->pending.substr(0, eol + 1);
      impl_->pending.erase(0, eol + 1);
      return line;
    }
    char buf[4096];
    const auto rc = impl_->run(
        [&] { return static_cast<int>(gnutls_record_recv(impl_->session, buf, sizeof buf)); },
        deadline);
    if (rc <= 0) return std::nullopt;
    impl_->pending.append(buf, static_cast<std::size_t>(rc));
  }
}

void TlsServerSession::send_fatal_alert_handshake_failure() {
  gnutls_handshake_set_post_client_hello_function(impl_->session, refuse_after_client_hello);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  impl_->run([&] { return gnutls_handshake(impl_->session); }, deadline);
  impl_->run(
      [&] {
        return gnutls_alert_send(impl_->session, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
      },
      deadline);
}

void TlsServerSession::bye() {
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  impl_->run([&] { return gnutls_bye(impl_->session, GNUTLS_SHUT_WR); }, deadline);
}

std::string TlsServerSession::client_server_name() const {
  char name[256];
  size_t size = sizeof name;
  unsigned type = 0;
  if (gnutls_server_name_get(impl_->session, name, &size, &type, 0) < 0) return {};
  return std::string(name, size);
}

const std::string& TlsServerSession::last_error() const {
  return impl_->error;
}

}  // namespace starttls_exporter::testing
