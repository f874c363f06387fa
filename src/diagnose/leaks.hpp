// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/propagation.hpp"
#include "snapshot/snapshot.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nsrun::diagnose {

// Whether a mount stands for storage outside the kernel (a block device, or
// a network share) rather than a namespace-local filesystem (tmpfs, proc,
// overlay...). Only those can be "leaked" in the sense of the EBUSY bug.
[[nodiscard]] bool is_external(const mountinfo::MountEntry& mount);

// Decides, for many mounts of one snapshot, whether each is a leak: a mount
// in a namespace other than the host's that keeps storage busy after the
// host let go of it. Its device (or network source) is not mounted in the
// host namespace any more, and either
// - it is a slave whose master peer group no longer exists anywhere (or
//   exists only in leaked mounts): a copy that survived the unmount the
//   host propagated to it (it had a submount, or was busy), or
// - it has no master and the namespace does not follow the host's mount
//   events at that place (a private copy). A daemon run with -p private
//   that mounts its own devices looks the same; in a slave namespace the
//   daemon's own mounts do not.
// What every decision compares with (the host's storage and mount points,
// the peer groups' masters and members) is worked out once, here.
class LeakCheck
{
public:
  explicit LeakCheck(const snapshot::Snapshot& snapshot);

  [[nodiscard]] bool is_leaked(const snapshot::Namespace& ns,
                               const mountinfo::MountEntry& mount) const;
  // Whether the host has this storage ("7:3", a network source) mounted.
  [[nodiscard]] bool host_has(const std::string& storage_key) const;
  [[nodiscard]] const MasterMap& masters() const { return m_masters; }

private:
  [[nodiscard]] bool leaked(const snapshot::Namespace& ns, const mountinfo::MountEntry& mount,
                            int depth) const;

  struct Member
  {
    const snapshot::Namespace* ns;
    const mountinfo::MountEntry* mount;
  };
  const snapshot::Snapshot& m_snapshot;
  std::unordered_map<std::uint64_t, Member> m_group_member; // a mount of each peer group
  const snapshot::Namespace* m_host = nullptr;              // null when its table is unknown
  MasterMap m_masters;
  std::unordered_set<std::string> m_host_storage;
  std::unordered_map<std::string, const mountinfo::MountEntry*> m_host_top; // by path
};

struct LeakedCopy
{
  snapshot::NsId ns = 0;
  mountinfo::MountEntry mount;
};

// Leaked copies of one device or source, across namespaces, and processes
// that keep it alive through a mount no namespace shows any more (a copy
// detached while a file on it was open, a working directory in it...).
struct LeakGroup
{
  std::string key;    // "7:3" or the network source
  std::string source; // as mountinfo shows it; empty when only files hold it
  std::string fstype;
  std::vector<LeakedCopy> copies;
  std::vector<snapshot::FileHold> files;
};

// Every leak, grouped by device; with `under`, only mounts at or below that
// path. Groups and copies come in a stable order. The snapshot's file holds
// (BuildOptions::Files::Unmounted) of devices the host has not mounted are
// leaks too: nothing but a process keeps that filesystem alive.
[[nodiscard]] std::vector<LeakGroup> find_leaks(const snapshot::Snapshot& snapshot,
                                                const std::optional<std::string>& under);

[[nodiscard]] bool path_is_under(const std::string& path, const std::string& dir);

} // namespace nsrun::diagnose
