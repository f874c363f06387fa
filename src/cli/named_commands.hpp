// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cli/output.hpp"

#include <string>

namespace CLI { // NOLINT(readability-identifier-naming): CLI11 names it
class App;
}

// The subcommands that manage named namespaces from nsrun-inspect: release
// and list. (enter is the launcher's: it executes in place.)
namespace nsrun::cli {

struct ReleaseOptions
{
  std::string name;
  std::string ns_dir;
  bool force = false;
};

struct ListOptions
{
  std::string ns_dir;
  TableArgs table;
};

void add_release_command(CLI::App& app, ReleaseOptions& options);
void add_list_command(CLI::App& app, ListOptions& options);

int run_release(const ReleaseOptions& options, const std::string& default_ns_dir);
int run_list(const ListOptions& options, const std::string& default_ns_dir);

} // namespace nsrun::cli
