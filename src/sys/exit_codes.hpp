// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace nsrun {

// The launcher follows env(1), timeout(1) and util-linux's errexec: its own
// failures must not look like the command's exit status.
inline constexpr int kExitLaunchFailed = 125;  // nsrun failed before exec
inline constexpr int kExitCannotExecute = 126; // found, but exec failed
inline constexpr int kExitNotFound = 127;      // command not found

// Subcommands report like grep: 0 yes, 1 no, 2 trouble.
inline constexpr int kExitYes = 0;
inline constexpr int kExitNo = 1;
inline constexpr int kExitTrouble = 2;

} // namespace nsrun
