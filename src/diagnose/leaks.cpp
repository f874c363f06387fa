// SPDX-License-Identifier: Apache-2.0
#include "diagnose/leaks.hpp"

#include "mountinfo/filesystems.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace nsrun::diagnose {
namespace {

using mountinfo::MountEntry;

bool is_network(const std::string& fstype)
{
  static constexpr const char* types[] = {"nfs",       "nfs4",       "cifs", "smb3", "ceph",
                                          "glusterfs", "fuse.sshfs", "9p",   "afs",  "lustre"};
  return std::find(std::begin(types), std::end(types), fstype) != std::end(types);
}

// What identifies the storage: the device number for block devices, the
// source for network shares and btrfs-like filesystems with anonymous numbers.
std::string storage_key(const MountEntry& m)
{
  if (m.major != 0) {
    return fmt::format("{}:{}", m.major, m.minor);
  }
  return m.source;
}

} // namespace

bool is_external(const MountEntry& mount)
{
  if (mount.fstype == "nsfs" || mountinfo::is_virtual_filesystem(mount.fstype)) {
    return false;
  }
  return mount.major != 0 || is_network(mount.fstype) ||
         (mount.source.rfind("/dev/", 0) == 0 && mount.fstype != "devtmpfs");
}

LeakCheck::LeakCheck(const snapshot::Snapshot& snapshot)
    : m_snapshot(snapshot),
      m_masters(master_of_groups(snapshot))
{
  const snapshot::Namespace* host = snapshot.find(snapshot.host_ns);
  if (host == nullptr || !host->mounts_known) {
    return; // nothing to compare with
  }
  m_host = host;
  for (const auto& [id, ns] : snapshot.namespaces) {
    for (const auto& m : ns.mounts) {
      if (m.propagation.shared()) {
        m_group_member.emplace(m.propagation.peer_group, Member{&ns, &m});
      }
    }
  }
  for (const auto& h : host->mounts) {
    m_host_storage.insert(storage_key(h));
    m_host_top[h.target] = &h; // later entries are stacked on earlier ones
  }
}

bool LeakCheck::host_has(const std::string& key) const
{
  return m_host_storage.count(key) != 0;
}

bool LeakCheck::is_leaked(const snapshot::Namespace& ns, const MountEntry& mount) const
{
  return leaked(ns, mount, 0);
}

bool LeakCheck::leaked(const snapshot::Namespace& ns, const MountEntry& mount, int depth) const
{
  if (m_host == nullptr || ns.id == m_snapshot.host_ns || !is_external(mount) ||
      host_has(storage_key(mount))) {
    return false;
  }
  if (mount.propagation.slave()) {
    // A copy of a shared mount is its master's slave, whatever its parent
    // is: it follows that peer group, not the host. It is left behind when
    // the group is gone (the unmount reached it and it survived) or lives
    // on only in leaked mounts. Masters form a tree, so the depth is
    // bounded; a deeper chain than any kernel makes is not taken as proof
    // that someone still owns the mount.
    const auto master = m_group_member.find(mount.propagation.master);
    if (master == m_group_member.end() || depth > 64) {
      return true;
    }
    return leaked(*master->second.ns, *master->second.mount, depth + 1);
  }
  // Does the host's unmount at this place reach it? Only if its parent
  // receives from the host's top mount at the parent's path.
  const MountEntry* parent = find_mount(ns, mount.parent_id);
  if (parent == nullptr) {
    return true;
  }
  const auto host_parent = m_host_top.find(parent->target);
  return host_parent == m_host_top.end() ||
         !receives_from(parent->propagation, host_parent->second->propagation.peer_group,
                        m_masters);
}

bool path_is_under(const std::string& path, const std::string& dir)
{
  if (dir == "/" || path == dir) {
    return true;
  }
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::vector<LeakGroup> find_leaks(const snapshot::Snapshot& snapshot,
                                  const std::optional<std::string>& under)
{
  const LeakCheck check(snapshot);
  std::map<std::string, LeakGroup> groups;
  for (const auto& [id, ns] : snapshot.namespaces) {
    for (const auto& m : ns.mounts) {
      if (under && !path_is_under(m.target, *under)) {
        continue;
      }
      if (!check.is_leaked(ns, m)) {
        continue;
      }
      auto& group = groups[storage_key(m)];
      group.key = storage_key(m);
      group.source = m.source;
      group.fstype = m.fstype;
      group.copies.push_back({id, m});
    }
  }
  for (const auto& h : snapshot.file_holds) {
    const std::string key = fmt::format("{}:{}", h.major, h.minor);
    if (h.major == 0 || check.host_has(key) || (under && !path_is_under(h.path, *under))) {
      continue;
    }
    auto& group = groups[key];
    group.key = key;
    group.files.push_back(h);
  }
  std::vector<LeakGroup> out;
  out.reserve(groups.size());
  for (auto& [key, group] : groups) {
    out.push_back(std::move(group));
  }
  return out;
}

} // namespace nsrun::diagnose
