// The floor: the least work one SMTP STARTTLS probe with full certificate verification can do
// with GnuTLS. Blocking sockets, no event loop, no result bookkeeping: connect, read the greeting,
// EHLO, STARTTLS, TLS handshake, verify the chain against the CA and the host name
// (gnutls_certificate_verify_peers3), QUIT over TLS, close.
//
// Usage: floor CA_FILE SERVER_NAME PORT ITERATIONS THREADS ADDRESS...
// Threads take iterations from a shared counter and cycle through the addresses. Prints one line:
//   floor probes=N failures=F cpu_us_per_probe=X wall_s=W probes_per_s=R
// where CPU is this process' user + system time (getrusage) over successful probes.
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
#include <string>
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

// Reads one SMTP reply (possibly multi-line) from a plain socket; returns its code or -1.
int read_reply_plain(int fd) {
  std::string buf;
  char c;
  for (;;) {
    if (::read(fd, &c, 1) != 1) return -1;
    buf += c;
    if (c != '\n') continue;
    if (buf.size() >= 4 && buf[3] == ' ') return std::atoi(buf.c_str());
    buf.clear();
  }
}

// The same over TLS, reading records as they come.
int read_reply_tls(gnutls_session_t s) {
  char data[1024];
  std::string pending;
  for (;;) {
    const ssize_t n = gnutls_record_recv(s, data, sizeof data);
    if (n < 0 && !gnutls_error_is_fatal(static_cast<int>(n))) continue;  // e.g. a ticket
    if (n <= 0) return -1;
    pending.append(data, static_cast<size_t>(n));
    for (size_t eol; (eol = pending.find('\n')) != std::string::npos; pending.erase(0, eol + 1)) {
      if (eol >= 3 && pending[3] == ' ') return std::atoi(pending.c_str());
    }
  }
}

bool send_plain(int fd, const char* line) {
  const size_t len = std::strlen(line);
  return ::write(fd, line, len) == static_cast<ssize_t>(len);
}

bool probe(const Options& o, in_addr address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(o.port));
  sa.sin_addr = address;
  bool ok = false;
  gnutls_session_t s = nullptr;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      read_reply_plain(fd) == 220 && send_plain(fd, "EHLO probe.test\r\n") &&
      read_reply_plain(fd) == 250 && send_plain(fd, "STARTTLS\r\n") &&
      read_reply_plain(fd) == 220 && gnutls_init(&s, GNUTLS_CLIENT) == 0) {
    gnutls_set_default_priority(s);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, g_credentials);
    gnutls_server_name_set(s, GNUTLS_NAME_DNS, o.server_name, std::strlen(o.server_name));
    gnutls_transport_set_int(s, fd);
    int rc;
    do rc = gnutls_handshake(s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    unsigned status = 1;
    if (rc == 0 && gnutls_certificate_verify_peers3(s, o.server_name, &status) == 0 &&
        status == 0 && gnutls_record_send(s, "QUIT\r\n", 6) == 6 && read_reply_tls(s) == 221) {
      ok = true;
      gnutls_bye(s, GNUTLS_SHUT_WR);
    }
    gnutls_deinit(s);
  }
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
  // Setup (library init, CA parsing) is excluded: the exporter also does it once at start.
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
