// SPDX-License-Identifier: Apache-2.0
#include "named/naming.hpp"

#include "sys/error.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <set>
#include <stdexcept>

namespace nsrun::named {
namespace {

bool allowed(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

} // namespace

std::optional<std::string> name_problem(std::string_view name)
{
  if (name.empty()) {
    return std::string("namespace name is empty");
  }
  if (name.size() > 64) {
    return fmt::format("namespace name is {} characters long; the limit is 64", name.size());
  }
  if (name[0] == '.') {
    return fmt::format("invalid namespace name '{}': must not start with '.'",
                       text::printable(name));
  }
  for (const char c : name) {
    if (!allowed(c)) {
      return fmt::format("invalid namespace name '{}': only A-Z a-z 0-9 _ . - are allowed",
                         text::printable(name));
    }
  }
  return std::nullopt;
}

std::string resolve_ns_dir(std::optional<std::string_view> option, const char* environment_value)
{
  std::string dir;
  const char* origin = "--ns-dir";
  if (option) {
    dir = *option;
  } else if (environment_value != nullptr && *environment_value != '\0') {
    dir = environment_value;
    origin = kNsDirVariable;
  } else {
    return kDefaultNsDir;
  }
  if (dir.empty() || dir[0] != '/') {
    throw sys::UsageError(
        fmt::format("{} must be an absolute path, not '{}'", origin, text::printable(dir)));
  }
  while (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  return dir;
}

std::optional<std::string> join_problem(std::string_view name,
                                        const mountinfo::Propagation& ns_root,
                                        const mountinfo::Propagation& caller_root, Expect wanted)
{
  const bool is_slave = ns_root.slave();
  if (wanted == Expect::Private && is_slave) {
    return fmt::format("namespace '{}' was created slave (its / is a slave of peer group {}), "
                       "but private was asked for",
                       name, ns_root.master);
  }
  if (wanted == Expect::Slave && !is_slave && caller_root.shared()) {
    return fmt::format("namespace '{}' was created private (its / has no master although the "
                       "host's / is shared), but slave was asked for",
                       name);
  }
  return std::nullopt;
}

std::optional<std::string>
shared_with_caller_problem(std::string_view name, const std::vector<mountinfo::MountEntry>& ns,
                           const std::vector<mountinfo::MountEntry>& caller)
{
  std::set<std::uint64_t> caller_groups;
  for (const auto& m : caller) {
    if (m.propagation.shared()) {
      caller_groups.insert(m.propagation.peer_group);
    }
  }
  for (const auto& m : ns) {
    if (m.propagation.shared() && caller_groups.count(m.propagation.peer_group) != 0) {
      return fmt::format("namespace '{}' is not isolated: its mount at {} is shared with the "
                         "host (peer group {}), so mounts made below it would reach the host",
                         name, text::printable(m.target), m.propagation.peer_group);
    }
  }
  return std::nullopt;
}

} // namespace nsrun::named
