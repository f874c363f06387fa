// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/own_mounts.hpp"

#include "mountinfo/line_parser.hpp"
#include "mountinfo/statmount.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

#include <fcntl.h>

#include <cerrno>
#include <string>
#include <string_view>

namespace nsrun::mountinfo {

std::vector<MountEntry> read_mountinfo_at(int dir, const char* path)
{
  const sys::Fd fd(::openat(dir, path, O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd || !sys::read_all(fd.get(), text)) {
    const int err = errno;
    throw sys::SystemError(err, std::string("cannot read ") + path);
  }
  std::vector<MountEntry> mounts;
  std::string_view rest(text);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (auto entry = parse_line(line)) {
      mounts.push_back(std::move(*entry));
    } else if (!line.empty()) {
      // Skipping it would hide a mount: a table with a hole is no table.
      throw sys::SystemError(EBADMSG, std::string("cannot parse a line of ") + path);
    }
  }
  return mounts;
}

std::vector<MountEntry> read_own_mounts_from_mountinfo()
{
  return read_mountinfo_at(AT_FDCWD, "/proc/self/mountinfo");
}

std::vector<MountEntry> read_own_mounts(Fields fields)
{
  const auto mask = fields == Fields::Everything ? statmount_mask::everything()
                                                 : statmount_mask::propagation_and_place();
  const auto ids = list_mount_ids(0);
  if (!ids) {
    return read_own_mounts_from_mountinfo();
  }
  std::vector<MountEntry> mounts;
  mounts.reserve(ids->size());
  StatmountBuffer buffer;
  for (const auto id : *ids) {
    switch (buffer.fill(id, 0, mask)) {
    case StatmountBuffer::Fill::Filled:
      mounts.push_back(buffer.entry());
      break;
    case StatmountBuffer::Fill::Gone:
      break;
    case StatmountBuffer::Fill::Failed:
      // A table with holes would call mounted filesystems unmounted.
      return read_own_mounts_from_mountinfo();
    }
  }
  return mounts;
}

} // namespace nsrun::mountinfo
