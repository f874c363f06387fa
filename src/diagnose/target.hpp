// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"
#include "snapshot/mount_query.hpp"
#include "sys/error.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsrun::diagnose {

// What `nsrun holders TARGET` looks for, once TARGET is resolved.
struct Target
{
  enum class Kind {
    Device,     // a block device: every mount of it, and every file on it
    Filesystem, // a mount point here: that filesystem (and, for a bind
                // mount, that view of it: the same root inside it)
    Path,       // a directory not mounted here: mounts at that path anywhere
    Source,     // a mount source string (tmpfs, server:/export)
  };
  Kind kind = Kind::Source;
  std::string input;
  std::optional<dev_t> device;            // Device: the device; Filesystem: its st_dev
  std::vector<std::string> device_paths;  // "/dev/dm-3", "/dev/mapper/x": btrfs shows those
  std::optional<std::string> mount_point; // Filesystem, Path
  std::optional<std::string> fs_root;     // Filesystem of a bind mount: its root inside the fs
  std::optional<std::string> source;      // Source
  // The device of / (the caller's or the host's): every process uses it,
  // nothing can free it, and --detach refuses it.
  bool whole_system = false;
  std::string description; // what TARGET resolved to, for the report

  // What readers push down to the kernel: the mounts of the target, and for
  // a Filesystem the mounts at the same path (reported apart, never touched).
  [[nodiscard]] snapshot::MountQuery query() const;
  // The filesystem device whose files hold it (fuser -m), if any.
  [[nodiscard]] std::optional<dev_t> files_device() const;
  [[nodiscard]] bool is_block_device() const { return kind == Kind::Device; }
};

// Whether a mount is of what TARGET resolved to.
[[nodiscard]] bool matches(const Target& target, const mountinfo::MountEntry& mount);

// For a Filesystem target: a mount at the same path that is another
// filesystem (or another part of it): shown apart, never detached.
[[nodiscard]] bool same_path_other_filesystem(const Target& target,
                                              const mountinfo::MountEntry& mount);

enum class TargetForm { DeviceNumber, Tag, Path, Source };

// The syntax of TARGET, before anything is looked up.
struct TargetSyntax
{
  TargetForm form = TargetForm::Source;
  unsigned major = 0;
  unsigned minor = 0;
  std::string tag;   // LABEL, UUID, PARTLABEL, PARTUUID
  std::string value; // after "TAG="
};

// Classifies TARGET: "MAJ:MIN", "LABEL=..." (and UUID, PARTUUID, PARTLABEL),
// a path (starts with / or .), or else a mount source string ("tmpfs",
// "server:/export"). Throws sys::UsageError with a one-line reason for
// an empty TARGET or a malformed MAJ:MIN such as "8:x" or "99999:1".
[[nodiscard]] TargetSyntax classify_target(std::string_view input);

} // namespace nsrun::diagnose
