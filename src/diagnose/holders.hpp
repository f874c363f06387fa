// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/target.hpp"
#include "snapshot/snapshot.hpp"

#include <optional>
#include <string>
#include <vector>

namespace nsrun::diagnose {

// Whether unmounting in the caller's namespace would also remove a copy.
enum class Reach {
  Yours,          // the copy is in the caller's namespace
  Reaches,        // the caller has a mount there whose unmount propagates to it
  DoesNotReach,   // the caller has a mount there, but the copy does not receive from it
  NotMountedHere, // the caller has nothing mounted there: nothing to unmount
};

struct HeldMount
{
  mountinfo::MountEntry mount;
  Reach reach = Reach::NotMountedHere;
};

// One namespace that holds a matching mount, and what keeps it alive.
struct Holding
{
  snapshot::NsId ns = 0;
  bool is_caller = false;
  bool is_host = false; // PID 1's namespace (or the caller's, when PID 1's is unreadable)
  std::optional<std::string> nsrun_name;
  std::vector<HeldMount> mounts; // innermost first: the order to detach them in
  std::vector<pid_t> members;
  std::vector<snapshot::ThreadMember> threads;
  std::vector<snapshot::NsfsPin> nsfs_pins;
  std::vector<snapshot::FdPin> fd_pins;
};

struct HoldersReport
{
  std::vector<Holding> holdings; // the caller's last, others by namespace id
  std::vector<snapshot::DeviceOpen> device_opens;
  std::vector<pid_t> inaccessible;

  [[nodiscard]] bool held() const { return !holdings.empty() || !device_opens.empty(); }
};

// Every namespace with a mount matching target. ns_dir names nsrun's named
// namespaces: a namespace pinned by a file directly in it gets that name.
[[nodiscard]] HoldersReport find_holders(const snapshot::Snapshot& snapshot, const Target& target,
                                         const std::string& ns_dir);

// Whether an unmount at mount.target in the caller's namespace would reach
// this copy in namespace `in` (see Reach).
[[nodiscard]] Reach reach_from_caller(const snapshot::Snapshot& snapshot, snapshot::NsId in,
                                      const mountinfo::MountEntry& mount);

// The nsrun name of a namespace: the file name of an nsfs pin directly in
// ns_dir, in the host namespace.
[[nodiscard]] std::optional<std::string> nsrun_name(const snapshot::Snapshot& snapshot,
                                                    const snapshot::Namespace& ns,
                                                    const std::string& ns_dir);

// What --detach would do: for each namespace other than the caller's (and the
// host's, unless allowed), its matching mounts, innermost first.
struct DetachStep
{
  snapshot::NsId ns = 0;
  std::vector<mountinfo::MountEntry> mounts;
};
enum class HostNamespace { Refuse, Allow };
[[nodiscard]] std::vector<DetachStep> plan_detach(const HoldersReport& report, HostNamespace host,
                                                  std::vector<snapshot::NsId>& refused);

} // namespace nsrun::diagnose
