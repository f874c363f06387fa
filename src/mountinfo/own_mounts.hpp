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

// Every mount of a mountinfo file at `path`, relative to the directory fd
// `dir` (AT_FDCWD for an absolute path; a /proc/self opened before setns(2)
// for a namespace that has no /proc of its own). Throws sys::SystemError
// when it cannot be read, or when a line does not parse (EBADMSG): a line
// skipped would hide a mount.
[[nodiscard]] std::vector<MountEntry> read_mountinfo_at(int dir, const char* path);

} // namespace nsrun::mountinfo
