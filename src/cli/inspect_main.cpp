// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_main.hpp"

#include "cli/inspect_commands.hpp"
#include "launch/privileges.hpp"
#include "log/log.hpp"
#include "named/naming.hpp"
#include "subcommands/table.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nsrun::cli {

// Defined with each subcommand.
std::string holders_help();
std::string leaks_help();
std::string tree_help();
std::string check_help();
std::string release_help();
std::string list_help();
std::string metrics_help();
std::string watch_help();
void add_holders_command(CLI::App& app, HoldersOptions& options);
void add_leaks_command(CLI::App& app, LeaksOptions& options);
void add_tree_command(CLI::App& app, TreeOptions& options);
void add_check_command(CLI::App& app, CheckOptions& options);
void add_release_command(CLI::App& app, ReleaseOptions& options);
void add_list_command(CLI::App& app, ListOptions& options);
void add_metrics_command(CLI::App& app, MetricsOptions& options);
void add_watch_command(CLI::App& app, WatchOptions& options);

namespace {

// Every subcommand's options, so that one parse fills the one given. Which
// subcommands nsrun-inspect runs is the table's (subcommands/table.def); the
// unit tests hold this list to it.
struct AllOptions
{
  HoldersOptions holders;
  LeaksOptions leaks;
  TreeOptions tree;
  CheckOptions check;
  ReleaseOptions release;
  ListOptions list;
  MetricsOptions metrics;
  WatchOptions watch;
};

struct Subcommand
{
  const char* name;
  std::string (*help)();
  void (*add)(CLI::App&, AllOptions&);
  const Common& (*common)(const AllOptions&);
  int (*run)(const AllOptions&, const std::string&);
};

// One subcommand: its options in AllOptions, how to register and run them.
template<auto Member, auto Add, auto Run>
Subcommand entry(const char* name, std::string (*help)())
{
  return {name, help, [](CLI::App& app, AllOptions& o) { Add(app, o.*Member); },
          [](const AllOptions& o) -> const Common& { return (o.*Member).common; },
          [](const AllOptions& o, const std::string& dir) {
            return Run(o.*Member, dir);
          }};
}

const std::vector<Subcommand>& subcommands()
{
  static const std::vector<Subcommand> all = {
      entry<&AllOptions::release, add_release_command, run_release>("release", release_help),
      entry<&AllOptions::list, add_list_command, run_list>("list", list_help),
      entry<&AllOptions::holders, add_holders_command, run_holders>("holders", holders_help),
      entry<&AllOptions::leaks, add_leaks_command, run_leaks>("leaks", leaks_help),
      entry<&AllOptions::tree, add_tree_command, run_tree>("tree", tree_help),
      entry<&AllOptions::check, add_check_command, run_check>("check", check_help),
      entry<&AllOptions::metrics, add_metrics_command, run_metrics>("metrics", metrics_help),
      entry<&AllOptions::watch, add_watch_command, run_watch>("watch", watch_help),
  };
  return all;
}

// The parser, without CLI11's own help: each subcommand has -h/--help of
// its own and prints its hand-written text.
void build(CLI::App& app, AllOptions& options)
{
  app.set_help_flag();
  app.require_subcommand(1);
  for (const auto& sub : subcommands()) {
    sub.add(app, options);
  }
}

// Results are useless if they did not arrive: a full disk or a closed pipe
// makes the subcommand fail (2), whatever it found.
int finish(int status)
{
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    log::error("cannot write the output: {}", std::strerror(errno != 0 ? errno : EIO));
    return kExitTrouble;
  }
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    log::debug("peak RSS {:.1f} MiB", static_cast<double>(usage.ru_maxrss) / 1024);
  }
  return status;
}

const Subcommand* find(std::string_view name)
{
  for (const auto& sub : subcommands()) {
    if (name == sub.name) {
      return &sub;
    }
  }
  return nullptr;
}

} // namespace

std::string help_text(std::string_view subcommand)
{
  const auto* sub = find(subcommand);
  return sub != nullptr ? sub->help() : std::string();
}

std::vector<std::string> subcommand_names()
{
  std::vector<std::string> names;
  for (const auto& sub : subcommands()) {
    names.emplace_back(sub.name);
  }
  return names;
}

std::vector<std::string> accepted_options(std::string_view subcommand)
{
  CLI::App app;
  AllOptions options;
  build(app, options);
  std::vector<std::string> names;
  const auto* sub = app.get_subcommand(std::string(subcommand));
  for (const auto* option : sub->get_options()) {
    for (const auto& s : option->get_snames()) {
      names.push_back("-" + s);
    }
    for (const auto& l : option->get_lnames()) {
      names.push_back("--" + l);
    }
  }
  return names;
}

namespace {

// A scan holds an fd per namespace and per process directory at a time:
// take what the hard limit allows, as systemd does for its own tools. Any
// EMFILE or ENFILE left is counted where it happens ("cannot tell").
void raise_fd_limit()
{
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      log::debug("cannot raise the open file limit: {}", std::strerror(errno));
    }
  }
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
  const std::string_view first = argc > 1 ? argv[1] : "";
  const auto* sub = subcommands::runs_in_inspect(first) ? find(first) : nullptr;
  if (sub == nullptr) {
    log::error("'{}' is not a subcommand of nsrun-inspect (see 'nsrun --help')", first);
    return kExitTrouble;
  }
  CLI::App app("", "nsrun");
  AllOptions options;
  build(app, options);
  // The one place failures become an exit status: every error nsrun-inspect
  // meets is thrown up to here (src/README.md, "Error model"). Whatever
  // failed, the subcommand did not answer: 2.
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (!sub->common(options).help) {
        throw sys::UsageError(usage_message(e));
      }
    }
    const Common& common = sub->common(options);
    if (common.help) {
      fmt::print("{}", sub->help());
      return finish(kExitYes);
    }
    if (common.quiet && common.verbose > 0) {
      throw sys::UsageError("-q and -v cannot be combined");
    }
    log::set_verbosity(common.quiet ? -1 : common.verbose);
    raise_fd_limit();
    const std::string ns_dir =
        named::resolve_ns_dir(std::nullopt, std::getenv(named::kNsDirVariable));
    return finish(sub->run(options, ns_dir));
  } catch (const sys::UsageError& e) {
    log::error("{} (see 'nsrun {} --help')", e.what(), sub->name);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
  return kExitTrouble;
}

} // namespace nsrun::cli
