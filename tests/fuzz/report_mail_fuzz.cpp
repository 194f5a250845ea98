// Fuzz target for the report part of a report mail (src/tlsrpt/mail.cpp, GMime): the input is
// a whole mail as the MTA delivers it to the Maildir; a part found goes on to the report
// parser, as intake does. Small limits keep each run fast.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "starttls_exporter/tlsrpt/report.hpp"

using namespace starttls_exporter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tlsrpt::Limits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_decompressed_bytes = 1 << 20;
  limits.max_policies = 16;
  limits.max_failure_details = 64;
  const std::string_view mail(reinterpret_cast<const char*>(data), size);
  const tlsrpt::MailBody part = tlsrpt::report_from_mail(mail, limits);
  if (part.body.has_value() == part.refusal.has_value()) __builtin_trap();  // exactly one
  if (part.body && part.body->size() > mail.size()) __builtin_trap();       // decoding only shrinks
  if (part.body) tlsrpt::decode_and_parse(*part.body, limits);
  return 0;
}
