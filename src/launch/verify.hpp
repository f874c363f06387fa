// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/kernel.hpp"
#include "launch/propagation_mode.hpp"
#include "mountinfo/mount_entry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace nsrun::launch {

// What the launcher saw after unsharing and changing propagation.
struct IsolationState
{
  NamespaceId before;          // the caller's namespace
  NamespaceId after;           // the namespace we are in now
  mountinfo::Propagation root; // propagation of "/" now
};

// Why the namespace after unshare(2) is not a new one (the caller's, when a
// filter faked success), or nullopt when it is.
[[nodiscard]] std::optional<std::string> namespace_problem(const IsolationState& state);

// Why this state does not isolate the command as asked, or nullopt when it
// does. A slave whose host "/" was not shared has no master: the kernel
// makes it private, and that isolates just as well, so it is accepted.
[[nodiscard]] std::optional<std::string> isolation_problem(const IsolationState& state,
                                                           PropagationMode mode);

// Why a namespace just made is not isolated in full, or nullopt: after the
// recursive change from its real root no mount may be shared (a mount still
// in a peer group would carry mounts to or from the host).
[[nodiscard]] std::optional<std::string>
shared_mount_problem(const std::vector<mountinfo::MountEntry>& mounts);

// "slave of peer group 1", "private", ... for logs and reports.
[[nodiscard]] std::string describe_propagation(const mountinfo::Propagation& p);

} // namespace nsrun::launch
