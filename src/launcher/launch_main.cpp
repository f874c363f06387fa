// SPDX-License-Identifier: Apache-2.0
#include "launcher/launch_main.hpp"

#include "launch/kernel.hpp"
#include "launch/launcher.hpp"
#include "launch/privileges.hpp"
#include "launcher/exec_inspect.hpp"
#include "launcher/launch_args.hpp"
#include "log/log.hpp"
#include "named/named_namespace.hpp"
#include "named/naming.hpp"
#include "subcommands/table.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#ifndef NSRUN_VERSION
#  define NSRUN_VERSION "unknown"
#endif

namespace nsrun::launcher {
namespace {

// nsrun --help: its own usage, options and exit status around the
// subcommands' lines, which come from the one table (subcommands/table.def).
constexpr const char* kUsage = "Usage: nsrun [OPTIONS] [--] COMMAND [ARGS...]\n";
constexpr const char* kHelpMiddle = R"(
Run COMMAND (typically a daemon) in its own mount namespace, so that the
mounts it makes never reach the host's namespace and no unrelated process
that unshares later can copy them and keep their devices busy.

nsrun unshares the mount namespace, changes the propagation of / recursively,
checks that it worked, then executes COMMAND in place: same PID, same file
descriptors, same environment. Socket activation (LISTEN_FDS, LISTEN_PID),
sd_notify (NOTIFY_SOCKET) and pidfiles keep working. nsrun stops at the first
argument that is not an option; put -- before a COMMAND that starts with -.

Options:
  -p, --propagation=MODE  propagation of / in the new namespace:
                            slave   (default) the command still sees mounts and
                                    unmounts the host makes later; nothing it
                                    mounts reaches the host
                            private nothing propagates either way; host mounts
                                    that exist at start stay pinned (busy)
                                    inside the command's namespace
                          shared and unchanged are refused: they would not
                          isolate anything
      --name=NAME         run in the named namespace NAME: create it (and keep
                          it after COMMAND exits) or, when it exists, join it,
                          so that cooperating daemons such as dockerd and
                          containerd share one namespace isolated from the
                          host. NAME is 1-64 of A-Za-z0-9_.- not starting
                          with a dot. Joining checks that the namespace is
                          isolated with the propagation asked for.
      --ns-dir=DIR        where named namespaces are kept (default
                          $NSRUN_NS_DIR, else /run/nsrun); only with --name
      --best-effort       where the kernel or a container does not permit a
                          new mount namespace, warn and run COMMAND without
                          one instead of failing
  -v, --verbose           log each step to stderr (repeat for more detail)
  -q, --quiet             log only errors
  -h, --help              show this help and exit
  -V, --version           show the version and exit

nsrun refuses to run setuid, setgid or with file capabilities.

Subcommands (the first argument; after -- it is always a COMMAND):
)";
constexpr const char* kHelpTail = R"(  See 'nsrun SUBCOMMAND --help' for each.

Exit status:
  125  nsrun itself failed (bad usage, namespace not created or not verified);
       COMMAND was not run
  126  COMMAND was found but could not be executed
  127  COMMAND was not found
  otherwise the exit status of COMMAND, which replaces nsrun

Environment:
  NSRUN_NS_DIR            directory for named namespaces (see --ns-dir)
  NSRUN_SCAN_ENGINE       proc or bpf: who reads every process (files,
                          places, mappings) for the diagnostics (default:
                          bpf where /sys/fs/bpf/nsrun keeps it pinned)
  NSRUN_HOST_PIDNS        pid:[INODE] of a PID namespace that holds every
                          process (a harness that plays the host); see nsrun(1)

Examples:
  nsrun -- findmnt -o TARGET,PROPAGATION /
  nsrun --name docker -- containerd
  nsrun --name docker -- dockerd --containerd=/run/containerd/containerd.sock
)";
// The column where each option's and each subcommand's text starts.
constexpr std::size_t kHelpColumn = 26;

const std::string& help()
{
  static const std::string text = std::string(kUsage) + subcommands::usage_lines("       ") +
                                  kHelpMiddle + subcommands::help_lines(kHelpColumn) + kHelpTail;
  return text;
}

constexpr const char* kEnterHelp =
    R"(Usage: nsrun enter [--ns-dir DIR] [-v|-q] NAME [[--] COMMAND [ARGS...]]

Run COMMAND (default: $SHELL, else /bin/sh) inside the existing named mount
namespace NAME, in place like the launcher: same PID, file descriptors and
environment. Never creates a namespace. Before it executes COMMAND, nsrun
checks that the namespace is still isolated: no mount of it is a peer of one
of the caller's.

Options:
      --ns-dir=DIR  where named namespaces are kept (default $NSRUN_NS_DIR,
                    else /run/nsrun)
  -v, --verbose     log each step to stderr (repeat for more detail)
  -q, --quiet       log only errors
  -h, --help        show this help and exit

Exit status:
  125  nsrun could not enter (no such namespace, not isolated, bad usage)
  126  COMMAND was found but could not be executed
  127  COMMAND was not found
  otherwise the exit status of COMMAND

Example:
  nsrun enter docker findmnt -o TARGET,PROPAGATION
)";

int exec_failure_status(int err)
{
  return err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitCannotExecute;
}

// Help and version are results too: a full disk or closed pipe is a failure.
int print(const char* text)
{
  const bool written =
      std::fputs(text, stdout) >= 0 && std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
  if (!written) {
    log::error("cannot write the output: {}", std::strerror(errno != 0 ? errno : EIO));
  }
  return written ? 0 : kExitLaunchFailed;
}

// The directory for --name and enter. NSRUN_NS_DIR only matters there: an
// unnamed launch with a bad value still works (it only uses the directory
// to drop copies of namespace files).
std::string ns_dir_for_launch(const std::optional<std::string_view>& option, bool named)
{
  const char* environment = std::getenv(named::kNsDirVariable);
  if (named) {
    return named::resolve_ns_dir(option, environment);
  }
  try {
    return named::resolve_ns_dir(std::nullopt, environment);
  } catch (const sys::UsageError&) {
    return named::kDefaultNsDir;
  }
}

// Returns only when exec failed (126, 127); a failure before it throws.
int run_in_place(const launch::LaunchPlan& plan)
{
  launch::RealKernel kernel;
  const int err = launch::launch(plan, kernel);
  const std::string_view command = plan.argv[0];
  const auto near = err == ENOENT && command.find('/') == std::string_view::npos
                        ? subcommands::near(command)
                        : std::nullopt;
  if (near) {
    log::error("'{}' is not a command; did you mean '{}'? (see 'nsrun --help')", command, *near);
  } else {
    log::error("cannot execute '{}': {}", command, std::strerror(err));
  }
  return exec_failure_status(err);
}

int enter_main(int argc, char** argv)
{
  const EnterArgs args = parse_enter_args(argc, argv);
  if (args.action == Action::Help) {
    return print(kEnterHelp);
  }
  const std::string dir = named::resolve_ns_dir(args.ns_dir, std::getenv(named::kNsDirVariable));
  log::set_verbosity(args.verbosity);
  static char shell_fallback[] = "/bin/sh";
  const char* shell = std::getenv("SHELL");
  char* default_command[] = {
      shell != nullptr && *shell != '\0' ? const_cast<char*>(shell) : shell_fallback, nullptr};
  launch::LaunchPlan plan;
  const named::Target target{std::string(args.name), dir};
  plan.isolate = [target](launch::Kernel& kernel, bool& left) -> launch::Undo {
    named::join_existing(target, kernel, left);
    return {};
  };
  plan.argv = args.command != nullptr ? args.command : default_command;
  return run_in_place(plan);
}

// nsrun help [SUBCOMMAND]: the same text as SUBCOMMAND --help.
int help_main(int argc, char** argv)
{
  if (argc < 2) {
    return print(help().c_str()) == 0 ? 0 : kExitTrouble;
  }
  if (argc > 2) {
    log::error("help takes one SUBCOMMAND (see 'nsrun --help')");
    return kExitTrouble;
  }
  const std::string_view name = argv[1];
  if (name == "enter") {
    return print(kEnterHelp) == 0 ? 0 : kExitTrouble;
  }
  if (name == "help") {
    return print(help().c_str()) == 0 ? 0 : kExitTrouble;
  }
  if (subcommands::runs_in_inspect(name)) {
    static char help_flag[] = "--help";
    char* inspect_argv[] = {argv[-1], argv[1], help_flag, nullptr};
    return exec_inspect(inspect_argv);
  }
  const auto near = subcommands::near(name);
  log::error("no subcommand '{}'{} (see 'nsrun --help')", name,
             near ? fmt::format("; did you mean '{}'?", *near) : std::string());
  return kExitTrouble;
}

launch::Isolator make_isolator(const LaunchArgs& args, std::string ns_dir)
{
  const auto mode = args.propagation;
  if (args.name) {
    named::Target target{std::string(*args.name), std::move(ns_dir)};
    return [mode, target](launch::Kernel& kernel, bool& left) {
      return named::enter(target, mode, kernel, left);
    };
  }
  return [mode, ns_dir](launch::Kernel& kernel, bool& left) -> launch::Undo {
    launch::isolate(mode, kernel, left);
    named::drop_namespace_files(ns_dir);
    return {};
  };
}

} // namespace

const char* launcher_help(std::string_view subcommand)
{
  if (subcommand.empty()) {
    return help().c_str();
  }
  return subcommand == "enter" ? kEnterHelp : "";
}

namespace {

int dispatch(int argc, char** argv)
{
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "enter") {
    return enter_main(argc - 1, argv + 1);
  }
  if (first == "help") {
    return help_main(argc - 1, argv + 1);
  }
  const ParsedArgs args = parse_launch_args(argc, argv);
  std::string ns_dir = ns_dir_for_launch(args.launch.ns_dir, args.launch.name.has_value());

  switch (args.action) {
  case Action::Help:
    return print(help().c_str());
  case Action::Version:
    return print("nsrun " NSRUN_VERSION "\n");
  case Action::Launch:
    break;
  }

  log::set_verbosity(args.launch.verbosity);
  launch::LaunchPlan plan;
  plan.isolate = make_isolator(args.launch, std::move(ns_dir));
  plan.on_failure = args.launch.best_effort ? launch::OnIsolationFailure::RunUnisolated
                                            : launch::OnIsolationFailure::Fail;
  plan.argv = args.launch.command;
  return run_in_place(plan);
}

} // namespace

int launcher_main(int argc, char** argv)
{
  const std::string_view first = argc > 1 ? argv[1] : "";
  const bool inspecting = subcommands::runs_in_inspect(first);
  if (auto problem = launch::privilege_problem(launch::current_process_ids())) {
    log::error("{}", *problem);
    return inspecting ? kExitTrouble : kExitLaunchFailed;
  }
  if (inspecting) {
    return exec_inspect(argv);
  }
  // The one place failures become an exit status: every error before exec
  // is thrown up to here (src/README.md, "Error model"), and COMMAND was
  // not run: 125.
  try {
    return dispatch(argc, argv);
  } catch (const sys::UsageError& e) {
    log::error("{} (see 'nsrun {}--help')", e.what(), first == "enter" ? "enter " : "");
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
  return kExitLaunchFailed;
}

} // namespace nsrun::launcher
