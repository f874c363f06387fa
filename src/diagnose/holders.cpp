// SPDX-License-Identifier: Apache-2.0
#include "diagnose/holders.hpp"

#include "diagnose/propagation.hpp"
#include "mountinfo/filesystems.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/sysmacros.h>

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

// Mounts of ns that sit below one of `ids` (through their parents) and are
// not themselves among them.
std::vector<MountEntry> mounts_below(const Namespace& ns, const std::set<std::uint64_t>& ids)
{
  std::map<std::uint64_t, std::uint64_t> parent;
  for (const auto& m : ns.mounts) {
    parent[m.id] = m.parent_id;
  }
  std::vector<MountEntry> below;
  for (const auto& m : ns.mounts) {
    if (ids.count(m.id) != 0) {
      continue;
    }
    std::uint64_t up = m.parent_id;
    for (int hops = 0; hops < 4096 && up != 0; ++hops) {
      if (ids.count(up) != 0) {
        below.push_back(m);
        break;
      }
      const auto it = parent.find(up);
      if (it == parent.end() || it->second == up) {
        break;
      }
      up = it->second;
    }
  }
  return below;
}

bool is_root_of_namespace(const Namespace& ns, const MountEntry& m)
{
  return m.target == "/" || m.parent_id == m.id || find_mount(ns, m.parent_id) == nullptr;
}

bool holds_file(const Target& target, const snapshot::FileHold& h,
                const std::set<std::uint64_t>& matched_ids)
{
  const auto device = target.files_device();
  if (!device || makedev(h.major, h.minor) != *device) {
    return false;
  }
  // A bind mount is one view of a filesystem: only files reached through it.
  return !target.fs_root || matched_ids.count(h.mnt_id) != 0;
}

// A tmpfs (or ramfs) keeps its files in its mounts alone: detaching every
// mount of it frees no device and loses the files. The last one planned
// stays, unless a mount nsrun does not plan to touch is left anyway.
void keep_the_last_memory_mount(const Snapshot& snapshot, const std::string& fstype,
                                DetachPlan& plan)
{
  if (plan.steps.empty() || !mountinfo::keeps_files_in_memory(fstype)) {
    return;
  }
  const auto& sample = plan.steps.front().mounts.front();
  std::size_t everywhere = 0;
  for (const auto& [id, ns] : snapshot.namespaces) {
    everywhere += static_cast<std::size_t>(
        std::count_if(ns.mounts.begin(), ns.mounts.end(), [&](const MountEntry& m) {
          return m.major == sample.major && m.minor == sample.minor;
        }));
  }
  std::size_t planned = 0;
  for (const auto& step : plan.steps) {
    planned += step.mounts.size();
  }
  if (planned < everywhere) {
    return;
  }
  auto& last = plan.steps.back();
  plan.skipped.push_back({last.ns, last.mounts.back(),
                          fmt::format("it is the last mount of this {}: its files live only in "
                                      "its mounts, and detaching it frees no device",
                                      fstype)});
  last.mounts.pop_back();
  if (last.mounts.empty()) {
    plan.steps.pop_back();
  }
}

} // namespace

bool HoldersReport::held_visibly() const
{
  return !holdings.empty() || !files.empty() || !device_opens.empty() || !system.swaps.empty() ||
         !system.loops.empty() || !system.stacked.empty();
}

bool HoldersReport::busy_unexplained() const
{
  return !held_visibly() && system.exclusive_busy.value_or(false);
}

bool HoldersReport::certainly_free() const
{
  return !held_visibly() && unseen.empty() && !system.exclusive_busy.value_or(false);
}

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
                           const std::string& ns_dir, const SystemUsers& system)
{
  HoldersReport report;
  report.unseen = snapshot.coverage.unseen(snapshot::Coverage::Needs::Holders);
  if (system.exclusive_failed) {
    report.unseen.push_back("an exclusive open of the device failed (" + *system.exclusive_failed +
                            "), so the kernel's own answer is unknown");
  }
  report.device_opens = snapshot.device_opens;
  report.system = system;
  report.whole_system = target.whole_system;
  std::set<std::uint64_t> matched_ids;
  for (const auto& [id, ns] : snapshot.namespaces) {
    Holding holding;
    for (const auto& m : ns.mounts) {
      if (matches(target, m)) {
        holding.mounts.push_back({m, reach_from_caller(snapshot, id, m)});
        matched_ids.insert(m.id);
      } else if (same_path_other_filesystem(target, m)) {
        report.same_path_others.emplace_back(id, m);
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
    std::set<std::uint64_t> ids;
    for (const auto& h : holding.mounts) {
      ids.insert(h.mount.id);
    }
    holding.below = mounts_below(ns, ids);
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
  if (target.kind == Target::Kind::Path) {
    std::set<std::pair<unsigned, unsigned>> filesystems;
    for (const auto& h : report.holdings) {
      for (const auto& m : h.mounts) {
        filesystems.insert({m.mount.major, m.mount.minor});
      }
    }
    report.path_filesystems = filesystems.size();
  }
  // Every process uses the root disk: listing them all would say nothing.
  if (!target.whole_system) {
    for (const auto& h : snapshot.file_holds) {
      if (holds_file(target, h, matched_ids)) {
        report.files.push_back(h);
      }
    }
  }
  return report;
}

bool DetachPlan::would_free(const HoldersReport& report) const
{
  if (refused || !skipped.empty() || !blockers.empty() || !report.device_opens.empty() ||
      !report.system.swaps.empty() || !report.system.loops.empty() ||
      !report.system.stacked.empty()) {
    return false;
  }
  std::size_t planned = 0;
  for (const auto& step : steps) {
    planned += step.mounts.size();
  }
  std::size_t held = 0;
  for (const auto& h : report.holdings) {
    held += h.mounts.size();
  }
  return planned == held;
}

DetachPlan plan_detach(const Snapshot& snapshot, const HoldersReport& report, HostNamespace host)
{
  DetachPlan plan;
  if (report.whole_system) {
    plan.refused = "refusing to detach the device that / is on: every namespace's root is on it, "
                   "and nothing could free it";
    return plan;
  }
  if (report.path_filesystems > 1) {
    plan.refused = fmt::format("refusing to detach: the path matches {} different filesystems in "
                               "different namespaces; name the device (or MAJ:MIN) of the one "
                               "to free",
                               report.path_filesystems);
    return plan;
  }
  // One filesystem only: a TARGET such as a source string ("tmpfs") can
  // name many, which are reported apart and never detached together.
  std::set<std::pair<unsigned, unsigned>> superblocks;
  std::string fstype;
  for (const auto& h : report.holdings) {
    for (const auto& held : h.mounts) {
      superblocks.emplace(held.mount.major, held.mount.minor);
      fstype = held.mount.fstype;
    }
  }
  if (superblocks.size() > 1) {
    std::vector<std::string> numbers;
    numbers.reserve(superblocks.size());
    for (const auto& [major, minor] : superblocks) {
      numbers.push_back(fmt::format("{}:{}", major, minor));
    }
    plan.refused = fmt::format("refusing to detach: TARGET names {} different filesystems ({}); "
                               "name the one to free by its MAJ:MIN",
                               superblocks.size(), fmt::join(numbers, ", "));
    return plan;
  }
  if (mountinfo::is_kernel_interface(fstype)) {
    plan.refused = fmt::format("refusing to detach {}: it is a kernel interface that processes "
                               "need, and it keeps no device busy",
                               fstype);
    return plan;
  }
  plan.blockers = report.files;
  for (const auto& h : report.holdings) {
    const Namespace* ns = snapshot.find(h.ns);
    DetachStep step;
    step.ns = h.ns;
    for (const auto& held : h.mounts) {
      const auto& m = held.mount;
      auto skip = [&](std::string why) {
        plan.skipped.push_back({h.ns, m, std::move(why)});
      };
      if (h.is_caller) {
        skip(fmt::format("it is in your namespace: unmount it yourself (umount {})", m.target));
        continue;
      }
      if (h.is_host && host == HostNamespace::Refuse) {
        skip("it is the host's namespace (--include-init lets nsrun act there)");
        continue;
      }
      if (ns != nullptr && is_root_of_namespace(*ns, m)) {
        skip("it is the namespace's root: detaching it would not free anything and would leave "
             "the namespace without its files");
        continue;
      }
      const auto place = std::find_if(report.files.begin(), report.files.end(), [&](const auto& f) {
        return f.mnt_id == m.id &&
               (f.kind == snapshot::HoldKind::Cwd || f.kind == snapshot::HoldKind::Root);
      });
      if (place != report.files.end()) {
        skip(fmt::format("pid {} has its {} in it: detaching would not free it", place->pid,
                         place->kind == snapshot::HoldKind::Cwd ? "working directory" : "root"));
        continue;
      }
      const auto under = std::find_if(h.below.begin(), h.below.end(),
                                      [&](const MountEntry& b) { return b.parent_id == m.id; });
      if (under != h.below.end()) {
        skip(fmt::format("{} ({}) is mounted below it; detaching would detach that too",
                         under->target, under->fstype));
        continue;
      }
      if (held.reach == Reach::Reaches) {
        skip(fmt::format("an unmount in your namespace reaches it: run umount {} here instead",
                         m.target));
        continue;
      }
      step.mounts.push_back(m);
    }
    if (!step.mounts.empty()) {
      plan.steps.push_back(std::move(step));
    }
  }
  keep_the_last_memory_mount(snapshot, fstype, plan);
  return plan;
}

} // namespace nsrun::diagnose
