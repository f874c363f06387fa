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
};

// Enters each namespace of the plan with setns(2), in a child process, and
// lazily unmounts (MNT_DETACH) its matching mounts, innermost first. A mount
// is only unmounted when it is still the top mount at its path, so a mount
// that something else covers now is left alone. Never signals a process.
[[nodiscard]] std::vector<DetachOutcome> detach(const snapshot::Snapshot& snapshot,
                                                const std::vector<diagnose::DetachStep>& plan,
                                                const std::string& proc_root = "/proc");

} // namespace nsrun::remedy
