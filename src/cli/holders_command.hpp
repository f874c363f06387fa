// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace CLI { // NOLINT(readability-identifier-naming): CLI11 names it
class App;
}

namespace nsrun::cli {

struct HoldersOptions
{
  std::string target;
  bool json = false;
  bool detach = false;
  bool dry_run = false;
  bool include_init = false;
};

void add_holders_command(CLI::App& app, HoldersOptions& options);
int run_holders(const HoldersOptions& options, const std::string& ns_dir);

} // namespace nsrun::cli
