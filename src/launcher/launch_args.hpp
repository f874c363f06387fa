// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/propagation_mode.hpp"
#include "sys/error.hpp"

#include <optional>
#include <stdexcept>
#include <string_view>

namespace nsrun::launcher {

using sys::UsageError;

struct LaunchArgs
{
  launch::PropagationMode propagation = launch::PropagationMode::Slave;
  bool best_effort = false;
  int verbosity = 0;                      // -q is -1, each -v adds one
  std::optional<std::string_view> name;   // --name, validated
  std::optional<std::string_view> ns_dir; // --ns-dir (only with --name)
  char* const* command = nullptr;         // into argv: COMMAND [ARGS...], NULL-terminated
};

enum class Action { Launch, Help, Version };

struct ParsedArgs
{
  Action action = Action::Launch;
  LaunchArgs launch;
};

struct EnterArgs
{
  Action action = Action::Launch; // Launch means "do it"
  int verbosity = 0;
  std::string_view name;
  std::optional<std::string_view> ns_dir;
  char* const* command = nullptr; // COMMAND [ARGS...], or nullptr for the shell
};

// Parses "nsrun [OPTIONS] [--] COMMAND [ARGS...]". Options end at "--" or at
// the first word that is not an option, so "nsrun ls -l" runs "ls -l".
// Hand-written rather than CLI11: the launch path must not pull in iostreams
// (see the Performance section of README.md). Throws UsageError.
[[nodiscard]] ParsedArgs parse_launch_args(int argc, char* const* argv);

// Parses "enter [--ns-dir DIR] [-v|-q] NAME [[--] COMMAND [ARGS...]]";
// argv[0] is "enter". Options come before NAME; what follows it is the
// command.
[[nodiscard]] EnterArgs parse_enter_args(int argc, char* const* argv);

} // namespace nsrun::launcher
