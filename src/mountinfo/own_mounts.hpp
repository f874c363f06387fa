// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"

#include <vector>

namespace nsrun::mountinfo {

// Every mount of the caller's namespace with its ids, device, root, mount
// point and propagation (Fields::Everything: also type, source and options,
// for what is shown to people), through listmount(2) and
// statmount(2) where the kernel has them, else /proc/self/mountinfo. Mount
// points are relative to the caller's root. Throws sys::SystemError when
// neither can be read.
enum class Fields { Place, Everything };
[[nodiscard]] std::vector<MountEntry> read_own_mounts(Fields fields = Fields::Place);

// The same, only through /proc/self/mountinfo (for tests and old kernels).
[[nodiscard]] std::vector<MountEntry> read_own_mounts_from_mountinfo();

} // namespace nsrun::mountinfo
