// SPDX-License-Identifier: Apache-2.0
#include "snapshot/mount_query.hpp"

#include <sys/sysmacros.h>

#include <algorithm>

namespace nsrun::snapshot {

bool MountQuery::needs_source_of(std::uint64_t sb_magic) const
{
  constexpr std::uint64_t btrfs = 0x9123683E;
  constexpr std::uint64_t bcachefs = 0xca451a4e;
  return !device_paths.empty() && (sb_magic == btrfs || sb_magic == bcachefs);
}

bool MountQuery::matches(const mountinfo::MountEntry& mount) const
{
  if (device && makedev(mount.major, mount.minor) == *device && (!root || mount.root == *root)) {
    return true;
  }
  if (std::find(device_paths.begin(), device_paths.end(), mount.source) != device_paths.end()) {
    return true;
  }
  if (target && mount.target == *target) {
    return true;
  }
  return source && mount.source == *source;
}

} // namespace nsrun::snapshot
