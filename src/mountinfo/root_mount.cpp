// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/root_mount.hpp"

#include "mountinfo/kernel_api.hpp"
#include "mountinfo/line_parser.hpp"
#include "mountinfo/statmount.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

namespace nsrun::mountinfo {
namespace {

namespace api = kernel_api;

struct MountIds
{
  std::optional<std::uint64_t> unique; // for statmount
  std::optional<std::uint64_t> old;    // as in mountinfo
};

MountIds mount_ids(const char* path)
{
  struct statx sx = {};
  MountIds ids;
  if (::statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, api::kStatxMntIdUnique, &sx) == 0 &&
      (sx.stx_mask & api::kStatxMntIdUnique) != 0) {
    ids.unique = sx.stx_mnt_id;
  }
  if (::statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, api::kStatxMntId, &sx) == 0 &&
      (sx.stx_mask & api::kStatxMntId) != 0) {
    ids.old = sx.stx_mnt_id;
  }
  return ids;
}

std::optional<Propagation> via_statmount(std::uint64_t unique_id)
{
  // On the stack and without strings: this is on the launch path.
  api::Statmount sm{};
  if (api::statmount(unique_id, 0, api::kStatmountMntBasic | api::kStatmountPropagateFrom, &sm,
                     sizeof sm) != 0) {
    return std::nullopt; // ENOSYS on kernels before 6.8: use mountinfo
  }
  return propagation_from(sm);
}

// Scans /proc/self/mountinfo a page at a time and stops at the wanted id, so
// the kernel only formats the lines before it. Without an id (kernels before
// 5.8) the last entry for "/" wins, which needs the whole table.
Propagation scan_mountinfo(std::optional<std::uint64_t> wanted)
{
  sys::Fd fd(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw sys::SystemError(errno, "cannot read /proc/self/mountinfo");
  }
  std::string pending;
  std::optional<Propagation> last_root;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw sys::SystemError(errno, "cannot read /proc/self/mountinfo");
    }
    if (n == 0) {
      break;
    }
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n', start)) {
      const std::string_view line(pending.data() + start, newline - start);
      start = newline + 1;
      if (wanted) {
        if (line_mount_id(line) != wanted) {
          continue;
        }
        if (auto entry = parse_line(line)) {
          return entry->propagation;
        }
        throw sys::SystemError(EBADMSG, "cannot parse the root mount in /proc/self/mountinfo");
      }
      if (auto entry = parse_line(line); entry && entry->target == "/") {
        last_root = entry->propagation;
      }
    }
    pending.erase(0, start);
  }
  if (last_root) {
    return *last_root;
  }
  throw sys::SystemError(ENOENT, "cannot find the root mount in /proc/self/mountinfo");
}

} // namespace

Propagation read_propagation(const char* path)
{
  const auto ids = mount_ids(path);
  if (ids.unique) {
    if (auto p = via_statmount(*ids.unique)) {
      return *p;
    }
  }
  if (!ids.old && std::string_view(path) != "/") {
    throw sys::SystemError(ENOSYS, std::string("cannot find the mount of ") + path,
                           "the kernel is older than 5.8");
  }
  return scan_mountinfo(ids.old);
}

Propagation read_root_propagation()
{
  return read_propagation("/");
}

Propagation read_root_propagation_from_mountinfo()
{
  return scan_mountinfo(mount_ids("/").old);
}

} // namespace nsrun::mountinfo
