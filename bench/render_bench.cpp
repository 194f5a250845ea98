// Times Collector::Stream() (the /metrics page) over a store of N targets whose results look
// like real successful probes, shaped as bench/run's scale scenario leaves them (labels target
// and module only; leaf and CA sent, ECDSA P-256, all SMTP phases). Usage: render_bench [TARGETS]
// [ROUNDS]; prints the median and best render time, the time to the first piece, the page size and
// the process' peak RSS. RENDER_DUMP=1 writes the page to stdout; RENDER_SERIES=all turns every
// modules.NAME.metrics group on. A benchmark, not a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "starttls_exporter/metrics/collector.hpp"
#include "starttls_exporter/store/result_store.hpp"

using namespace starttls_exporter;

namespace {

CertificateFacts certificate(const std::string& subject, const std::string& issuer,
                             SystemTime now) {
  CertificateFacts c;
  c.subject = subject;
  c.issuer = issuer;
  c.dns_names = {"mx.example.net", "mail.example.net"};
  c.serial_hex = "4f2c9a0d1e7b3c5a6d8e9f0a1b2c3d4e";
  c.sha256_hex = std::string(64, 'a');
  // Certificate times are whole seconds, as X.509 encodes them.
  const auto day = std::chrono::floor<std::chrono::seconds>(now);
  c.not_before = day - std::chrono::hours(24 * 30);
  c.not_after = day + std::chrono::hours(24 * 60);
  c.public_key_algorithm = "ECDSA";
  c.public_key_bits = 256;
  c.signature_algorithm = "ECDSA-SHA256";
  return c;
}

std::shared_ptr<const ProbeResult> successful_probe(SystemTime now) {
  auto r = std::make_shared<ProbeResult>();
  r->started = now;
  r->duration_seconds = 0.012345678;  // steady_clock nanoseconds, as probes measure
  r->success = true;
  r->starttls_advertised = true;
  for (auto phase : {Phase::connect, Phase::banner, Phase::ehlo, Phase::starttls,
                     Phase::tls_handshake, Phase::verify, Phase::quit}) {
    r->phases.push_back({phase, 0.001234567});
  }
  TlsFacts tls;
  tls.version = "TLS 1.3";
  tls.cipher = "TLS_AES_256_GCM_SHA384";
  tls.group = "X25519";
  tls.chain = {certificate("CN=mx.example.net", "CN=Example CA,O=Example", now),
               certificate("CN=Example CA,O=Example", "CN=Example CA,O=Example", now)};
  tls.chain_complete = true;
  r->tls = tls;
  r->verify = VerifyVerdict{true, {}};
  return r;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

/// Peak resident memory of this process (VmHWM), in KiB.
long vm_hwm_kib() {
  std::ifstream status("/proc/self/status");
  std::string word;
  while (status >> word) {
    if (word == "VmHWM:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int targets = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = std::max(1, argc > 2 ? std::atoi(argv[2]) : 20);
  const auto now = std::chrono::system_clock::now();

  // RENDER_SERIES=all: every optional series group on (the page before metrics.* existed).
  const char* series_env = std::getenv("RENDER_SERIES");
  const bool all_series = series_env != nullptr && std::string_view(series_env) == "all";
  store::ResultStore store;
  std::vector<store::TargetInfo> infos;
  for (int i = 0; i < targets; ++i) {
    const std::string endpoint =
        "127.10." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":25";
    infos.push_back({endpoint + "/smtp",
                     endpoint,
                     "smtp",
                     {},
                     all_series ? config::MetricsSettings::all() : config::MetricsSettings{},
                     "mx" + std::to_string(i) + ".example.net"});  // one name per target
  }
  store.set_targets(infos);
  const auto result = successful_probe(now);
  for (const auto& info : infos) store.record(info.key, result);

  metrics::Collector collector(store, {"bench", "3.7.9"});
  const bool dump = std::getenv("RENDER_DUMP") != nullptr;
  std::vector<double> ms;
  std::vector<double> first_ms;
  std::size_t bytes = 0;
  std::size_t pieces = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    bytes = 0;
    pieces = 0;
    collector.Stream([&](std::string_view piece) {  // what /metrics sends
      if (pieces++ == 0) first_ms.push_back(elapsed_ms(start));
      bytes += piece.size();
      if (dump) std::fwrite(piece.data(), 1, piece.size(), stdout);
      return true;
    });
    ms.push_back(elapsed_ms(start));
  }
  std::sort(ms.begin(), ms.end());
  std::sort(first_ms.begin(), first_ms.end());
  std::fprintf(dump ? stderr : stdout,
               "targets=%d rounds=%d render_ms_median=%.1f render_ms_best=%.1f "
               "first_piece_ms_median=%.2f bytes=%zu pieces=%zu vm_hwm_kib=%ld\n",
               targets, rounds, ms[ms.size() / 2], ms.front(), first_ms[first_ms.size() / 2], bytes,
               pieces, vm_hwm_kib());
}
