// SPDX-License-Identifier: Apache-2.0
#include "launch/privileges.hpp"

#include <fmt/format.h>

#include <sys/auxv.h>
#include <unistd.h>

namespace nsrun::launch {

ProcessIds current_process_ids()
{
  ProcessIds ids;
  ids.real_uid = ::getuid();
  ids.effective_uid = ::geteuid();
  ids.real_gid = ::getgid();
  ids.effective_gid = ::getegid();
  ids.secure_exec = ::getauxval(AT_SECURE) != 0;
  return ids;
}

std::optional<std::string> privilege_problem(const ProcessIds& ids)
{
  if (ids.real_uid != ids.effective_uid) {
    return fmt::format("refusing to run setuid (real uid {}, effective uid {}): a setuid nsrun "
                       "lets any user mount over anything; run it as root instead",
                       ids.real_uid, ids.effective_uid);
  }
  if (ids.real_gid != ids.effective_gid) {
    return fmt::format("refusing to run setgid (real gid {}, effective gid {}): run it as root "
                       "instead",
                       ids.real_gid, ids.effective_gid);
  }
  if (ids.secure_exec) {
    return std::string("refusing to run with privileges gained from its file (setuid, setgid or "
                       "file capabilities): run it as root instead");
  }
  return std::nullopt;
}

} // namespace nsrun::launch
