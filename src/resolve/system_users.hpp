// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/holders.hpp"
#include "diagnose/target.hpp"

namespace nsrun::resolve {

// What uses TARGET outside of any process's files or mount tables: swap
// (a file on its filesystem, or the device itself), loop devices whose
// backing file is on it, devices stacked on it (dm, md, bcache: sysfs
// holders/), and for a block device the kernel's own verdict: whether an
// exclusive open (O_RDONLY|O_EXCL, as mkfs and device-mapper do) is refused.
[[nodiscard]] diagnose::SystemUsers system_users(const diagnose::Target& target);

} // namespace nsrun::resolve
