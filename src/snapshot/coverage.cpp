// SPDX-License-Identifier: Apache-2.0
#include "snapshot/coverage.hpp"

#include "sys/error.hpp"

#include <algorithm>
#include <string>

namespace nsrun::snapshot {

void Coverage::unread_process(pid_t pid, int error)
{
  auto& pids = unread[sys::errno_name(error)];
  if (std::find(pids.begin(), pids.end(), pid) == pids.end()) {
    pids.push_back(pid);
  }
}

bool Coverage::complete(Needs needs) const
{
  return unseen_count(needs) == 0;
}

std::size_t Coverage::unread_processes() const
{
  std::size_t n = 0;
  for (const auto& [why, pids] : unread) {
    n += pids.size();
  }
  return n;
}

std::size_t Coverage::unseen_count(Needs needs) const
{
  return blind.size() + unread_processes() + tables_unread.size() +
         (needs == Needs::Host && host_unproven ? 1 : 0);
}

std::vector<std::string> Coverage::unseen(Needs needs) const
{
  std::vector<std::string> out = blind;
  if (needs == Needs::Host && host_unproven) {
    out.push_back(*host_unproven);
  }
  for (const auto& [why, pids] : unread) {
    constexpr std::size_t shown = 5;
    std::string list;
    for (std::size_t i = 0; i < std::min(pids.size(), shown); ++i) {
      list += (i == 0 ? "" : ", ") + std::to_string(pids[i]);
    }
    out.push_back(std::to_string(pids.size()) + (pids.size() == 1 ? " process" : " processes") +
                  " not read whole (" + why + "): pid " + list +
                  (pids.size() > shown ? ", ..." : ""));
  }
  if (!tables_unread.empty()) {
    std::string list;
    for (std::size_t i = 0; i < tables_unread.size(); ++i) {
      list += (i == 0 ? "" : ", ") + tables_unread[i];
    }
    out.push_back("the mount table of " + list + " could not be read");
  }
  return out;
}

} // namespace nsrun::snapshot
