// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"

namespace nsrun::mountinfo {

// Propagation of the mount at the caller's "/" in the caller's namespace.
// Costs microseconds: statmount(2) on the root mount where the kernel has it,
// else only the first lines of /proc/self/mountinfo up to the root's entry.
// Throws sys::SystemError when neither works.
[[nodiscard]] Propagation read_root_propagation();

// Same, only through /proc/self/mountinfo; exposed so tests can compare both.
[[nodiscard]] Propagation read_root_propagation_from_mountinfo();

// Propagation of the mount that path is on, the same way.
[[nodiscard]] Propagation read_propagation(const char* path);

} // namespace nsrun::mountinfo
