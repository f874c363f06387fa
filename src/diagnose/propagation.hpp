// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "snapshot/snapshot.hpp"

#include <cstdint>
#include <map>

// How mount events travel between namespaces, computed from a snapshot.
namespace nsrun::diagnose {

// group -> the group it is a slave of, from every mount in the snapshot.
using MasterMap = std::map<std::uint64_t, std::uint64_t>;
[[nodiscard]] MasterMap master_of_groups(const snapshot::Snapshot& snapshot);

// Whether a mount with propagation p receives mount events from peer group
// `from`: it is in that group, or a slave of it, directly or through a chain.
[[nodiscard]] bool receives_from(const mountinfo::Propagation& p, std::uint64_t from,
                                 const MasterMap& masters);

[[nodiscard]] const mountinfo::MountEntry* find_mount(const snapshot::Namespace& ns,
                                                      std::uint64_t id);
// The top mount at exactly this path: the one there that no other mount at
// the same path is stacked on (its parent). The one rule, for a namespace's
// table and for the caller's own.
[[nodiscard]] const mountinfo::MountEntry*
top_mount_at(const std::vector<mountinfo::MountEntry>& mounts, const std::string& path);
[[nodiscard]] const mountinfo::MountEntry* top_mount_at(const snapshot::Namespace& ns,
                                                        const std::string& path);
// The namespace's root mount: the one whose parent is not in the table.
[[nodiscard]] const mountinfo::MountEntry* root_mount(const snapshot::Namespace& ns);

enum class HostRelation {
  Host,    // it is the host's namespace
  Shared,  // some mount shares a peer group with the host: events go both ways
  Slave,   // its root receives the host's events, nothing goes back
  Private, // nothing propagates either way
  Unknown, // its mounts could not be read
};

[[nodiscard]] HostRelation host_relation(const snapshot::Snapshot& snapshot,
                                         const snapshot::Namespace& ns, const MasterMap& masters);

} // namespace nsrun::diagnose
