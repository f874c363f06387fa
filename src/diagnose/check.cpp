// SPDX-License-Identifier: Apache-2.0
#include "diagnose/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <utility>

namespace nsrun::diagnose {
namespace {

using mountinfo::MountEntry;
using snapshot::NsId;

// The daemon's namespace and every namespace created from it (containers of
// a container engine, for instance), which may rightly share its mounts.
std::set<NsId> family_of(const Tree& tree, NsId root)
{
  std::set<NsId> family{root};
  std::vector<NsId> todo{root};
  while (!todo.empty()) {
    const NsId id = todo.back();
    todo.pop_back();
    if (const auto it = tree.nodes.find(id); it != tree.nodes.end()) {
      for (const NsId child : it->second.children) {
        if (family.insert(child).second) {
          todo.push_back(child);
        }
      }
    }
  }
  return family;
}

// A filesystem view: the same superblock (device number) and the same root
// inside it. Copies of one mount share it.
std::pair<std::string, std::string> view_of(const MountEntry& m)
{
  return {fmt::format("{}:{}", m.major, m.minor), m.root};
}

} // namespace

CheckResult check_isolation(const snapshot::Snapshot& snapshot, const Tree& tree, NsId daemon_ns,
                            const std::string& subject)
{
  CheckResult result;
  result.daemon_ns = daemon_ns;
  result.own_namespace = daemon_ns != snapshot.host_ns && daemon_ns != snapshot.caller_ns;
  const auto* ns = snapshot.find(daemon_ns);
  const auto* host = snapshot.find(snapshot.host_ns);
  const auto masters = master_of_groups(snapshot);
  if (ns != nullptr) {
    result.relation = host_relation(snapshot, *ns, masters);
    if (const auto* root = root_mount(*ns)) {
      result.root = root->propagation;
    }
  }
  if (ns != nullptr && result.own_namespace) {
    const auto family = family_of(tree, daemon_ns);
    // One pass over the namespaces outside its family, for only the peer
    // groups and devices its mounts have (metrics asks for every named
    // namespace, on hosts with thousands of namespaces).
    std::set<std::uint64_t> groups;
    std::set<std::pair<unsigned, unsigned>> devices;
    for (const auto& m : ns->mounts) {
      if (m.propagation.shared()) {
        groups.insert(m.propagation.peer_group);
      }
      devices.emplace(m.major, m.minor);
    }
    std::vector<std::pair<NsId, const MountEntry*>> candidates;
    for (const auto& [id, other] : snapshot.namespaces) {
      if (family.count(id) != 0) {
        continue;
      }
      for (const auto& o : other.mounts) {
        if (groups.count(o.propagation.peer_group) != 0 || devices.count({o.major, o.minor}) != 0) {
          candidates.emplace_back(id, &o);
        }
      }
    }
    // The namespaces outside its family that have a mount like m.
    auto seen_outside = [&](const MountEntry& m, auto&& alike) {
      std::vector<NsId> where;
      for (const auto& [id, o] : candidates) {
        if (alike(*o, m) && std::find(where.begin(), where.end(), id) == where.end()) {
          where.push_back(id);
        }
      }
      return where;
    };
    // Its own mounts (views the host does not have): copies elsewhere.
    std::set<std::pair<std::string, std::string>> host_views;
    if (host != nullptr) {
      for (const auto& m : host->mounts) {
        host_views.insert(view_of(m));
      }
    }
    for (const auto& m : ns->mounts) {
      // A peer of a mount outside: whatever is mounted below it goes both
      // ways, whether or not / looks isolated.
      auto peers =
          m.propagation.shared()
              ? seen_outside(m,
                             [](const MountEntry& o, const MountEntry& mine) {
                               return o.propagation.peer_group == mine.propagation.peer_group;
                             })
              : std::vector<NsId>{};
      if (!peers.empty()) {
        result.escaped.push_back({EscapedMount::How::Peer, m, std::move(peers)});
        continue;
      }
      if (host == nullptr || m.fstype == "nsfs" || host_views.count(view_of(m)) != 0) {
        continue;
      }
      auto copies = seen_outside(m, [](const MountEntry& o, const MountEntry& mine) {
        return view_of(o) == view_of(mine);
      });
      if (!copies.empty()) {
        result.escaped.push_back({EscapedMount::How::Copy, m, std::move(copies)});
      }
    }
  }

  if (daemon_ns == snapshot.host_ns) {
    result.advice = fmt::format("{} runs in the host's mount namespace: it was started without "
                                "nsrun; add `nsrun --` in front of it (ExecStart=/usr/bin/nsrun "
                                "-- ...)",
                                subject);
  } else if (daemon_ns == snapshot.caller_ns) {
    result.advice = fmt::format("{} shares your mount namespace; run the check from the host "
                                "namespace",
                                subject);
  } else if (result.relation == HostRelation::Shared) {
    result.advice = fmt::format("{} has its own namespace, but it shares peer groups with the "
                                "host, so its mounts reach the host: restart it under nsrun "
                                "(slave or private)",
                                subject);
  } else if (result.relation == HostRelation::Unknown) {
    result.advice = "its mounts could not be read (not root?)";
  } else if (!result.escaped.empty()) {
    result.advice =
        fmt::format("{} of its mounts {} outside its namespace (peers of mounts "
                    "elsewhere, or copies another namespace holds); `nsrun holders` "
                    "on each shows who holds them",
                    result.escaped.size(), result.escaped.size() == 1 ? "reaches" : "reach");
  }
  return result;
}

} // namespace nsrun::diagnose
