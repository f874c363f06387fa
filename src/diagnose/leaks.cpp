// SPDX-License-Identifier: Apache-2.0
#include "diagnose/leaks.hpp"

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
  if (mount.fstype == "nsfs") {
    return false;
  }
  return mount.major != 0 || is_network(mount.fstype) ||
         (mount.source.rfind("/dev/", 0) == 0 && mount.fstype != "devtmpfs");
}

bool is_leaked(const snapshot::Snapshot& snapshot, const snapshot::Namespace& ns,
               const MountEntry& mount, const MasterMap& masters)
{
  if (ns.id == snapshot.host_ns || !is_external(mount)) {
    return false;
  }
  const snapshot::Namespace* host = snapshot.find(snapshot.host_ns);
  if (host == nullptr || !host->mounts_known) {
    return false; // nothing to compare with
  }
  const std::string key = storage_key(mount);
  for (const auto& h : host->mounts) {
    if (storage_key(h) == key) {
      return false; // the host still has it mounted
    }
  }
  return !follows_host_at(snapshot, ns, mount, masters);
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
  const auto masters = master_of_groups(snapshot);
  std::map<std::string, LeakGroup> groups;
  for (const auto& [id, ns] : snapshot.namespaces) {
    for (const auto& m : ns.mounts) {
      if (under && !path_is_under(m.target, *under)) {
        continue;
      }
      if (!is_leaked(snapshot, ns, m, masters)) {
        continue;
      }
      auto& group = groups[storage_key(m)];
      group.key = storage_key(m);
      group.source = m.source;
      group.fstype = m.fstype;
      group.copies.push_back({id, m});
    }
  }
  const snapshot::Namespace* host = snapshot.find(snapshot.host_ns);
  for (const auto& h : snapshot.file_holds) {
    const std::string key = fmt::format("{}:{}", h.major, h.minor);
    const bool host_has_it =
        host != nullptr && std::any_of(host->mounts.begin(), host->mounts.end(),
                                       [&](const MountEntry& m) { return storage_key(m) == key; });
    if (h.major == 0 || host_has_it || (under && !path_is_under(h.path, *under))) {
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
