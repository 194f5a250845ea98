// The `_mta-sts` (RFC 8461 §3.1) and `_smtp._tls` (RFC 8460 §3) TXT records: one tag-value
// grammar, "VERSION; name=value; ...", with a version tag that selects the records to judge.
#include "starttls_exporter/core/text.hpp"
#include "starttls_exporter/policy/mta_sts.hpp"
#include "sts_text.hpp"

namespace starttls_exporter::mta_sts {
namespace {

using namespace detail;

/// ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible ASCII except ";" and "=".
bool is_field_value(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != ';' && c != '=';
  });
}

struct Field {
  std::string_view name, value;
};

/// Splits a record into its fields after VERSION: "" on success, else what is wrong.
std::string split_fields(std::string_view record, std::string_view version,
                         std::vector<Field>& fields) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    const auto semi = record.find(';', at);
    parts.push_back(trim_wsp(record.substr(at, semi == std::string_view::npos ? semi : semi - at)));
    if (semi == std::string_view::npos) break;
    at = semi + 1;
  }
  if (parts.front() != version) return "it does not begin with " + std::string(version);
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();  // one final ";" is allowed
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    if (parts[i].empty()) return "an empty field (two \";\" in a row)";
    if (eq == std::string_view::npos) return "field \"" + std::string(parts[i]) + "\" has no \"=\"";
    fields.push_back({parts[i].substr(0, eq), parts[i].substr(eq + 1)});
  }
  return {};
}

/// A candidate begins with VERSION followed by the end, whitespace or ";".
bool is_candidate(std::string_view record, std::string_view version) {
  if (!record.starts_with(version)) return false;
  return record.size() == version.size() || is_wsp(record[version.size()]) ||
         record[version.size()] == ';';
}

/// The one candidate record, or the failure; `selected` is set on success.
std::optional<RecordFailure> select_record(const std::vector<std::string>& records,
                                           std::string_view version, std::string_view& selected) {
  std::size_t count = 0;
  for (const auto& record : records) {
    if (!is_candidate(record, version)) continue;
    ++count;
    selected = record;
  }
  if (count == 0) return RecordFailure::no_record;
  if (count > 1) return RecordFailure::multiple_records;
  return std::nullopt;
}

/// Checks the generic name=value grammar of every field: "" when it holds.
std::string check_extension(const Field& field) {
  if (!is_field_name(field.name)) return "bad field name \"" + std::string(field.name) + "\"";
  if (!is_field_value(field.value)) {
    return "bad value for field \"" + std::string(field.name) + "\"";
  }
  return {};
}

bool is_report_uri(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon + 1 == uri.size()) return false;
  const std::string scheme = lower(uri.substr(0, colon));
  if (scheme != "mailto" && scheme != "https") return false;
  return std::all_of(uri.begin(), uri.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != ',' && c != ';';
  });
}

/// rua = "rua=" uri *(*WSP "," *WSP uri): "" and the URIs, or what is wrong.
std::string parse_rua(std::string_view value, std::vector<std::string>& out) {
  for (std::size_t at = 0;;) {
    const auto comma = value.find(',', at);
    const auto uri =
        trim_wsp(value.substr(at, comma == std::string_view::npos ? comma : comma - at));
    if (!is_report_uri(uri)) {
      return "rua URI \"" + std::string(uri) + "\" is not a mailto: or https: URI";
    }
    out.emplace_back(uri);
    if (comma == std::string_view::npos) return {};
    at = comma + 1;
  }
}

}  // namespace

std::string_view to_string(RecordFailure failure) noexcept {
  static constexpr std::pair<RecordFailure, const char*> kNames[] = {
      {RecordFailure::no_record, "no_record"},
      {RecordFailure::multiple_records, "multiple_records"},
      {RecordFailure::record_invalid, "record_invalid"},
      {RecordFailure::lookup_failed, "lookup_failed"},
  };
  return text::name_in(kNames, failure);
}

StsRecordParse parse_sts_records(const std::vector<std::string>& txt_records) {
  StsRecordParse out;
  std::string_view record;
  if ((out.failure = select_record(txt_records, "v=STSv1", record))) return out;
  std::vector<Field> fields;
  std::string problem = split_fields(record, "v=STSv1", fields);
  std::optional<std::string_view> id;
  for (const auto& field : fields) {
    if (!problem.empty()) break;
    if (field.name == "id") {
      const bool ok = !field.value.empty() && field.value.size() <= 32 &&
                      std::all_of(field.value.begin(), field.value.end(), is_alnum);
      if (!ok) problem = "id must be 1 to 32 letters and digits";
      if (!id) id = field.value;  // a repeated field keeps its first value
      continue;
    }
    problem = check_extension(field);
  }
  if (problem.empty() && !id) problem = "no id field";
  if (!problem.empty()) {
    out.failure = RecordFailure::record_invalid;
    out.detail = std::move(problem);
    return out;
  }
  out.record = StsRecord{std::string(*id)};
  return out;
}

TlsRptRecordParse parse_tlsrpt_records(const std::vector<std::string>& txt_records) {
  TlsRptRecordParse out;
  std::string_view record;
  if ((out.failure = select_record(txt_records, "v=TLSRPTv1", record))) return out;
  std::vector<Field> fields;
  std::string problem = split_fields(record, "v=TLSRPTv1", fields);
  TlsRptRecord parsed;
  bool have_rua = false;
  for (const auto& field : fields) {
    if (!problem.empty()) break;
    if (field.name == "rua") {
      if (!have_rua) problem = parse_rua(field.value, parsed.rua);
      have_rua = true;
      continue;
    }
    problem = check_extension(field);
  }
  if (problem.empty() && !have_rua) problem = "no rua field";
  if (!problem.empty()) {
    out.failure = RecordFailure::record_invalid;
    out.detail = std::move(problem);
    return out;
  }
  out.record = std::move(parsed);
  return out;
}

}  // namespace starttls_exporter::mta_sts
