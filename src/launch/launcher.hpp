#pragma once

#include "launch/kernel.hpp"
#include "launch/propagation_mode.hpp"

#include <stdexcept>

namespace nsrun::launch {

enum class OnIsolationFailure { Fail, RunUnisolated };

struct LaunchPlan
{
  PropagationMode mode = PropagationMode::Slave;
  OnIsolationFailure on_failure = OnIsolationFailure::Fail;
  char* const* argv = nullptr; // argv[0] is the command, NULL-terminated
};

// The kernel accepted every call but the result does not isolate.
class IsolationError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// Moves the calling process into a new mount namespace whose "/" has the
// requested propagation, and checks that it did. Throws sys::SystemError or
// IsolationError; `unshared` tells the caller whether it left its namespace.
void isolate(PropagationMode mode, Kernel& kernel, bool& unshared);

// Isolates, then execs plan.argv in place: same PID, fds and environment.
// Returns only when exec failed, with its errno. Throws when isolating fails
// and plan.on_failure is Fail; never execs half-isolated.
int launch(const LaunchPlan& plan, Kernel& kernel);

} // namespace nsrun::launch
