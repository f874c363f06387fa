// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace nsrun::launch {

struct ProcessIds
{
  uid_t real_uid = 0;
  uid_t effective_uid = 0;
  gid_t real_gid = 0;
  gid_t effective_gid = 0;
  bool secure_exec = false; // AT_SECURE: setuid, setgid or file capabilities
};

[[nodiscard]] ProcessIds current_process_ids();

// Why nsrun must refuse to run with these ids, or nullopt. An nsrun that
// gains privilege from its file would let any user mount over anything in a
// namespace they control, then exec a program of their choice there.
[[nodiscard]] std::optional<std::string> privilege_problem(const ProcessIds& ids);

} // namespace nsrun::launch
