// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_main.hpp"

#include "cli/exit_codes.hpp"
#include "cli/holders_command.hpp"
#include "cli/inspect_commands.hpp"
#include "cli/named_commands.hpp"
#include "launch/privileges.hpp"
#include "log/log.hpp"
#include "named/naming.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#ifndef NSRUN_VERSION
#  define NSRUN_VERSION "unknown"
#endif

namespace nsrun::cli {
namespace {

// Results are useless if they did not arrive: a full disk or a closed pipe
// makes the subcommand fail (2), whatever it found.
int finish(int status)
{
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    log::error("cannot write the output: {}", std::strerror(errno != 0 ? errno : EIO));
    return kExitTrouble;
  }
  return status;
}

} // namespace

int inspect_main(int argc, char** argv)
{
  // Like the launcher: a privileged copy in the hands of any user would
  // read (and, with holders --detach, unmount in) every namespace.
  if (auto problem = launch::privilege_problem(launch::current_process_ids())) {
    log::error("{}", *problem);
    return kExitTrouble;
  }
  CLI::App app("Inspect mount namespaces: who holds a mount, what leaked, what is isolated.",
               "nsrun");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("-V,--version", "nsrun " NSRUN_VERSION);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "log more to stderr (repeatable)");
  app.add_flag("-q,--quiet", quiet, "log only errors");

  HoldersOptions holders;
  add_holders_command(app, holders);
  LeaksOptions leaks;
  add_leaks_command(app, leaks);
  TreeOptions tree;
  add_tree_command(app, tree);
  CheckOptions check;
  add_check_command(app, check);
  ReleaseOptions release;
  add_release_command(app, release);
  ListOptions list;
  add_list_command(app, list);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app.help());
    return finish(kExitYes);
  } catch (const CLI::CallForAllHelp&) {
    fmt::print("{}", app.help("", CLI::AppFormatMode::All));
    return finish(kExitYes);
  } catch (const CLI::CallForVersion& e) {
    fmt::print("{}\n", e.what());
    return finish(kExitYes);
  } catch (const CLI::ParseError& e) {
    log::error("{} (see 'nsrun --help')", e.what());
    return kExitTrouble;
  }
  log::set_verbosity(quiet ? -1 : verbose);

  std::string ns_dir;
  try {
    ns_dir = named::resolve_ns_dir(std::nullopt, std::getenv(named::kNsDirVariable));
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return kExitTrouble;
  }
  try {
    if (app.got_subcommand("holders")) {
      return finish(run_holders(holders, ns_dir));
    }
    if (app.got_subcommand("leaks")) {
      return finish(run_leaks(leaks));
    }
    if (app.got_subcommand("tree")) {
      return finish(run_tree(tree, ns_dir));
    }
    if (app.got_subcommand("check")) {
      return finish(run_check(check, ns_dir));
    }
    if (app.got_subcommand("release")) {
      return finish(run_release(release, ns_dir));
    }
    if (app.got_subcommand("list")) {
      return finish(run_list(list, ns_dir));
    }
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return kExitTrouble;
  }
  return kExitTrouble;
}

} // namespace nsrun::cli
