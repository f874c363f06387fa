#include "cli/launch_main.hpp"

#include "cli/exit_codes.hpp"
#include "cli/launch_args.hpp"
#include "cli/subcommands.hpp"
#include "launch/kernel.hpp"
#include "launch/launcher.hpp"
#include "launch/privileges.hpp"
#include "log/log.hpp"
#include "named/named_namespace.hpp"
#include "named/naming.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#ifndef NSRUN_VERSION
#  define NSRUN_VERSION "unknown"
#endif

namespace nsrun::cli {
namespace {

constexpr const char* kHelp = R"(Usage: nsrun [OPTIONS] [--] COMMAND [ARGS...]
       nsrun release [--ns-dir DIR] NAME
       nsrun holders|leaks|tree|check ...

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
  release [--ns-dir DIR] NAME
                          unmount the file that keeps namespace NAME alive;
                          it ends when its last process exits. Exit status:
                          0 released, 1 no such namespace, 2 error.
                          Inspect a namespace with
                          nsenter --mount=/run/nsrun/NAME findmnt
  holders [--json] [--detach | --dry-run] [--include-init] TARGET
                          which mount namespaces hold a device or mount, what
                          keeps them alive, and (--detach) free it there.
                          Exit status: 0 held, 1 not held, 2 error.
  leaks [--under PATH] [--json]
                          mounts of devices or shares the host no longer has
                          mounted, still held in other namespaces.
                          Exit status: 0 none, 1 leaks, 2 error.
  tree [--all] [--json | --dot]
                          every mount namespace, who created it, what keeps
                          it alive, how it relates to the host.
  check (--pid PID | --pidfile FILE | --name NAME [--ns-dir DIR]) [--json]
                          is this daemon isolated? Exit status: 0 isolated,
                          1 not isolated, 2 error.
  See 'nsrun SUBCOMMAND --help' for each.

Exit status:
  125  nsrun itself failed (bad usage, namespace not created or not verified);
       COMMAND was not run
  126  COMMAND was found but could not be executed
  127  COMMAND was not found
  otherwise the exit status of COMMAND, which replaces nsrun

Environment:
  NSRUN_NS_DIR            directory for named namespaces (see --ns-dir)

Examples:
  nsrun -- findmnt -o TARGET,PROPAGATION /
  nsrun --name docker -- containerd
  nsrun --name docker -- dockerd --containerd=/run/containerd/containerd.sock
)";

constexpr const char* kReleaseHelp = R"(Usage: nsrun release [--ns-dir DIR] [-v|-q] NAME

Unmount the file that keeps the named mount namespace NAME alive, so that the
namespace ends when its last process exits. Processes still in it keep
running.

Options:
      --ns-dir=DIR  where named namespaces are kept (default $NSRUN_NS_DIR,
                    else /run/nsrun)
  -v, --verbose     say what was done
  -q, --quiet       log only errors
  -h, --help        show this help and exit

Exit status: 0 released, 1 no such namespace, 2 error.
)";

int exec_failure_status(int err)
{
  return err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitCannotExecute;
}

int print(const char* text)
{
  std::fputs(text, stdout);
  return std::fflush(stdout) == 0 ? 0 : kExitLaunchFailed;
}

int release_main(int argc, char** argv)
{
  ReleaseArgs args;
  std::string dir;
  try {
    args = parse_release_args(argc, argv);
    if (args.action == Action::Help) {
      return print(kReleaseHelp) == 0 ? 0 : kExitTrouble;
    }
    dir = named::resolve_ns_dir(args.ns_dir, std::getenv(named::kNsDirVariable));
  } catch (const std::exception& e) {
    log::error("{} (see 'nsrun release --help')", e.what());
    return kExitTrouble;
  }
  log::set_verbosity(args.verbosity);
  const named::Target target{std::string(args.name), dir};
  try {
    if (named::release(target) == named::Released::NoSuchNamespace) {
      log::error("no namespace '{}' in {}", target.name, target.dir);
      return kExitNo;
    }
    return kExitYes;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return kExitTrouble;
  }
}

launch::Isolator make_isolator(const LaunchArgs& args, std::string ns_dir)
{
  const auto mode = args.propagation;
  if (args.name) {
    named::Target target{std::string(*args.name), std::move(ns_dir)};
    return [mode, target](launch::Kernel& kernel, bool& left) {
      named::enter(target, mode, kernel, left);
    };
  }
  return [mode, ns_dir](launch::Kernel& kernel, bool& left) {
    launch::isolate(mode, kernel, left);
    named::drop_namespace_files(ns_dir);
  };
}

} // namespace

int launcher_main(int argc, char** argv)
{
  if (auto problem = launch::privilege_problem(launch::current_process_ids())) {
    log::error("{}", *problem);
    return kExitLaunchFailed;
  }

  if (argc > 1 && std::string_view(argv[1]) == "release") {
    return release_main(argc - 1, argv + 1);
  }
  if (argc > 1 && is_inspect_subcommand(argv[1])) {
    return exec_inspect(argv);
  }

  ParsedArgs args;
  std::string ns_dir;
  try {
    args = parse_launch_args(argc, argv);
    ns_dir = named::resolve_ns_dir(args.launch.ns_dir, std::getenv(named::kNsDirVariable));
  } catch (const std::exception& e) {
    log::error("{} (see 'nsrun --help')", e.what());
    return kExitLaunchFailed;
  }

  switch (args.action) {
  case Action::Help:
    return print(kHelp);
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

  try {
    launch::RealKernel kernel;
    const int err = launch::launch(plan, kernel);
    log::error("cannot execute '{}': {}", plan.argv[0], std::strerror(err));
    return exec_failure_status(err);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return kExitLaunchFailed;
  }
}

} // namespace nsrun::cli
