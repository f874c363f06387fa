// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/target.hpp"
#include "sys/error.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>

namespace nsrun::resolve {

// Resolves TARGET on this system: a block device path (symlinks followed),
// MAJ:MIN, LABEL=/UUID=/PARTLABEL=/PARTUUID= (through libmount and libblkid),
// a mount point here (that filesystem; for a bind mount, that view of it),
// a directory that is not mounted here (mounts at that path anywhere), or a
// mount source string. Marks the device of / as whole_system. Throws
// sys::UsageError with a one-line reason for anything else.
[[nodiscard]] diagnose::Target resolve_target(std::string_view input);

// "/dev/loop3" for 7:3, from sysfs; empty when the kernel has no such device.
[[nodiscard]] std::string device_node(dev_t device);

} // namespace nsrun::resolve
