// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/propagation.hpp"
#include "diagnose/tree.hpp"
#include "snapshot/snapshot.hpp"

#include <string>
#include <vector>

namespace nsrun::diagnose {

// One of the daemon's own mounts that exists in a namespace outside the
// daemon's family (its namespace and the ones created from it).
struct EscapedMount
{
  mountinfo::MountEntry mount;
  std::vector<snapshot::NsId> seen_in;
};

struct CheckResult
{
  snapshot::NsId daemon_ns = 0;
  bool own_namespace = false; // neither the host's nor the caller's
  HostRelation relation = HostRelation::Unknown;
  mountinfo::Propagation root; // its "/"
  std::vector<EscapedMount> escaped;
  std::string advice; // one line when not isolated

  [[nodiscard]] bool isolated() const
  {
    return own_namespace &&
           (relation == HostRelation::Slave || relation == HostRelation::Private) &&
           escaped.empty();
  }
};

// Is the daemon living in namespace `daemon_ns` isolated from the host?
// `subject` names it in the advice ("pid 812 dockerd").
[[nodiscard]] CheckResult check_isolation(const snapshot::Snapshot& snapshot, const Tree& tree,
                                          snapshot::NsId daemon_ns, const std::string& subject);

} // namespace nsrun::diagnose
