// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nsrun::snapshot {

// Which mounts a caller wants from a table: those of a device (by number,
// or by source path for filesystems such as btrfs that show another number),
// with a source string, or at a mount point. An empty query matches nothing.
// Readers push it down to the kernel to skip work on everything else.
struct MountQuery
{
  std::optional<dev_t> device;
  std::optional<std::string> root; // with device: only mounts of this root inside it
  std::vector<std::string> device_paths;
  std::optional<std::string> source;
  std::optional<std::string> target;

  [[nodiscard]] bool matches(const mountinfo::MountEntry& mount) const;
  // Whether deciding needs the source string of every mount, or only of
  // mounts of filesystems that show an anonymous device number for a real
  // block device (btrfs, bcachefs), identified by their superblock magic.
  [[nodiscard]] bool needs_source() const { return source.has_value(); }
  [[nodiscard]] bool needs_source_of(std::uint64_t sb_magic) const;
  [[nodiscard]] bool needs_target() const { return target.has_value(); }
  [[nodiscard]] bool needs_root() const { return root.has_value(); }
};

} // namespace nsrun::snapshot
