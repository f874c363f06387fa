// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/holders.hpp"
#include "snapshot/snapshot.hpp"

#include <string>
#include <vector>

namespace nsrun::remedy {

struct DetachOutcome
{
  snapshot::NsId ns = 0;
  std::string target;
  bool detached = false;
  std::string problem; // why not, when not
  // A mount put on it in the instant between nsrun's last check and the
  // unmount was detached instead (Linux unmounts the top of a stack).
  bool took_another = false;
};

// Enters each namespace of the plan with setns(2), in a child process, and
// lazily unmounts (MNT_DETACH) its matching mounts, innermost first. Each is
// proved again right before: its unique mount id (Linux 6.8+; else the old
// id, superblock, root, parent and mount point together), and nothing
// mounted on or inside it. The unmount goes through an fd on that very
// mount, never through its path. Never signals a process.
[[nodiscard]] std::vector<DetachOutcome> detach(const snapshot::Snapshot& snapshot,
                                                const std::vector<diagnose::DetachStep>& plan,
                                                const std::string& proc_root = "/proc");

} // namespace nsrun::remedy
