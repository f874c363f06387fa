#pragma once

#include "launch/kernel.hpp"
#include "launch/propagation_mode.hpp"

#include <functional>
#include <stdexcept>

namespace nsrun::launch {

enum class OnIsolationFailure { Fail, RunUnisolated };

// Gets the process into its isolated namespace (a new one, or a named one).
// Sets left_original as soon as the process is no longer in the caller's
// namespace, so a failure can be undone.
using Isolator = std::function<void(Kernel& kernel, bool& left_original)>;

struct LaunchPlan
{
  Isolator isolate;
  OnIsolationFailure on_failure = OnIsolationFailure::Fail;
  char* const* argv = nullptr; // argv[0] is the command, NULL-terminated
};

// The kernel accepted every call but the result does not isolate as asked.
// Never downgraded by --best-effort: it means a broken or faking system, or
// a named namespace that does not match the request.
class IsolationError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// Moves the calling process into a new mount namespace whose "/" has the
// requested propagation, and checks that it did. Throws sys::SystemError or
// IsolationError.
void isolate(PropagationMode mode, Kernel& kernel, bool& left_original);

// Isolates, then execs plan.argv in place: same PID, fds and environment.
// Returns only when exec failed, with its errno. Throws when isolating fails,
// except that with RunUnisolated a refusal by the kernel (sys::SystemError)
// returns to the caller's namespace and runs the command there, loudly.
// Never execs half-isolated.
int launch(const LaunchPlan& plan, Kernel& kernel);

} // namespace nsrun::launch
