// SPDX-License-Identifier: Apache-2.0
#include "diagnose/propagation.hpp"

#include <algorithm>
#include <set>

namespace nsrun::diagnose {

using mountinfo::MountEntry;
using snapshot::Namespace;
using snapshot::Snapshot;

MasterMap master_of_groups(const Snapshot& snapshot)
{
  MasterMap masters;
  for (const auto& [id, ns] : snapshot.namespaces) {
    for (const auto& m : ns.mounts) {
      if (m.propagation.shared() && m.propagation.slave()) {
        masters[m.propagation.peer_group] = m.propagation.master;
      }
    }
  }
  return masters;
}

bool receives_from(const mountinfo::Propagation& p, std::uint64_t from, const MasterMap& masters)
{
  if (from == 0) {
    return false;
  }
  if (p.peer_group == from) {
    return true;
  }
  std::set<std::uint64_t> seen;
  for (std::uint64_t group = p.master; group != 0 && seen.insert(group).second;) {
    if (group == from) {
      return true;
    }
    const auto it = masters.find(group);
    group = it == masters.end() ? 0 : it->second;
  }
  return false;
}

const MountEntry* find_mount(const Namespace& ns, std::uint64_t id)
{
  for (const auto& m : ns.mounts) {
    if (m.id == id) {
      return &m;
    }
  }
  return nullptr;
}

const MountEntry* top_mount_at(const std::vector<MountEntry>& mounts, const std::string& path)
{
  const MountEntry* top = nullptr;
  for (const auto& m : mounts) {
    if (m.target != path) {
      continue;
    }
    const bool covered = std::any_of(mounts.begin(), mounts.end(), [&](const MountEntry& other) {
      return &other != &m && other.target == path && other.parent_id == m.id;
    });
    if (!covered) {
      top = &m;
    }
  }
  return top;
}

const MountEntry* top_mount_at(const Namespace& ns, const std::string& path)
{
  return top_mount_at(ns.mounts, path);
}

const MountEntry* root_mount(const Namespace& ns)
{
  for (const auto& m : ns.mounts) {
    if (m.parent_id == m.id || find_mount(ns, m.parent_id) == nullptr) {
      return &m;
    }
  }
  return nullptr;
}

HostRelation host_relation(const Snapshot& snapshot, const Namespace& ns, const MasterMap& masters)
{
  if (ns.id == snapshot.host_ns) {
    return HostRelation::Host;
  }
  const Namespace* host = snapshot.find(snapshot.host_ns);
  if (!ns.mounts_known || host == nullptr) {
    return HostRelation::Unknown;
  }
  std::set<std::uint64_t> host_groups;
  for (const auto& m : host->mounts) {
    if (m.propagation.shared()) {
      host_groups.insert(m.propagation.peer_group);
    }
  }
  for (const auto& m : ns.mounts) {
    if (m.propagation.shared() && host_groups.count(m.propagation.peer_group) != 0) {
      return HostRelation::Shared;
    }
  }
  const MountEntry* root = root_mount(ns);
  if (root != nullptr) {
    for (const auto group : host_groups) {
      if (receives_from(root->propagation, group, masters)) {
        return HostRelation::Slave;
      }
    }
  }
  return HostRelation::Private;
}

} // namespace nsrun::diagnose
