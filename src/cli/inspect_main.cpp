#include "cli/inspect_main.hpp"

#include "cli/exit_codes.hpp"
#include "cli/holders_command.hpp"
#include "cli/inspect_commands.hpp"
#include "log/log.hpp"
#include "named/naming.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#ifndef NSRUN_VERSION
#  define NSRUN_VERSION "unknown"
#endif

namespace nsrun::cli {

int inspect_main(int argc, char** argv)
{
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitYes;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitYes;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return kExitYes;
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
      return run_holders(holders, ns_dir);
    }
    if (app.got_subcommand("leaks")) {
      return run_leaks(leaks);
    }
    if (app.got_subcommand("tree")) {
      return run_tree(tree, ns_dir);
    }
    if (app.got_subcommand("check")) {
      return run_check(check, ns_dir);
    }
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return kExitTrouble;
  }
  return kExitTrouble;
}

} // namespace nsrun::cli
