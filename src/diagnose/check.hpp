// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/propagation.hpp"
#include "diagnose/tree.hpp"
#include "snapshot/snapshot.hpp"

#include <string>
#include <vector>

namespace nsrun::diagnose {

// One of the daemon's mounts that reaches outside the daemon's family (its
// namespace and the ones created from it): a peer of a mount in another
// namespace, whose mount events then travel both ways, or a copy of one of
// its own mounts that another namespace holds.
struct EscapedMount
{
  enum class How { Peer, Copy };
  How how = How::Copy;
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
