// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

namespace CLI { // NOLINT(readability-identifier-naming): CLI11 names it
class App;
}

// The subcommands that look at the whole host: tree, leaks, check. (holders
// has its own file: it also acts.)
namespace nsrun::cli {

struct TreeOptions
{
  bool all = false;
  bool json = false;
  bool dot = false;
};

struct LeaksOptions
{
  std::string under;
  bool json = false;
};

struct CheckOptions
{
  std::optional<int> pid;
  std::string pidfile;
  std::string name;
  std::string ns_dir;
  bool json = false;
};

void add_tree_command(CLI::App& app, TreeOptions& options);
void add_leaks_command(CLI::App& app, LeaksOptions& options);
void add_check_command(CLI::App& app, CheckOptions& options);

int run_tree(const TreeOptions& options, const std::string& ns_dir);
int run_leaks(const LeaksOptions& options);
int run_check(const CheckOptions& options, const std::string& default_ns_dir);

} // namespace nsrun::cli
