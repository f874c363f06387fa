#pragma once

#include "launch/propagation_mode.hpp"
#include "mountinfo/mount_entry.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace nsrun::named {

inline constexpr const char* kDefaultNsDir = "/run/nsrun";
inline constexpr const char* kNsDirVariable = "NSRUN_NS_DIR";

// Why name cannot name a namespace (1-64 of A-Za-z0-9_.-, no leading dot),
// or nullopt when it can.
[[nodiscard]] std::optional<std::string> name_problem(std::string_view name);

// The directory for namespace files: --ns-dir, else $NSRUN_NS_DIR (when not
// empty), else /run/nsrun. Throws std::invalid_argument unless absolute.
[[nodiscard]] std::string resolve_ns_dir(std::optional<std::string_view> option,
                                         const char* environment_value);

// Checks that a namespace we are about to join is isolated the way it was
// asked for. ns_root is "/" inside it, caller_root is "/" of the caller (the
// host). A slave of the host has a master; a namespace without one was created
// private, unless the host's / is not shared, where both modes look alike.
[[nodiscard]] std::optional<std::string> join_problem(std::string_view name,
                                                      const mountinfo::Propagation& ns_root,
                                                      const mountinfo::Propagation& caller_root,
                                                      launch::PropagationMode requested);

} // namespace nsrun::named
