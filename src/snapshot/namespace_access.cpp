// SPDX-License-Identifier: Apache-2.0
#include "snapshot/namespace_access.hpp"

#include <string>

namespace nsrun::snapshot {

sys::Fd open_namespace(const Snapshot& snapshot, const Namespace& ns,
                       const procfs::ProcReader& proc)
{
  for (const pid_t pid : ns.members) {
    if (auto fd = proc.open(std::to_string(pid) + "/ns/mnt")) {
      return fd;
    }
  }
  for (const auto& t : ns.threads) {
    if (auto fd = proc.open(std::to_string(t.pid) + "/task/" + std::to_string(t.tid) + "/ns/mnt")) {
      return fd;
    }
  }
  for (const auto& pin : ns.fd_pins) {
    if (auto fd = proc.open(std::to_string(pin.pid) + "/fd/" + std::to_string(pin.fd))) {
      return fd;
    }
  }
  for (const auto& pin : ns.nsfs_pins) {
    const Namespace* holder = snapshot.find(pin.in_ns);
    if (holder == nullptr) {
      continue;
    }
    for (const pid_t pid : holder->members) {
      if (proc.chrooted(pid)) {
        continue;
      }
      if (auto fd = proc.open(std::to_string(pid) + "/root" + pin.target)) {
        return fd;
      }
    }
  }
  return {};
}

} // namespace nsrun::snapshot
