// SPDX-License-Identifier: Apache-2.0
#include "named/host_namespace.hpp"

#include "mountinfo/line_parser.hpp"
#include "mountinfo/own_mounts.hpp"
#include "sys/fd.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace nsrun::named {
namespace {

// The id of the first mount in /proc/1/mountinfo; nullopt when unreadable.
std::optional<std::uint64_t> first_mount_of_pid1()
{
  const sys::Fd fd(::open("/proc/1/mountinfo", O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return std::nullopt;
  }
  char buffer[512];
  ssize_t n = 0;
  do {
    n = ::read(fd.get(), buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    return std::nullopt;
  }
  return mountinfo::line_mount_id(std::string_view(buffer, static_cast<std::size_t>(n)));
}

} // namespace

InHost caller_in_host_namespace()
{
  struct stat pid1 = {};
  struct stat self = {};
  if (::stat("/proc/1/ns/mnt", &pid1) == 0 && ::stat("/proc/self/ns/mnt", &self) == 0) {
    return pid1.st_ino == self.st_ino && pid1.st_dev == self.st_dev ? InHost::Yes : InHost::No;
  }
  const auto first = first_mount_of_pid1();
  if (!first) {
    return InHost::Unknown;
  }
  for (const auto& m : mountinfo::read_own_mounts()) {
    if (m.id == *first) {
      return InHost::Yes;
    }
  }
  return InHost::No;
}

std::string nested_caller_problem(const std::string& name)
{
  return fmt::format("refusing --name {}: nsrun is not running in the host's mount namespace "
                     "(PID 1's), so the namespace file would only exist in this copy and the "
                     "next daemon would create a second namespace; is it started by a unit "
                     "with MountFlags=, PrivateMounts=, PrivateTmp=, ProtectSystem= or "
                     "ProtectHome=, or under unshare -m? Start nsrun from the host's namespace",
                     name);
}

} // namespace nsrun::named
