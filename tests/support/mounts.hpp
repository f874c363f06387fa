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

} // namespace nsrun::test
