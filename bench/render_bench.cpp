// Times Collector::RenderPage() over a store of N targets whose results look like real
// successful probes (three-certificate chain, all phases), as bench/run's scale scenario
// leaves them. Usage: render_bench [TARGETS] [ROUNDS]; prints the median and best render
// time and the page size. A benchmark, not a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "starttls_exporter/collector.hpp"
#include "starttls_exporter/result_store.hpp"

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
  c.not_before = now - std::chrono::hours(24 * 30);
  c.not_after = now + std::chrono::hours(24 * 60);
  return c;
}

std::shared_ptr<const ProbeResult> successful_probe(SystemTime now) {
  auto r = std::make_shared<ProbeResult>();
  r->started = now;
  r->duration_seconds = 0.0123456;
  r->success = true;
  r->starttls_advertised = true;
  for (auto phase : {Phase::connect, Phase::banner, Phase::ehlo, Phase::starttls,
                     Phase::tls_handshake, Phase::verify, Phase::quit}) {
    r->phases.push_back({phase, 0.00123456789});
  }
  TlsFacts tls;
  tls.version = "TLS 1.3";
  tls.cipher = "TLS_AES_256_GCM_SHA384";
  tls.group = "X25519";
  tls.chain = {certificate("CN=mx.example.net", "CN=Example Intermediate CA,O=Example", now),
               certificate("CN=Example Intermediate CA,O=Example", "CN=Example Root CA", now),
               certificate("CN=Example Root CA", "CN=Example Root CA", now)};
  r->tls = tls;
  r->verify = VerifyVerdict{true, {}};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int targets = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  const auto now = std::chrono::system_clock::now();

  store::ResultStore store;
  std::vector<store::TargetInfo> infos;
  for (int i = 0; i < targets; ++i) {
    const std::string endpoint =
        "127.10." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":25";
    infos.push_back({endpoint + "/smtp", endpoint, "smtp", {{"site", "bench"}}});
  }
  store.set_targets(infos);
  const auto result = successful_probe(now);
  for (const auto& info : infos) store.record(info.key, result);

  metrics::Collector collector(store, {"bench", "3.7.9"});
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto page = collector.RenderPage();  // what /metrics sends
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    bytes = 0;
    for (const auto& part : *page) {
      bytes += part.size();
      if (std::getenv("RENDER_DUMP")) std::fputs(part.c_str(), stdout);
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf("targets=%d rounds=%d render_ms_median=%.1f render_ms_best=%.1f bytes=%zu\n", targets,
              rounds, ms[ms.size() / 2], ms.front(), bytes);
}
