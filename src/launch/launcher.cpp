// SPDX-License-Identifier: Apache-2.0
#include "launch/launcher.hpp"

#include "launch/verify.hpp"
#include "log/log.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "text/escape.hpp"

namespace nsrun::launch {

void isolate(PropagationMode mode, Kernel& kernel, bool& left_original)
{
  IsolationState state;
  state.before = kernel.current_mount_ns();

  kernel.unshare_mount_ns();
  // Verify before the next step builds on it: a seccomp filter can fake
  // success, and the recursive propagation change would then strip the
  // caller's (the host's) mounts of their shared peer groups.
  state.after = kernel.current_mount_ns();
  if (auto problem = namespace_problem(state)) {
    throw IsolationError("mount namespace was not created: " + *problem);
  }
  left_original = true;
  // From the namespace's real root, which setns(2) into it gives: a caller
  // chrooted on a mount point would otherwise change only the mounts under
  // its chroot, and the rest of the namespace (its real /) would stay
  // shared with the host, for any process that joins it later. The
  // caller's root and directory are restored, checked, afterwards.
  const auto place = kernel.save_place();
  const bool was_chrooted = kernel.enter_own_namespace_root(place);
  kernel.set_root_propagation(mode);

  // Trust, but verify: a daemon that believes it is isolated when it is not
  // is the worst outcome. The recursive change from the namespace's root
  // reaches every mount; a chrooted caller, the rare case, also gets every
  // mount checked (reading all of them costs a launch as much as the copy
  // unshare(2) made of them).
  state.root = kernel.root_propagation();
  if (auto problem = isolation_problem(state, mode)) {
    throw IsolationError("mount namespace is not isolated: " + *problem);
  }
  if (was_chrooted) {
    if (auto problem = shared_mount_problem(kernel.own_mounts())) {
      throw IsolationError("mount namespace is not isolated: " + *problem);
    }
  }
  kernel.restore_place(place);
  log::info("created mount namespace mnt:[{}] (caller's: mnt:[{}]); / is {}", state.after.ino,
            state.before.ino, describe_propagation(state.root));
  if (mode == PropagationMode::Slave && !state.root.slave()) {
    log::info("the caller's / was not shared, so / has no master and is simply private");
  }
}

namespace {

// Back to where the caller was, checked: a faked setns must not leave the
// command in the half-made namespace.
void return_to_caller(Kernel& kernel, const sys::Fd& original, NamespaceId original_id,
                      const CallerPlace& place)
{
  kernel.enter_mount_ns(original.get());
  if (kernel.current_mount_ns() != original_id) {
    throw IsolationError("cannot return to the caller's mount namespace after a refusal: setns(2) "
                         "reported success but did not move the process");
  }
  kernel.restore_place(place);
}

} // namespace

int launch(const LaunchPlan& plan, Kernel& kernel)
{
  const bool best_effort = plan.on_failure == OnIsolationFailure::RunUnisolated;
  bool left_original = false;
  sys::Fd original;
  NamespaceId original_id;
  CallerPlace place;
  Undo undo;
  try {
    if (best_effort) {
      original_id = kernel.current_mount_ns();
      original = kernel.open_current_mount_ns();
      place = kernel.save_place();
    }
    undo = plan.isolate(kernel, left_original);
  } catch (const sys::NamespaceRefused& e) {
    if (!best_effort) {
      throw;
    }
    // Go back rather than run in a namespace whose propagation we could not
    // set: that one may still be a shared peer of the host.
    if (left_original) {
      return_to_caller(kernel, original, original_id, place);
    }
    log::warn("running '{}' WITHOUT its own mount namespace (--best-effort): {}",
              text::printable(plan.argv[0]), e.what());
  }
  original.reset();
  place = {};

  log::info("executing '{}'", text::printable(plan.argv[0]));
  const int err = kernel.exec(plan.argv);
  if (undo) {
    try {
      undo();
    } catch (const std::exception& e) {
      log::warn("{}", e.what());
    }
  }
  return err;
}

} // namespace nsrun::launch
