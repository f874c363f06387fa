// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/propagation.hpp"
#include "mountinfo/mount_entry.hpp"
#include "named/ns_dir.hpp"
#include "snapshot/snapshot.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace nsrun::diagnose {

// One entry of the namespace directory, as `nsrun list`, `metrics` and
// `watch` see it.
struct NamedEntry
{
  std::string name;
  named::EntryKind kind = named::EntryKind::Missing;
  std::string why;                     // InTheWay: what it is
  snapshot::NsId ns = 0;               // Live
  std::optional<std::int64_t> created; // Live: seconds since the epoch
  HostRelation relation = HostRelation::Unknown;
  mountinfo::Propagation root; // its "/"
  // CheckResult::isolated() of check_isolation, the one definition that
  // check, list, metrics and watch share (a slave / with an escaped copy of
  // one of its mounts is not isolated).
  bool isolated = false;
};

} // namespace nsrun::diagnose
