// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"

#include <string>
#include <vector>

namespace nsrun::test {

// The mount table of /proc/PID/mountinfo, parsed by nsrun's own line parser.
std::vector<mountinfo::MountEntry> mounts_of(const std::string& pid = "self");

// Whether some mount in PID's namespace sits exactly at path.
bool mounted_at(const std::string& path, const std::string& pid = "self");

// Kernel features some tests are about (a test that compares a path with
// its fallback skips, with the reason, where the kernel lacks the path).
bool kernel_has_listmount(); // Linux 6.8+
// NS_GET_MNTNS_ID, and listmount(2) of a namespace by that id
bool kernel_has_mntns_ids();
constexpr const char* kNeedsListmount =
    "this kernel has no listmount(2)/statmount(2) (Linux 6.8+): only the /proc path runs, "
    "which the other tests cover";

} // namespace nsrun::test
