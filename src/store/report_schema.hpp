#pragma once
/// \file
/// The report database's schema versions (src/store only).

#include "sqlite.hpp"

namespace starttls_exporter::store::sqlite {

/// The schema version this program writes.
int current_schema_version() noexcept;
/// Brings the file to current_schema_version(); returns it. Throws DatabaseError for a newer
/// version than this program knows (a downgrade), naming both.
int migrate(const Connection& connection);

}  // namespace starttls_exporter::store::sqlite
