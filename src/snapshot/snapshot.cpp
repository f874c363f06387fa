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
  if (!inaccessible.empty() || !file_holds_certain) {
    return false;
  }
  for (const auto& [id, ns] : namespaces) {
    if (!ns.mounts_known) {
      return false;
    }
  }
  return true;
}

const Process* Snapshot::process(pid_t pid) const
{
  const auto it = processes.find(pid);
  return it == processes.end() ? nullptr : &it->second;
}

} // namespace nsrun::snapshot
