// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "snapshot/snapshot.hpp"

namespace nsrun::cli {

enum class Scan { Mounts, WithUnmountedFiles };

// The one snapshot tree, leaks, check and list look at: every process,
// every namespace's whole table, process details; with WithUnmountedFiles
// also the files that keep an unmounted filesystem alive (leaks).
[[nodiscard]] snapshot::Snapshot scan_host(Scan scan);

} // namespace nsrun::cli
