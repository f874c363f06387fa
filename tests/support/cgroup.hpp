// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace nsrun::test {

// Where the machine's cgroup v2 hierarchy is: the unified mount of a hybrid
// setup, or /sys/fs/cgroup itself; empty when there is none.
std::string cgroup2_root();

// Removes a cgroup directory and everything below it, deepest first; the
// processes in it must be gone (they may take a moment to be reaped).
void remove_cgroup_tree(const std::string& root);

} // namespace nsrun::test
