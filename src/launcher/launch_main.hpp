// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace nsrun::launcher {

// Entry point of the nsrun executable. Returns the exit status when it does
// not exec.
int launcher_main(int argc, char** argv);

// The launcher's own help texts: "" for nsrun itself, "enter"; empty for
// anything else.
[[nodiscard]] const char* launcher_help(std::string_view subcommand);

} // namespace nsrun::launcher
