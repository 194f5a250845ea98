// gunzip: one gzip member inflated within a bound (RFC 1952), with zlib.
#include <zlib.h>

#include <memory>

#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::tlsrpt {
namespace {

/// A z_stream set up for gzip, ended by its destructor.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK; }  // 16: gzip only
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ok() const noexcept { return ok_; }
  z_stream& stream() noexcept { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

std::optional<std::string> refuse(Refusal why, Refusal* refusal) {
  if (refusal) *refusal = why;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> gunzip(std::string_view bytes, std::size_t max_bytes, Refusal* refusal) {
  Inflater inflater;
  if (!inflater.ok()) return refuse(Refusal::malformed, refusal);
  z_stream& z = inflater.stream();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  constexpr std::size_t kChunk = 64 * 1024;
  for (;;) {
    // One chunk more than the bound may hold: output beyond max_bytes means too large.
    const std::size_t at = out.size();
    out.resize(at + kChunk);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    z.avail_out = static_cast<uInt>(kChunk);
    const int status = inflate(&z, Z_NO_FLUSH);
    out.resize(at + kChunk - z.avail_out);
    if (out.size() > max_bytes) return refuse(Refusal::too_large, refusal);
    if (status == Z_STREAM_END) return out;
    if (status != Z_OK) return refuse(Refusal::malformed, refusal);                       // corrupt
    if (z.avail_in == 0 && z.avail_out != 0) return refuse(Refusal::malformed, refusal);  // cut
  }
}

}  // namespace starttls_exporter::tlsrpt
