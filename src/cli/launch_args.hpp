#pragma once

#include "launch/propagation_mode.hpp"

#include <stdexcept>
#include <string_view>

namespace nsrun::cli {

// Wrong command line; the message is one line without the "nsrun: " prefix.
class UsageError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

struct LaunchArgs
{
  launch::PropagationMode propagation = launch::PropagationMode::Slave;
  bool best_effort = false;
  int verbosity = 0;              // -q is -1, each -v adds one
  char* const* command = nullptr; // into argv: COMMAND [ARGS...], NULL-terminated
};

enum class Action { Launch, Help, Version };

struct ParsedArgs
{
  Action action = Action::Launch;
  LaunchArgs launch;
};

// Parses "nsrun [OPTIONS] [--] COMMAND [ARGS...]". Options end at "--" or at
// the first word that is not an option, so "nsrun ls -l" runs "ls -l".
// Hand-written rather than CLI11: the launch path must not pull in iostreams
// (see the Performance section of README.md). Throws UsageError.
[[nodiscard]] ParsedArgs parse_launch_args(int argc, char* const* argv);

} // namespace nsrun::cli
