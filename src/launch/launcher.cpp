#include "launch/launcher.hpp"

#include "launch/verify.hpp"
#include "log/log.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"

namespace nsrun::launch {

void isolate(PropagationMode mode, Kernel& kernel, bool& left_original)
{
  IsolationState state;
  state.before = kernel.current_mount_ns();

  kernel.unshare_mount_ns();
  left_original = true;
  kernel.set_root_propagation(mode);

  // Trust, but verify: a seccomp filter or LSM can fake success, and a
  // daemon that believes it is isolated when it is not is the worst outcome.
  state.after = kernel.current_mount_ns();
  state.root = kernel.root_propagation();
  if (auto problem = isolation_problem(state, mode)) {
    throw IsolationError("mount namespace is not isolated: " + *problem);
  }
  log::info("created mount namespace mnt:[{}] (caller's: mnt:[{}]); / is {}", state.after.ino,
            state.before.ino, describe_propagation(state.root));
  if (mode == PropagationMode::Slave && !state.root.slave()) {
    log::info("the caller's / was not shared, so / has no master and is simply private");
  }
}

int launch(const LaunchPlan& plan, Kernel& kernel)
{
  const bool best_effort = plan.on_failure == OnIsolationFailure::RunUnisolated;
  bool left_original = false;
  sys::Fd original;
  try {
    if (best_effort) {
      original = kernel.open_current_mount_ns();
    }
    plan.isolate(kernel, left_original);
  } catch (const sys::SystemError& e) {
    if (!best_effort) {
      throw;
    }
    // Go back rather than run in a namespace whose propagation we could not
    // set: that one may still be a shared peer of the host.
    if (left_original) {
      kernel.enter_mount_ns(original.get());
    }
    log::warn("running '{}' WITHOUT its own mount namespace (--best-effort): {}", plan.argv[0],
              e.what());
  }
  original.reset();

  log::info("executing '{}'", plan.argv[0]);
  return kernel.exec(plan.argv);
}

} // namespace nsrun::launch
