// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/kernel.hpp"
#include "launch/propagation_mode.hpp"

#include <functional>

namespace nsrun::launch {

enum class OnIsolationFailure { Fail, RunUnisolated };

// What to do if the exec that follows isolation fails (a named namespace
// created for the command is released again); empty when nothing.
using Undo = std::function<void()>;

// Gets the process into its isolated namespace (a new one, or a named one).
// Sets left_original as soon as the process is no longer in the caller's
// namespace, so a failure can be undone.
using Isolator = std::function<Undo(Kernel& kernel, bool& left_original)>;

struct LaunchPlan
{
  Isolator isolate;
  OnIsolationFailure on_failure = OnIsolationFailure::Fail;
  char* const* argv = nullptr; // argv[0] is the command, NULL-terminated
};

// Moves the calling process into a new mount namespace whose "/" has the
// requested propagation. Checks that the namespace is new before touching
// propagation (a faked unshare must not change the caller's mounts), then
// that the propagation took. Throws sys::SystemError (NamespaceRefused when
// the kernel refuses) or IsolationError.
void isolate(PropagationMode mode, Kernel& kernel, bool& left_original);

// Isolates, then execs plan.argv in place: same PID, fds and environment.
// Returns only when exec failed, with its errno. Throws when isolating fails,
// except that with RunUnisolated a refusal by the kernel
// (sys::NamespaceRefused, and nothing else) returns to the caller's
// namespace, root and working directory and runs the command there, loudly.
// Never execs half-isolated.
int launch(const LaunchPlan& plan, Kernel& kernel);

} // namespace nsrun::launch
