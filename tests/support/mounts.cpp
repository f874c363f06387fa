// SPDX-License-Identifier: Apache-2.0
#include "support/mounts.hpp"

#include "mountinfo/line_parser.hpp"
#include "support/process.hpp"

#include <sstream>
#include <stdexcept>

namespace nsrun::test {

std::vector<mountinfo::MountEntry> mounts_of(const std::string& pid)
{
  const auto text = read_file("/proc/" + pid + "/mountinfo");
  if (!text) {
    throw std::runtime_error("cannot read /proc/" + pid + "/mountinfo");
  }
  std::vector<mountinfo::MountEntry> entries;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (auto entry = mountinfo::parse_line(line)) {
      entries.push_back(std::move(*entry));
    }
  }
  return entries;
}

bool mounted_at(const std::string& path, const std::string& pid)
{
  for (const auto& entry : mounts_of(pid)) {
    if (entry.target == path) {
      return true;
    }
  }
  return false;
}

} // namespace nsrun::test
