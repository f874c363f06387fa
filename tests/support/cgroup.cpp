// SPDX-License-Identifier: Apache-2.0
#include "support/cgroup.hpp"

#include "support/process.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace nsrun::test {

std::string cgroup2_root()
{
  for (const char* candidate : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (::access((std::string(candidate) + "/cgroup.procs").c_str(), F_OK) == 0 &&
        ::access((std::string(candidate) + "/cgroup.controllers").c_str(), F_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

void remove_cgroup_tree(const std::string& root)
{
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto listing = run({"find", root, "-depth", "-type", "d"});
    bool removed_all = true;
    std::size_t start = 0;
    while (start < listing.out.size()) {
      const auto end = listing.out.find('\n', start);
      const auto dir = listing.out.substr(start, end - start);
      if (!dir.empty() && ::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
        removed_all = false;
      }
      start = end == std::string::npos ? listing.out.size() : end + 1;
    }
    if (removed_all) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace nsrun::test
