// SPDX-License-Identifier: Apache-2.0
#include "launch/verify.hpp"

#include "text/escape.hpp"

#include <fmt/format.h>

namespace nsrun::launch {

std::optional<std::string> namespace_problem(const IsolationState& state)
{
  if (state.after == state.before) {
    return fmt::format("unshare(2) reported success, but the process is still in the caller's "
                       "mount namespace mnt:[{}] (a seccomp filter faking success?); nothing was "
                       "changed",
                       state.before.ino);
  }
  return std::nullopt;
}

std::optional<std::string> isolation_problem(const IsolationState& state, PropagationMode mode)
{
  if (auto problem = namespace_problem(state)) {
    return problem;
  }
  if (state.root.shared()) {
    return fmt::format("/ is still shared (peer group {}): mounts would reach the host",
                       state.root.peer_group);
  }
  if (mode == PropagationMode::Private && state.root.slave()) {
    return fmt::format("/ is a slave of peer group {}, not private", state.root.master);
  }
  return std::nullopt;
}

std::optional<std::string> shared_mount_problem(const std::vector<mountinfo::MountEntry>& mounts)
{
  for (const auto& m : mounts) {
    if (m.propagation.shared()) {
      return fmt::format("{} is still shared (peer group {}): mounts would reach the host",
                         text::printable(m.target), m.propagation.peer_group);
    }
  }
  return std::nullopt;
}

std::string describe_propagation(const mountinfo::Propagation& p)
{
  std::string text;
  if (p.shared()) {
    text = fmt::format("shared (peer group {})", p.peer_group);
    if (p.slave()) {
      text += fmt::format(" and slave of peer group {}", p.master);
    }
  } else if (p.slave()) {
    text = fmt::format("slave of peer group {}", p.master);
  } else {
    text = "private";
  }
  if (p.unbindable) {
    text += ", unbindable";
  }
  return text;
}

} // namespace nsrun::launch
