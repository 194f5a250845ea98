#pragma once
/// \file
/// RAII for SQLite's handles (src/store only): a connection and a prepared statement, whose
/// errors become store::DatabaseError naming the file.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "starttls_exporter/store/report_database.hpp"

namespace starttls_exporter::store::sqlite {

struct CloseDatabase {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};

/// One open database file.
class Connection {
 public:
  /// Opens (creating) `path`: WAL, synchronous=FULL, foreign keys on, 5 s busy timeout.
  explicit Connection(const std::string& path);
  sqlite3* get() const noexcept { return db_.get(); }
  const std::string& path() const noexcept { return path_; }
  /// Runs `sql` (one or more statements without parameters).
  void execute(const char* sql) const;
  /// Throws DatabaseError "PATH: WHAT: sqlite's message".
  [[noreturn]] void fail(std::string_view what) const;

 private:
  std::string path_;
  std::unique_ptr<sqlite3, CloseDatabase> db_;
};

/// A prepared statement; parameters are bound by position from 1.
class Statement {
 public:
  Statement(const Connection& connection, const char* sql);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  /// Steps once: true while a row is available.
  bool step();
  /// Steps to the end (a statement without rows), then resets for the next use.
  void run();
  void reset() noexcept;
  std::int64_t integer(int column) const noexcept;
  std::string text(int column) const;

 private:
  const Connection& connection_;
  std::unique_ptr<sqlite3_stmt, FinalizeStatement> statement_;
};

/// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(const Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  const Connection& connection_;
  bool done_ = false;
};

}  // namespace starttls_exporter::store::sqlite
