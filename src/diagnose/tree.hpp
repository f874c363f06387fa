// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/propagation.hpp"
#include "snapshot/snapshot.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nsrun::diagnose {

struct TreeNode
{
  snapshot::NsId ns = 0;
  // The namespace of the parent of its earliest member; nullopt when that
  // cannot be known (no member: pinned by a file or an fd only; or the
  // parent is out of sight). The host has none.
  std::optional<snapshot::NsId> parent;
  std::optional<std::string> name; // nsrun named namespace
  std::optional<pid_t> creator;    // earliest member
  std::size_t members = 0;
  std::size_t threads = 0;
  std::size_t mounts = 0;
  std::size_t leaked = 0;                  // mounts whose storage the host no longer has mounted
  std::vector<std::string> leaked_sources; // their devices or shares, once each
  std::size_t nsfs_pins = 0;
  std::size_t fd_pins = 0;
  HostRelation relation = HostRelation::Unknown;
  bool is_host = false;
  bool is_caller = false;
  std::vector<snapshot::NsId> children; // oldest creator first
};

struct Tree
{
  snapshot::NsId root = 0; // the host's namespace
  std::map<snapshot::NsId, TreeNode> nodes;
  std::vector<snapshot::NsId> orphans; // parent unknown: shown apart
};

// Builds the inheritance tree of every namespace in the snapshot (process
// details must have been read for start times and parents).
[[nodiscard]] Tree build_tree(const snapshot::Snapshot& snapshot, const std::string& ns_dir);

// What groups identical siblings when a tree is collapsed: the creator's
// command, the relation to the host, and how the namespace is kept alive.
[[nodiscard]] std::string sibling_key(const snapshot::Snapshot& snapshot, const TreeNode& node);

[[nodiscard]] std::string relation_word(HostRelation relation);

} // namespace nsrun::diagnose
