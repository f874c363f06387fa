// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cli/options.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The subcommands nsrun-inspect runs, one file each: holders, leaks, tree,
// check (diagnostics), release and list (named namespaces). Each has its
// options (a plain struct), its registration with CLI11, its help text and
// its run function, which returns the exit status.
namespace nsrun::cli {

struct HoldersOptions
{
  Common common;
  TableArgs table;
  std::string target;
  bool list = false;
  bool detach = false;
  bool dry_run = false;
  bool include_init = false;
};

struct LeaksOptions
{
  Common common;
  TableArgs table;
  std::string under;
};

struct TreeOptions
{
  Common common;
  bool all = false;
  bool json = false;
  bool dot = false;
  bool notruncate = false;
};

struct CheckOptions
{
  Common common;
  std::optional<int> pid;
  std::string pidfile;
  std::string name;
  bool json = false;
};

struct MetricsOptions
{
  Common common;
  std::string textfile;
  std::string under;
};

struct WatchOptions
{
  Common common;
  std::string under;
  bool json = false;
};

struct ReleaseOptions
{
  Common common;
  std::string name;
  bool force = false;
};

struct ListOptions
{
  Common common;
  TableArgs table;
};

// The help text of a subcommand (also for `nsrun help NAME`); empty for an
// unknown name.
[[nodiscard]] std::string help_text(std::string_view subcommand);

// The option names the parser accepts for a subcommand ("-J", "--json",
// ...), for the test that keeps each help text true.
[[nodiscard]] std::vector<std::string> accepted_options(std::string_view subcommand);

[[nodiscard]] std::vector<std::string> subcommand_names();

int run_holders(const HoldersOptions& options, const std::string& default_ns_dir);
int run_leaks(const LeaksOptions& options, const std::string& default_ns_dir);
int run_tree(const TreeOptions& options, const std::string& default_ns_dir);
int run_check(const CheckOptions& options, const std::string& default_ns_dir);
int run_metrics(const MetricsOptions& options, const std::string& default_ns_dir);
int run_release(const ReleaseOptions& options, const std::string& default_ns_dir);
int run_watch(const WatchOptions& options, const std::string& default_ns_dir);
int run_list(const ListOptions& options, const std::string& default_ns_dir);

} // namespace nsrun::cli
