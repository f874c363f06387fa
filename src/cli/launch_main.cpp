#include "cli/launch_main.hpp"

#include "cli/exit_codes.hpp"
#include "cli/launch_args.hpp"
#include "launch/kernel.hpp"
#include "launch/launcher.hpp"
#include "launch/privileges.hpp"
#include "log/log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#ifndef NSRUN_VERSION
#  define NSRUN_VERSION "unknown"
#endif

namespace nsrun::cli {
namespace {

constexpr const char* kHelp = R"(Usage: nsrun [OPTIONS] [--] COMMAND [ARGS...]

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
      --best-effort       where the kernel or a container does not permit a
                          new mount namespace, warn and run COMMAND without
                          one instead of failing
  -v, --verbose           log each step to stderr (repeat for more detail)
  -q, --quiet             log only errors
  -h, --help              show this help and exit
  -V, --version           show the version and exit

nsrun refuses to run setuid, setgid or with file capabilities.

Exit status:
  125  nsrun itself failed (bad usage, namespace not created or not verified);
       COMMAND was not run
  126  COMMAND was found but could not be executed
  127  COMMAND was not found
  otherwise the exit status of COMMAND, which replaces nsrun

Example:
  nsrun -- findmnt -o TARGET,PROPAGATION /
)";

int exec_failure_status(int err)
{
  return err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitCannotExecute;
}

} // namespace

int launcher_main(int argc, char** argv)
{
  if (auto problem = launch::privilege_problem(launch::current_process_ids())) {
    log::error("{}", *problem);
    return kExitLaunchFailed;
  }

  ParsedArgs args;
  try {
    args = parse_launch_args(argc, argv);
  } catch (const UsageError& e) {
    log::error("{} (see 'nsrun --help')", e.what());
    return kExitLaunchFailed;
  }

  switch (args.action) {
  case Action::Help:
    std::fputs(kHelp, stdout);
    return std::fflush(stdout) == 0 ? 0 : kExitLaunchFailed;
  case Action::Version:
    std::fputs("nsrun " NSRUN_VERSION "\n", stdout);
    return std::fflush(stdout) == 0 ? 0 : kExitLaunchFailed;
  case Action::Launch:
    break;
  }

  log::set_verbosity(args.launch.verbosity);
  launch::LaunchPlan plan;
  plan.mode = args.launch.propagation;
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
