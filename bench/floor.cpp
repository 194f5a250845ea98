// The floor: the least client CPU one SMTP STARTTLS probe with full certificate verification can
// cost with GnuTLS. One thread of sequential probes, blocking sockets, no event loop, no result
// bookkeeping. Each probe: connect, read the greeting (block reads: one recv() takes whatever
// has arrived), EHLO, STARTTLS, TLS handshake with the default priorities and the chain and host
// name verified inside it (gnutls_session_set_verify_cert), the leaf's expiry read, QUIT sent over
// TLS without waiting for its reply, close_notify, close.
//
// Usage: floor CA_FILE SERVER_NAME PORT ITERATIONS THREADS ADDRESS...
// Iterations cycle through the addresses; THREADS is kept for the harness' call and should be 1
// (the floor is sequential). Prints one line:
//   floor probes=N failures=F cpu_us_per_probe=X wall_s=W probes_per_s=R
// where CPU is this process' user + system time (getrusage) per successful probe, library set-up
// and CA loading excluded (the exporter also does them once, at start).
// Build: g++ -O2 -std=c++20 floor.cpp $(pkg-config --cflags --libs gnutls) -pthread
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

namespace {

struct Options {
  const char* ca_file;
  const char* server_name;
  int port;
  long iterations;
  int threads;
  std::vector<in_addr> addresses;
};

gnutls_certificate_credentials_t g_credentials;
std::atomic<long> g_next{0};
std::atomic<long> g_ok{0};
std::atomic<long> g_failed{0};

// Reads one SMTP reply (possibly multi-line) in blocks; returns its code or -1. A reply ends at a
// line whose fourth character is a space.
int read_reply(int fd, char* buf, size_t cap) {
  size_t n = 0;
  for (;;) {
    const ssize_t r = ::recv(fd, buf + n, cap - 1 - n, 0);
    if (r <= 0) return -1;
    n += static_cast<size_t>(r);
    buf[n] = 0;
    for (char *line = buf, *nl; (nl = std::strstr(line, "\r\n")) != nullptr; line = nl + 2) {
      if (nl - line >= 4 && line[3] == ' ') return std::atoi(line);
    }
    if (n >= cap - 1) return -1;
  }
}

bool send_line(int fd, const char* line) {
  const size_t len = std::strlen(line);
  return ::send(fd, line, len, 0) == static_cast<ssize_t>(len);
}

bool tls_part(const Options& o, int fd) {
  gnutls_session_t s = nullptr;
  if (gnutls_init(&s, GNUTLS_CLIENT) != 0) return false;
  gnutls_set_default_priority(s);
  gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, g_credentials);
  gnutls_server_name_set(s, GNUTLS_NAME_DNS, o.server_name, std::strlen(o.server_name));
  gnutls_session_set_verify_cert(s, o.server_name, 0);
  gnutls_transport_set_int(s, fd);
  int rc;
  do rc = gnutls_handshake(s);
  while (rc < 0 && !gnutls_error_is_fatal(rc));
  const bool ok = rc == 0;
  if (ok) {
    unsigned count = 0;
    const gnutls_datum_t* chain = gnutls_certificate_get_peers(s, &count);
    gnutls_x509_crt_t leaf = nullptr;
    gnutls_x509_crt_init(&leaf);
    if (count > 0) gnutls_x509_crt_import(leaf, &chain[0], GNUTLS_X509_FMT_DER);
    volatile time_t expiry = gnutls_x509_crt_get_expiration_time(leaf);
    (void)expiry;
    gnutls_x509_crt_deinit(leaf);
    gnutls_record_send(s, "QUIT\r\n", 6);
    gnutls_bye(s, GNUTLS_SHUT_WR);
  }
  gnutls_deinit(s);
  return ok;
}

bool probe(const Options& o, in_addr address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(o.port));
  sa.sin_addr = address;
  char buf[8192];
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
                  read_reply(fd, buf, sizeof buf) == 220 &&
                  send_line(fd, "EHLO floor.lab.test\r\n") &&
                  read_reply(fd, buf, sizeof buf) == 250 && send_line(fd, "STARTTLS\r\n") &&
                  read_reply(fd, buf, sizeof buf) == 220 && tls_part(o, fd);
  ::close(fd);
  return ok;
}

void worker(const Options& o) {
  for (long i; (i = g_next.fetch_add(1)) < o.iterations;) {
    const in_addr a = o.addresses[static_cast<size_t>(i) % o.addresses.size()];
    (probe(o, a) ? g_ok : g_failed).fetch_add(1);
  }
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s CA_FILE SERVER_NAME PORT ITERATIONS THREADS ADDRESS...\n",
                 argv[0]);
    return 2;
  }
  Options o{argv[1], argv[2], std::atoi(argv[3]), std::atol(argv[4]), std::atoi(argv[5]), {}};
  for (int i = 6; i < argc; ++i) {
    in_addr a{};
    if (inet_pton(AF_INET, argv[i], &a) != 1) {
      std::fprintf(stderr, "bad address %s\n", argv[i]);
      return 2;
    }
    o.addresses.push_back(a);
  }
  gnutls_global_init();
  gnutls_certificate_allocate_credentials(&g_credentials);
  if (gnutls_certificate_set_x509_trust_file(g_credentials, o.ca_file, GNUTLS_X509_FMT_PEM) <= 0) {
    std::fprintf(stderr, "cannot load %s\n", o.ca_file);
    return 1;
  }
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) threads.emplace_back(worker, std::cref(o));
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const long ok = g_ok.load();
  std::printf("floor probes=%ld failures=%ld cpu_us_per_probe=%.1f wall_s=%.2f probes_per_s=%.1f\n",
              ok, g_failed.load(), ok ? cpu * 1e6 / static_cast<double>(ok) : 0.0, wall,
              static_cast<double>(ok) / wall);
  gnutls_certificate_free_credentials(g_credentials);
  return g_failed.load() == 0 ? 0 : 1;
}
