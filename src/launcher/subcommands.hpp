// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace nsrun::launcher {

// The diagnostic subcommands live in a separate executable, nsrun-inspect,
// so that launching never loads libmount and its dependencies (see the
// Performance section of README.md).
[[nodiscard]] bool is_inspect_subcommand(std::string_view word);

// Execs nsrun-inspect with the same arguments; returns only on failure.
int exec_inspect(char** argv);

// Every subcommand's name, the launcher's (enter, help) and nsrun-inspect's.
[[nodiscard]] const std::vector<std::string_view>& all_subcommands();

// The subcommand word is one edit (a letter added, dropped, changed or two
// swapped) away from, if any: "holder" -> "holders".
[[nodiscard]] std::optional<std::string_view> near_subcommand(std::string_view word);

} // namespace nsrun::launcher
