// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/propagation_mode.hpp"
#include "mountinfo/mount_entry.hpp"
#include "sys/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsrun::named {

inline constexpr const char* kDefaultNsDir = "/run/nsrun";
inline constexpr const char* kNsDirVariable = "NSRUN_NS_DIR";

// Why name cannot name a namespace (1-64 of A-Za-z0-9_.-, no leading dot),
// or nullopt when it can.
[[nodiscard]] std::optional<std::string> name_problem(std::string_view name);

// The directory for namespace files: --ns-dir, else $NSRUN_NS_DIR (when not
// empty), else /run/nsrun. Throws sys::UsageError unless absolute.
[[nodiscard]] std::string resolve_ns_dir(std::optional<std::string_view> option,
                                         const char* environment_value);

// What joining asks of a namespace: the propagation the caller wants, or
// any isolated one (nsrun enter).
enum class Expect { Slave, Private, Isolated };

// Checks that a namespace we joined has the propagation asked for. ns_root
// is "/" inside it, caller_root is "/" of the caller (the host). A slave of
// the host has a master; a namespace without one was created private, unless
// the host's / is not shared, where both modes look alike.
[[nodiscard]] std::optional<std::string> join_problem(std::string_view name,
                                                      const mountinfo::Propagation& ns_root,
                                                      const mountinfo::Propagation& caller_root,
                                                      Expect wanted);

// The first mount of the namespace that is a peer of a mount of the caller's
// (a shared peer group with members on both sides): whatever the command
// mounts below it would reach the caller's namespace. Peer groups made
// inside the namespace (a daemon re-sharing its own /) are fine.
[[nodiscard]] std::optional<std::string>
shared_with_caller_problem(std::string_view name, const std::vector<mountinfo::MountEntry>& ns,
                           const std::vector<mountinfo::MountEntry>& caller);

} // namespace nsrun::named
