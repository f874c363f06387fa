// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace nsrun::launcher {

// The diagnostic subcommands (and release, list) live in a separate
// executable, nsrun-inspect, so that launching never loads libmount and its
// dependencies (see the Performance section of README.md). Execs it with the
// same arguments; returns only on failure, with the exit status.
int exec_inspect(char** argv);

} // namespace nsrun::launcher
