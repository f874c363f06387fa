// SPDX-License-Identifier: Apache-2.0
#include "diagnose/tree.hpp"

#include "diagnose/holders.hpp"
#include "diagnose/leaks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace nsrun::diagnose {
namespace {

using snapshot::NsId;
using snapshot::Snapshot;

} // namespace

std::string relation_word(HostRelation relation)
{
  switch (relation) {
  case HostRelation::Host:
    return "host";
  case HostRelation::Shared:
    return "shared";
  case HostRelation::Slave:
    return "slave";
  case HostRelation::Private:
    return "private";
  case HostRelation::Unknown:
    return "unknown";
  }
  return "unknown";
}

Tree build_tree(const Snapshot& snapshot, const std::string& ns_dir)
{
  const LeakCheck leaks(snapshot);
  const auto& masters = leaks.masters();
  Tree tree;
  tree.root = snapshot.host_ns;
  for (const auto& [id, ns] : snapshot.namespaces) {
    TreeNode node;
    node.ns = id;
    node.name = nsrun_name(snapshot, ns, ns_dir);
    node.creator = snapshot.creator_of(ns);
    node.members = ns.member_count();
    node.threads = ns.threads.size();
    node.mounts = ns.mounts.size() + ns.mounts_left_out;
    node.nsfs_pins = ns.nsfs_pins.size();
    node.fd_pins = ns.fd_pins.size();
    node.relation = host_relation(snapshot, ns, masters);
    node.is_host = id == snapshot.host_ns;
    node.is_caller = id == snapshot.caller_ns;
    for (const auto& m : ns.mounts) {
      if (leaks.is_leaked(ns, m)) {
        ++node.leaked;
        if (std::find(node.leaked_sources.begin(), node.leaked_sources.end(), m.source) ==
            node.leaked_sources.end()) {
          node.leaked_sources.push_back(m.source);
        }
      }
    }
    if (!node.is_host && node.creator) {
      const auto* creator = snapshot.process(*node.creator);
      const auto* parent = creator != nullptr ? snapshot.process(creator->ppid) : nullptr;
      if (parent != nullptr && parent->mnt_ns != id) {
        node.parent = parent->mnt_ns;
      }
    }
    tree.nodes.emplace(id, std::move(node));
  }
  // A parent chain that loops (reparented processes can do that) or leads
  // to a namespace we do not know is cut: such nodes are shown apart.
  for (auto& [id, node] : tree.nodes) {
    std::set<NsId> seen{id};
    for (auto up = node.parent; up; up = tree.nodes.at(*up).parent) {
      if (tree.nodes.count(*up) == 0 || !seen.insert(*up).second) {
        node.parent.reset();
        break;
      }
      if (*up == tree.root) {
        break;
      }
    }
  }
  auto creator_start = [&](NsId id) {
    const auto& node = tree.nodes.at(id);
    const auto* p = node.creator ? snapshot.process(*node.creator) : nullptr;
    return std::make_pair(p != nullptr ? p->start_time : ~std::uint64_t{0}, id);
  };
  for (auto& [id, node] : tree.nodes) {
    if (node.is_host) {
      continue;
    }
    if (node.parent) {
      tree.nodes.at(*node.parent).children.push_back(id);
    } else {
      tree.orphans.push_back(id);
    }
  }
  for (auto& [id, node] : tree.nodes) {
    std::sort(node.children.begin(), node.children.end(),
              [&](NsId a, NsId b) { return creator_start(a) < creator_start(b); });
  }
  std::sort(tree.orphans.begin(), tree.orphans.end(),
            [&](NsId a, NsId b) { return creator_start(a) < creator_start(b); });
  return tree;
}

std::string sibling_key(const Snapshot& snapshot, const TreeNode& node)
{
  const auto* creator = node.creator ? snapshot.process(*node.creator) : nullptr;
  return fmt::format("{}|{}|{}|{}|{}|{}", creator != nullptr ? creator->comm : "",
                     relation_word(node.relation), node.name.value_or(""), node.members > 0,
                     node.nsfs_pins > 0, node.fd_pins > 0);
}

} // namespace nsrun::diagnose
