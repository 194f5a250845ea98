// The streamed text exposition: every pass budget yields the same bytes as TextSerializer,
// and no piece handed to the writer is larger than the budget allows.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "collector_fixtures.hpp"
#include "sinks.hpp"

using namespace metrics_test;

namespace {

/// 60 targets with a mix of outcomes and labels that need escaping.
struct Targets {
  std::vector<Labels> labels;
  std::vector<ProbeResult> results;

  explicit Targets(int count = 60) {
    for (int i = 0; i < count; ++i) {
      labels.push_back({{"target", "192.0.2." + std::to_string(i) + ":25"},
                        {"module", "smtp"},
                        {"note", i % 7 == 0 ? "q\"b\\n\nx" : "plain"}});
      results.push_back(i % 3 == 0   ? success_result()
                        : i % 3 == 1 ? verify_failure_result()
                                     : connect_failure_result(kStart));
      if (i % 6 == 0) add_rare_facts(results.back());
    }
  }

  /// Facts the fixtures leave out, so that every family has series somewhere.
  static void add_rare_facts(ProbeResult& r) {
    auto& leaf = r.tls->chain.edit(0);
    leaf.public_key_algorithm = "ECDSA";
    leaf.public_key_bits = 256;
    leaf.signature_algorithm = "ECDSA-SHA256";
    r.tls->ocsp = OcspStaple{OcspStaple::Status::good, kStart, kNow + 24h, std::nullopt};
    LegacyProbe legacy;
    legacy.accepted = true;
    legacy.version = "TLS 1.0";
    legacy.duration_seconds = 0.05;
    r.legacy = legacy;
  }

  void append(SeriesSink& sink) const {
    for (std::size_t i = 0; i < results.size(); ++i) {
      TargetView view;
      view.latest = &results[i];
      if (results[i].tls) {
        view.tls = &*results[i].tls;
        view.verify = &*results[i].verify;
        view.handshake_at = results[i].started;
      }
      // Every optional group on for most targets, off for some: both shapes stream.
      if (i % 5 != 4) view.series = config::MetricsSettings::all();
      append_target(sink, labels[i], view, kNow);
    }
  }
};

std::string reference(const Targets& targets) {
  FamilySink sink(Source::scheduled, targets.results.size());
  targets.append(sink);
  return render_text(sink.take());
}

}  // namespace

TEST_CASE("every budget streams the bytes TextSerializer writes, in bounded pieces") {
  const Targets targets;
  const std::string expected = reference(targets);
  REQUIRE(expected.size() > 20000);
  for (const char* rare :
       {"probe_ssl_leaf_public_key_size{", "probe_ssl_ocsp_response_status_info{",
        "probe_tls_legacy_version_accepted{", "probe_failure_info{"}) {
    REQUIRE(expected.find(rare) != std::string::npos);
  }
  for (const std::size_t budget : {std::size_t{0}, std::size_t{1}, std::size_t{300},
                                   std::size_t{5000}, std::size_t{1} << 30}) {
    CAPTURE(budget);
    std::vector<std::size_t> family_bytes;  // none yet: the first page finds them out
    for (int page_number = 0; page_number < 2; ++page_number) {
      CAPTURE(page_number);
      std::string page;
      std::size_t largest = 0;
      std::size_t pieces = 0;
      const bool written = write_text_page(
          Source::scheduled, [&](SeriesSink& sink) { targets.append(sink); }, budget, family_bytes,
          [&](std::string_view piece) {
            page += piece;
            largest = std::max(largest, piece.size());
            ++pieces;
            return true;
          });
      CHECK(written);
      CHECK(page == expected);
      // A buffered family never exceeds the budget; the streamed one goes in 64 KiB chunks.
      CHECK(largest <= std::max<std::size_t>(budget, 64 * 1024 + 1024));
      if (budget == 0) CHECK(pieces >= 20);  // one pass, and one piece, per family
      std::size_t total = 0;
      for (const auto bytes : family_bytes) total += bytes;
      CHECK(total == page.size());  // what the next page plans with
    }
  }
}

TEST_CASE("a writer that fails ends the page at once") {
  const Targets targets;
  int calls = 0;
  std::vector<std::size_t> family_bytes;
  const bool written = write_text_page(
      Source::scheduled, [&](SeriesSink& sink) { targets.append(sink); }, 0, family_bytes,
      [&](std::string_view) { return ++calls < 3; });
  CHECK_FALSE(written);
  CHECK(calls == 3);
}

TEST_CASE("sample values are written as TextSerializer writes them") {
  for (const double value :
       {0.0, -0.0, 1.0, -1.0, 256.0, 0.5, 1.0 / 3, -5.25, 1e-7, 1e14, 999999999999999.0, 1e15, 1e16,
        1801276188.651912, 1801276188.0, -1801276188.0, 123456789012345678.0}) {
    CAPTURE(value);
    std::ostringstream expected;
    expected.precision(16);
    expected << value;
    std::string written;
    append_sample_value(written, value);
    CHECK(written == expected.str());
  }
}

TEST_CASE("a family larger than one streamed chunk keeps one HELP and TYPE") {
  const Targets targets(1500);  // probe_phase_duration_seconds alone is several 64 KiB chunks
  const std::string expected = reference(targets);
  std::vector<std::size_t> family_bytes;
  std::string page;
  std::size_t pieces = 0;
  const bool written = write_text_page(
      Source::scheduled, [&](SeriesSink& sink) { targets.append(sink); }, 0, family_bytes,
      [&](std::string_view piece) {
        page += piece;
        ++pieces;
        return true;
      });
  CHECK(written);
  CHECK(pieces > 40);  // more pieces than families: the large ones went out in chunks
  CHECK(count_substr(page, "# HELP probe_phase_duration_seconds ") == 1);
  CHECK(page == expected);
}
