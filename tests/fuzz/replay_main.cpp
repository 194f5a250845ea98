// Replays a fuzz corpus without libFuzzer: calls LLVMFuzzerTestOneInput once per file.
// Usage: fuzz_replay_<name> DIR_OR_FILE...  Files of a directory run in name order (not
// recursive). Exit status: 0 when at least one input ran and none crashed; 1 when nothing
// ran (an empty or missing corpus is a test failure, not a silent pass). A crash aborts.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (std::filesystem::is_regular_file(arg, error)) return {arg};
  for (const auto& entry : std::filesystem::directory_iterator(arg, error)) {
    if (entry.is_regular_file(error)) files.push_back(entry.path());
  }
  if (error) std::fprintf(stderr, "%s: %s\n", arg.c_str(), error.message().c_str());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& file : inputs_of(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
      // A copy in its own allocation, so AddressSanitizer sees reads past the end.
      const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
      LLVMFuzzerTestOneInput(data.data(), data.size());
      ++ran;
    }
  }
  std::printf("ran %zu inputs\n", ran);
  if (ran == 0) {
    std::fprintf(stderr, "no inputs: give a non-empty corpus directory\n");
    return 1;
  }
  return 0;
}
