// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace nsrun::cli {

// The diagnostic subcommands live in a separate executable, nsrun-inspect,
// so that launching never loads libmount and its dependencies (see the
// Performance section of README.md).
[[nodiscard]] bool is_inspect_subcommand(std::string_view word);

// Execs nsrun-inspect with the same arguments; returns only on failure.
int exec_inspect(char** argv);

} // namespace nsrun::cli
