// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"
#include "mountinfo/mount_query.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsrun::diagnose {

// What `nsrun holders TARGET` looks for, once TARGET is resolved: any mount
// whose device, mount point or source matches.
struct Target
{
  std::string input;
  std::optional<dev_t> device;
  std::vector<std::string> device_paths; // "/dev/dm-3", "/dev/mapper/x": btrfs shows those
  std::optional<std::string> mount_point;
  std::optional<std::string> source;
  std::string description; // what TARGET resolved to, for the report

  [[nodiscard]] mountinfo::MountQuery query() const;
};

[[nodiscard]] bool matches(const Target& target, const mountinfo::MountEntry& mount);

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
// "server:/export"). Throws std::invalid_argument with a one-line reason for
// an empty TARGET or a malformed MAJ:MIN such as "8:x" or "99999:1".
[[nodiscard]] TargetSyntax classify_target(std::string_view input);

} // namespace nsrun::diagnose
