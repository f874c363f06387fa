// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace nsrun::cli {

// Entry point of the nsrun executable. Returns the exit status when it does
// not exec.
int launcher_main(int argc, char** argv);

} // namespace nsrun::cli
