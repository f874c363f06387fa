// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace nsrun::cli {

// Entry point of nsrun-inspect, the helper that runs nsrun's diagnostic
// subcommands (holders, leaks, tree, check). `nsrun holders ...` execs it.
int inspect_main(int argc, char** argv);

} // namespace nsrun::cli
