// SPDX-License-Identifier: Apache-2.0
#include "launch/propagation_mode.hpp"

namespace nsrun::launch {

std::string_view to_string(PropagationMode mode) noexcept
{
  return mode == PropagationMode::Slave ? "slave" : "private";
}

std::optional<PropagationMode> parse_propagation_mode(std::string_view text, std::string& why)
{
  if (text == "slave") {
    return PropagationMode::Slave;
  }
  if (text == "private") {
    return PropagationMode::Private;
  }
  if (text == "shared" || text == "unchanged") {
    why = "propagation '" + std::string(text) +
          "' would not isolate anything: the command's mounts would reach the host; use slave or "
          "private";
  } else {
    why = "invalid propagation '" + std::string(text) + "': use slave or private";
  }
  return std::nullopt;
}

} // namespace nsrun::launch
