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
  // Other filesystems mounted below a matching mount: they keep it busy,
  // and detaching it would detach them too.
  std::vector<mountinfo::MountEntry> below;
  std::vector<pid_t> members;
  std::vector<snapshot::ThreadMember> threads;
  std::vector<snapshot::NsfsPin> nsfs_pins;
  std::vector<snapshot::FdPin> fd_pins;
};

// Holders outside any mount table: the kernel itself, or devices.
struct SwapUse
{
  std::string path;       // as /proc/swaps shows it
  bool on_device = false; // a swap partition on the device itself, not a swap file on it
};
struct LoopUse
{
  std::string device;       // /dev/loop7
  std::string backing_file; // on TARGET's filesystem
};

// Facts about the system around TARGET that the snapshot does not hold,
// gathered by the caller (resolve/system_users) and passed in.
struct SystemUsers
{
  std::vector<SwapUse> swaps;
  std::vector<LoopUse> loops;
  std::vector<std::string> stacked; // dm/md/bcache devices built on it (sysfs holders/)
  // For a block device: whether an exclusive open (O_EXCL) was refused with
  // EBUSY, the kernel's own answer to "is it in use"; nullopt if not tried,
  // or if it failed for another reason, then named here (errno name): the
  // kernel's answer is unknown, and "not held" cannot rest on it.
  std::optional<bool> exclusive_busy;
  std::optional<std::string> exclusive_failed;
};

struct HoldersReport
{
  std::vector<Holding> holdings; // the caller's last, others by namespace id
  // Mounts at the same path that are another filesystem (or another part
  // of it): shown apart, never detached.
  std::vector<std::pair<snapshot::NsId, mountinfo::MountEntry>> same_path_others;
  std::vector<snapshot::FileHold> files; // processes with files on it (fuser -m)
  std::vector<snapshot::DeviceOpen> device_opens;
  SystemUsers system;
  // What the scan could not see (Coverage::unseen): "not held" only when empty.
  std::vector<std::string> unseen;
  bool whole_system = false;
  // A path that is not mounted here, matching different filesystems in
  // different namespaces: which one was meant is not nsrun's guess.
  std::size_t path_filesystems = 0;

  // Something nsrun can name holds it.
  [[nodiscard]] bool held_visibly() const;
  // The kernel says it is busy, but nothing nsrun sees explains it.
  [[nodiscard]] bool busy_unexplained() const;
  // Only "not held" may ever be said when this is true: nothing visible,
  // nobody hidden, and the kernel agrees.
  [[nodiscard]] bool certainly_free() const;
};

// Every namespace with a mount matching target, and every process with a
// file on it. ns_dir names nsrun's named namespaces.
[[nodiscard]] HoldersReport find_holders(const snapshot::Snapshot& snapshot, const Target& target,
                                         const std::string& ns_dir, const SystemUsers& system = {});

// Whether an unmount at mount.target in the caller's namespace would reach
// this copy in namespace `in` (see Reach).
[[nodiscard]] Reach reach_from_caller(const snapshot::Snapshot& snapshot, snapshot::NsId in,
                                      const mountinfo::MountEntry& mount);

// The nsrun name of a namespace: the file name of an nsfs pin directly in
// ns_dir, in the host namespace.
[[nodiscard]] std::optional<std::string> nsrun_name(const snapshot::Snapshot& snapshot,
                                                    const snapshot::Namespace& ns,
                                                    const std::string& ns_dir);

// What --detach would do, and what it will not do and why.
struct DetachStep
{
  snapshot::NsId ns = 0;
  std::vector<mountinfo::MountEntry> mounts; // innermost first
};
struct Skipped
{
  snapshot::NsId ns = 0;
  mountinfo::MountEntry mount;
  std::string why;
};
struct DetachPlan
{
  std::vector<DetachStep> steps;
  std::vector<Skipped> skipped;
  std::optional<std::string> refused; // the whole request, in one line (the root disk)
  // Processes whose files keep the filesystem alive: detaching cannot free it.
  std::vector<snapshot::FileHold> blockers;

  [[nodiscard]] bool empty() const { return steps.empty(); }
  // Detaching everything planned would leave nothing nsrun can see holding it.
  [[nodiscard]] bool would_free(const HoldersReport& report) const;
};
enum class HostNamespace { Refuse, Allow };

// The guard rails: never a namespace's root mount; never a mount that is the
// root or working directory of a process; never a mount with another
// filesystem below it; never a same-path mount of another filesystem; never
// a copy that an unmount in the caller's namespace reaches (umount it here);
// never the host's namespace unless allowed; never the caller's own.
[[nodiscard]] DetachPlan plan_detach(const snapshot::Snapshot& snapshot,
                                     const HoldersReport& report, HostNamespace host);

} // namespace nsrun::diagnose
