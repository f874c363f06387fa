// SPDX-License-Identifier: Apache-2.0
#include "snapshot/snapshot.hpp"

namespace nsrun::snapshot {

const Namespace* Snapshot::find(NsId id) const
{
  const auto it = namespaces.find(id);
  return it == namespaces.end() ? nullptr : &it->second;
}

bool Snapshot::sees_everything() const
{
  return coverage.complete(Coverage::Needs::Host);
}

bool Snapshot::sees_every_holder() const
{
  return coverage.complete(Coverage::Needs::Holders);
}

const Process* Snapshot::process(pid_t pid) const
{
  const auto it = processes.find(pid);
  return it == processes.end() ? nullptr : &it->second;
}

} // namespace nsrun::snapshot
