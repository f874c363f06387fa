// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nsrun::launch {

// The two modes that keep a daemon's mounts out of the host namespace.
// Slave (the default) still receives the host's later mounts and unmounts;
// Private receives nothing and pins host mounts that existed at start.
enum class PropagationMode { Slave, Private };

[[nodiscard]] std::string_view to_string(PropagationMode mode) noexcept;

// Parses "slave" or "private". Throws sys::UsageError with a one-line
// reason for anything else (shared and unchanged get an explanation).
[[nodiscard]] PropagationMode parse_propagation_mode(std::string_view text);

} // namespace nsrun::launch
