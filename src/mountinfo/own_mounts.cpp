// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/own_mounts.hpp"

#include "mountinfo/line_parser.hpp"
#include "mountinfo/statmount.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

#include <fcntl.h>

#include <cerrno>
#include <string_view>

namespace nsrun::mountinfo {

std::vector<MountEntry> read_own_mounts_from_mountinfo()
{
  const sys::Fd fd(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd || !sys::read_all(fd.get(), text)) {
    throw sys::SystemError(errno, "cannot read /proc/self/mountinfo");
  }
  std::vector<MountEntry> mounts;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    if (auto entry = parse_line(std::string_view(text).substr(start, end - start))) {
      mounts.push_back(std::move(*entry));
    }
    start = end + 1;
  }
  return mounts;
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
