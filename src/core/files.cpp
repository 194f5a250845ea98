#include "starttls_exporter/core/files.hpp"

#include <glob.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "starttls_exporter/core/unique_fd.hpp"

namespace starttls_exporter {
namespace {

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

// Opens a regular file for reading; on failure returns -1 and sets `problem`.
int open_regular(const std::string& path, std::optional<std::string>& problem) {
  if (path.find('\0') != std::string::npos) {
    problem = "the path contains a NUL byte";
    return -1;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    problem = errno_text(errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::optional<std::string> read_regular_file(const std::string& path, std::string& out,
                                             std::size_t max_bytes) {
  std::optional<std::string> problem;
  const UniqueFd fd(open_regular(path, problem));
  if (fd.get() < 0) return problem;
  out.clear();
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_text(errno);
    if (n == 0) return std::nullopt;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return "larger than " + std::to_string(max_bytes) + " bytes";
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

std::vector<std::string> matching_files(const std::string& pattern) {
  struct Matches {  // glob(3)'s result, freed whatever happens
    glob_t value{};
    ~Matches() { globfree(&value); }
  } matches;
  std::vector<std::string> files;
  if (glob(pattern.c_str(), 0, nullptr, &matches.value) != 0) return files;
  for (std::size_t i = 0; i < matches.value.gl_pathc; ++i) {
    files.emplace_back(matches.value.gl_pathv[i]);
  }
  return files;
}

}  // namespace starttls_exporter
