#pragma once
/// \file
/// A scratch directory for tests that write files (configs, CA files, web configs).

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace starttls_exporter::testing {

/// A fresh directory under the system temp dir, removed with its contents at scope end.
struct TempDir {
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "starttls_exporter_test.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Writes `content` to `name` inside the directory; returns the file's full path.
  std::string file(const std::string& name, const std::string& content) const {
    const auto full = (path / name).string();
    std::ofstream(full, std::ios::binary) << content;
    return full;
  }
  std::filesystem::path path;
};

}  // namespace starttls_exporter::testing
