// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace nsrun::sys {

// Runs body in a forked child (killed if we die) and returns what it wrote
// to the fd it is given, or nullopt when the child failed (body returned
// non-zero, or the fork failed). For the work that must happen in another
// mount namespace: setns(2) would move this process, and a multithreaded
// one cannot join a mount namespace at all. body must end with what it
// returns, never throw; it runs after fork in a copy of this process.
[[nodiscard]] std::optional<std::string> output_of_child(const std::function<int(int out)>& body);

} // namespace nsrun::sys
