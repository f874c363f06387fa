// SPDX-License-Identifier: Apache-2.0
#include "launch/propagation_mode.hpp"

#include "sys/error.hpp"

#include <string>

namespace nsrun::launch {

std::string_view to_string(PropagationMode mode) noexcept
{
  return mode == PropagationMode::Slave ? "slave" : "private";
}

PropagationMode parse_propagation_mode(std::string_view text)
{
  if (text == "slave") {
    return PropagationMode::Slave;
  }
  if (text == "private") {
    return PropagationMode::Private;
  }
  if (text == "shared" || text == "unchanged") {
    throw sys::UsageError("propagation '" + std::string(text) +
                          "' would not isolate anything: the command's mounts would reach the "
                          "host; use slave or private");
  }
  throw sys::UsageError("invalid propagation '" + std::string(text) + "': use slave or private");
}

} // namespace nsrun::launch
