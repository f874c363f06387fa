// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/named_entry.hpp"
#include "named/ns_dir.hpp"
#include "snapshot/builder.hpp"
#include "snapshot/snapshot.hpp"

#include <string>
#include <utility>
#include <vector>

namespace nsrun::cli {

enum class Scan {
  Everything, // every field of every mount (check, watch)
  Relations,  // every mount, strings only where it could be external (tree, list)
  Leaks,      // Relations, and the files that keep an unmounted filesystem alive
  // Leaks with every mount whole: whether a named namespace is isolated
  // (check_isolation) needs every copy of its mounts, a private tmpfs too
  // (metrics, when live named namespaces exist).
  LeaksAndIsolation,
};

// Options every scan starts from: NSRUN_HOST_PIDNS, read here at the edge.
[[nodiscard]] snapshot::BuildOptions scan_options();

// The one snapshot tree, leaks, check, list, metrics and watch look at: every
// process, every namespace's table (the host's and the caller's whole),
// process details.
[[nodiscard]] snapshot::Snapshot scan_host(Scan scan);

// The namespace directory, read once under its lock, before the scan: each
// entry as NsDir::inspect judged it (a live one's fd keeps its namespace
// there for the scan to see). Empty when the directory does not exist.
struct NamedListing
{
  std::string dir;
  std::vector<std::pair<std::string, named::Entry>> entries; // sorted by name

  [[nodiscard]] bool any_live() const;
};
[[nodiscard]] NamedListing list_named(const std::string& dir);

// What each entry is judged on besides its relation to the host: list shows
// no isolation; metrics and watch judge it as check does (check_isolation),
// which needs the tree of every namespace.
enum class Judge { Relation, Isolation };

// The listing's entries, each with what the snapshot knows of its namespace.
[[nodiscard]] std::vector<diagnose::NamedEntry>
named_entries(const NamedListing& listing, const snapshot::Snapshot& snap, Judge judge);

} // namespace nsrun::cli
