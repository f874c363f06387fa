// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/named_entry.hpp"
#include "snapshot/builder.hpp"
#include "snapshot/snapshot.hpp"

#include <string>
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

// Whether the namespace directory has any live named namespace.
[[nodiscard]] bool has_live_named(const std::string& dir);

// The entries of the namespace directory (none when it does not exist),
// each with what the snapshot knows of its namespace. Takes the lock.
[[nodiscard]] std::vector<diagnose::NamedEntry> named_entries(const std::string& dir,
                                                              const snapshot::Snapshot& snap);

} // namespace nsrun::cli
