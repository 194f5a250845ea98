// The report part of a report mail (RFC 8460 §5.3), found with GMime.
#include <gmime/gmime.h>

#include <memory>
#include <mutex>

#include "starttls_exporter/tlsrpt/report.hpp"

namespace starttls_exporter::tlsrpt {
namespace {

struct Unref {
  void operator()(gpointer object) const noexcept {
    if (object) g_object_unref(object);
  }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, Unref>;

struct GFree {
  void operator()(gpointer memory) const noexcept { g_free(memory); }
};

void init_gmime_once() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

bool is_gzip(std::string_view bytes) noexcept {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

/// A leaf part's content with its transfer encoding undone (never larger than the message).
std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);  // owned by the part
  if (content == nullptr) return {};
  const GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, out.get()) < 0) return {};
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  return bytes ? std::string(reinterpret_cast<const char*>(bytes->data), bytes->len)
               : std::string();
}

/// What the walk over the parts found: the first labelled part, else the first that sniffs.
struct Search {
  std::optional<std::string> labelled;
  std::optional<std::string> sniffed;
};

void visit(GMimeObject* /*parent*/, GMimeObject* object, gpointer data) {
  auto& search = *static_cast<Search*>(data);
  if (search.labelled || !GMIME_IS_PART(object)) return;
  const std::unique_ptr<char, GFree> type(
      g_mime_content_type_get_mime_type(g_mime_object_get_content_type(object)));
  const std::string_view mime = type ? std::string_view(type.get()) : std::string_view();
  const bool labelled = g_ascii_strcasecmp(mime.data(), "application/tlsrpt+gzip") == 0 ||
                        g_ascii_strcasecmp(mime.data(), "application/tlsrpt+json") == 0;
  if (!labelled && search.sniffed) return;
  std::string content = decoded_content(GMIME_PART(object));
  if (labelled) {
    search.labelled = std::move(content);
  } else if (looks_like_report_body(content)) {
    search.sniffed = std::move(content);
  }
}

}  // namespace

bool looks_like_report_body(std::string_view bytes) noexcept {
  if (is_gzip(bytes)) return true;
  const auto first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '{';
}

MailBody report_from_mail(std::string_view message, const Limits& limits) {
  MailBody out;
  if (message.size() > limits.max_message_bytes) {
    out.refusal = Refusal::too_large;
    out.detail = "the mail is over " + std::to_string(limits.max_message_bytes) + " bytes";
    return out;
  }
  init_gmime_once();
  // The stream copies nothing: it reads `message` in place (GMime keeps no reference after).
  const GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(
      reinterpret_cast<const char*>(message.data()), message.size()));
  const GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  const GObjectPtr<GMimeMessage> mail(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!mail) {
    out.refusal = Refusal::malformed;
    out.detail = "not a mail message";
    return out;
  }
  Search search;
  if (GMimeObject* body = g_mime_message_get_mime_part(mail.get())) {
    visit(nullptr, body, &search);
    if (GMIME_IS_MULTIPART(body)) g_mime_multipart_foreach(GMIME_MULTIPART(body), visit, &search);
  }
  if (search.labelled) {
    out.body = std::move(search.labelled);
  } else if (search.sniffed) {
    out.body = std::move(search.sniffed);
  } else {
    out.refusal = Refusal::malformed;
    out.detail = "no application/tlsrpt+gzip or +json part, and no part holds gzip or JSON";
  }
  return out;
}

}  // namespace starttls_exporter::tlsrpt
