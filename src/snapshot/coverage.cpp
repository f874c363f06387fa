// SPDX-License-Identifier: Apache-2.0
#include "snapshot/coverage.hpp"

#include "sys/error.hpp"

#include <algorithm>
#include <string>
#include <utility>

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
    std::string line = std::to_string(pids.size());
    line += pids.size() == 1 ? " process" : " processes";
    line += " not read whole (";
    line += why;
    line += "): pid ";
    for (std::size_t i = 0; i < std::min(pids.size(), shown); ++i) {
      line += i == 0 ? "" : ", ";
      line += std::to_string(pids[i]);
    }
    line += pids.size() > shown ? ", ..." : "";
    out.push_back(std::move(line));
  }
  if (!tables_unread.empty()) {
    std::string line = "the mount table of ";
    for (std::size_t i = 0; i < tables_unread.size(); ++i) {
      line += i == 0 ? "" : ", ";
      line += tables_unread[i];
    }
    line += " could not be read";
    out.push_back(std::move(line));
  }
  return out;
}

} // namespace nsrun::snapshot
