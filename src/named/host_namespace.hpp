// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace nsrun::named {

enum class InHost { Yes, No, Unknown };

// Whether the caller is in the host's mount namespace (PID 1's). Where
// /proc/1/ns/mnt cannot be read, PID 1's mountinfo still can be on most
// systems, and a mount id belongs to exactly one namespace: the first mount
// PID 1 sees is either in the caller's table or not. Unknown when neither
// can be read.
[[nodiscard]] InHost caller_in_host_namespace();

// Why a named namespace must not be created or joined from here: a file
// persisted in a private copy of the host's namespace is invisible to the
// next daemon, which would create a second namespace (split brain).
[[nodiscard]] std::string nested_caller_problem(const std::string& name);

} // namespace nsrun::named
