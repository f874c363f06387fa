// SPDX-License-Identifier: Apache-2.0
#include "diagnose/holders.hpp"

#include "diagnose/propagation.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace nsrun::diagnose {
namespace {

using mountinfo::MountEntry;
using snapshot::Namespace;
using snapshot::NsId;
using snapshot::Snapshot;

std::size_t depth(const std::string& path)
{
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

} // namespace

Reach reach_from_caller(const Snapshot& snapshot, NsId in, const MountEntry& mount)
{
  if (in == snapshot.caller_ns) {
    return Reach::Yours;
  }
  const Namespace* caller = snapshot.find(snapshot.caller_ns);
  const Namespace* copy_ns = snapshot.find(in);
  if (caller == nullptr || copy_ns == nullptr) {
    return Reach::NotMountedHere;
  }
  const MountEntry* ours = top_mount_at(*caller, mount.target);
  if (ours == nullptr) {
    return Reach::NotMountedHere;
  }
  // An unmount propagates from the parent of the unmounted mount to the
  // mounts at the same place under the parent's peers and slaves.
  const MountEntry* our_parent = find_mount(*caller, ours->parent_id);
  const MountEntry* copy_parent = find_mount(*copy_ns, mount.parent_id);
  if (our_parent == nullptr || copy_parent == nullptr) {
    return Reach::DoesNotReach;
  }
  return receives_from(copy_parent->propagation, our_parent->propagation.peer_group,
                       master_of_groups(snapshot))
             ? Reach::Reaches
             : Reach::DoesNotReach;
}

std::optional<std::string> nsrun_name(const Snapshot& snapshot, const Namespace& ns,
                                      const std::string& ns_dir)
{
  for (const auto& pin : ns.nsfs_pins) {
    const auto slash = pin.target.rfind('/');
    if (pin.in_ns == snapshot.host_ns && slash != std::string::npos &&
        pin.target.substr(0, slash) == ns_dir) {
      return pin.target.substr(slash + 1);
    }
  }
  return std::nullopt;
}

HoldersReport find_holders(const Snapshot& snapshot, const Target& target,
                           const std::string& ns_dir)
{
  HoldersReport report;
  report.inaccessible = snapshot.inaccessible;
  report.device_opens = snapshot.device_opens;
  for (const auto& [id, ns] : snapshot.namespaces) {
    Holding holding;
    for (const auto& m : ns.mounts) {
      if (matches(target, m)) {
        holding.mounts.push_back({m, reach_from_caller(snapshot, id, m)});
      }
    }
    if (holding.mounts.empty()) {
      continue;
    }
    // Deepest paths first; among mounts stacked at one path, the top one.
    std::stable_sort(holding.mounts.begin(), holding.mounts.end(),
                     [](const HeldMount& a, const HeldMount& b) {
                       const auto da = depth(a.mount.target);
                       const auto db = depth(b.mount.target);
                       return da != db ? da > db : a.mount.id > b.mount.id;
                     });
    holding.ns = id;
    holding.is_caller = id == snapshot.caller_ns;
    holding.is_host = id == snapshot.host_ns;
    holding.nsrun_name = nsrun_name(snapshot, ns, ns_dir);
    holding.members = ns.members;
    holding.threads = ns.threads;
    holding.nsfs_pins = ns.nsfs_pins;
    holding.fd_pins = ns.fd_pins;
    report.holdings.push_back(std::move(holding));
  }
  std::stable_partition(report.holdings.begin(), report.holdings.end(),
                        [](const Holding& h) { return !h.is_caller; });
  return report;
}

std::vector<DetachStep> plan_detach(const HoldersReport& report, HostNamespace host,
                                    std::vector<NsId>& refused)
{
  std::vector<DetachStep> plan;
  for (const auto& h : report.holdings) {
    if (h.is_caller) {
      continue; // the caller unmounts its own mounts itself, with umount(8)
    }
    if (h.is_host && host == HostNamespace::Refuse) {
      refused.push_back(h.ns);
      continue;
    }
    DetachStep step;
    step.ns = h.ns;
    for (const auto& m : h.mounts) {
      step.mounts.push_back(m.mount);
    }
    plan.push_back(std::move(step));
  }
  return plan;
}

} // namespace nsrun::diagnose
