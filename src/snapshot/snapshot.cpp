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

std::string Snapshot::command_of(pid_t pid) const
{
  const auto* p = process(pid);
  if (p == nullptr || p->gone) {
    return "";
  }
  return p->cmdline.empty() ? p->comm : p->cmdline;
}

std::optional<pid_t> Snapshot::creator_of(const Namespace& ns) const
{
  const Process* first = nullptr;
  for (const pid_t pid : ns.members) {
    const auto* p = process(pid);
    if (p == nullptr || p->gone) {
      continue;
    }
    if (first == nullptr || p->start_time < first->start_time ||
        (p->start_time == first->start_time && p->pid < first->pid)) {
      first = p;
    }
  }
  return first != nullptr ? std::optional(first->pid) : std::nullopt;
}

} // namespace nsrun::snapshot
