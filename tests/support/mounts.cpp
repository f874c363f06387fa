// SPDX-License-Identifier: Apache-2.0
#include "support/mounts.hpp"

#include "mountinfo/kernel_api.hpp"
#include "mountinfo/line_parser.hpp"
#include "support/process.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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

bool kernel_has_listmount()
{
  std::uint64_t ids[1];
  return mountinfo::kernel_api::listmount(mountinfo::kernel_api::kListmountRoot, 0, 0, ids, 1) >=
             0 ||
         errno != ENOSYS;
}

bool kernel_has_mntns_ids()
{
  const int fd = ::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  std::uint64_t id = 0;
  const bool has =
      fd >= 0 && ::ioctl(fd, mountinfo::kernel_api::kNsGetMntnsId, &id) == 0 && id != 0;
  if (fd >= 0) {
    ::close(fd);
  }
  std::uint64_t ids[1];
  return has && mountinfo::kernel_api::listmount(mountinfo::kernel_api::kListmountRoot, id, 0, ids,
                                                 1) >= 0;
}

} // namespace nsrun::test
